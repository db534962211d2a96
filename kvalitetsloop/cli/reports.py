"""`kvalitetsloop report KIND LOOP`: the administration's reports as HTML, CSV or PDF.

KIND is status, meeting-cost, committee (the committee overview of focus areas) or report-back.
Other parts add their own reports to this app (e.g. `report replies`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from kvalitetsloop.cli.common import Fail, NowOption, check_writable, out, parse_now, unit_of_work

report_app = typer.Typer(no_args_is_help=True, help="Reports of a loop: status, meeting cost, committee overview, report-back, year wheel.")

LoopArg = Annotated[str, typer.Argument(help="Loop id, e.g. 0-6-2027-04-28.")]
FormatOption = Annotated[str, typer.Option("--format", help="html, csv or pdf.")]
OutOption = Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of stdout.")]


def _emit(ctx: typer.Context, kind: str, loop: str, fmt: str, output: Optional[Path], now: Optional[str],
          compare: Optional[str] = None) -> None:
    from kvalitetsloop.reports.build import build_report
    from kvalitetsloop.reports.render import FORMATS, render

    if fmt not in FORMATS:
        raise Fail(f"--format must be html, csv or pdf, not '{fmt}'")
    when = parse_now(now)
    if output:
        check_writable(output)
    if compare:
        from kvalitetsloop.cli.common import settings
        from kvalitetsloop.reports.compare import compare_frameworks

        report = compare_frameworks(unit_of_work(ctx), settings().frameworks_dir, loop, compare, when)
    else:
        report = build_report(unit_of_work(ctx), kind, loop, when, detail=fmt == "csv")
    data = render(report, fmt)
    if output:
        output.write_bytes(data)
        out.print(f"Wrote {output} ({len(data):,} bytes).")
    elif fmt == "pdf" and sys.stdout.isatty():
        raise Fail("a PDF is not for the terminal; give --out FILE.pdf or redirect the output")
    else:
        sys.stdout.buffer.write(data) if hasattr(sys.stdout, "buffer") else sys.stdout.write(data.decode())
        sys.stdout.flush()


@report_app.command("status")
def report_status(ctx: typer.Context, loop: LoopArg, fmt: FormatOption = "html", output: OutOption = None,
                  now: NowOption = None):
    """Per unit, chief and area: talks held, one-to-ones this loop-year, statements, forms, packages, overdue."""
    _emit(ctx, "status", loop, fmt, output, now)


@report_app.command("meeting-cost")
def report_meeting_cost(ctx: typer.Context, loop: LoopArg, fmt: FormatOption = "html", output: OutOption = None,
                        compare: Optional[str] = typer.Option(None, "--compare", help=(
                            "Plan the same organisation under this framework too (name or YAML path) and show "
                            "the hours each role would save.")),
                        now: NowOption = None):
    """Meeting hours per role, per chief (with the busiest weeks) and per month; or, with --compare,
    the loop's framework against another, side by side."""
    _emit(ctx, "meeting-cost", loop, fmt, output, now, compare)


@report_app.command("committee")
def report_committee(ctx: typer.Context, loop: LoopArg, fmt: FormatOption = "html", output: OutOption = None,
                     now: NowOption = None):
    """The committee overview: every unit's focus areas by theme and sector."""
    _emit(ctx, "committee", loop, fmt, output, now)


@report_app.command("report-back")
def report_report_back(ctx: typer.Context, loop: LoopArg, fmt: FormatOption = "html", output: OutOption = None,
                       now: NowOption = None):
    """The report-back: the area's aggregate, then each unit's focus areas, decisions and statements."""
    _emit(ctx, "report-back", loop, fmt, output, now)


@report_app.command("year-wheel")
def report_year_wheel(ctx: typer.Context, loop: LoopArg,
                      year: int = typer.Option(1, "--year", help="Loop-year 1 or 2."),
                      unit: Optional[str] = typer.Option(None, "--unit", help="One unit's wheel."),
                      chief: Optional[str] = typer.Option(None, "--chief", help="One chief's units (their email)."),
                      output: OutOption = None, now: NowOption = None):
    """The year wheel as SVG (a PNG when --out ends in .png): per week around the months, a ring for
    each element of the loop's framework (talks, one-to-ones, data packages, visits, deadlines)."""
    from kvalitetsloop.reports.build import year_wheel
    from kvalitetsloop.reports.yearwheel import year_wheel_png

    if unit and chief:
        raise Fail("give --unit or --chief, not both")
    if output:
        check_writable(output)
    svg = year_wheel(unit_of_work(ctx), loop, parse_now(now), year, unit, chief)
    if output and output.suffix.lower() == ".png":
        output.write_bytes(year_wheel_png(svg))
        out.print(f"Wrote {output}.")
    elif output:
        output.write_text(svg, encoding="utf-8")
        out.print(f"Wrote {output}.")
    else:
        sys.stdout.write(svg + "\n")
