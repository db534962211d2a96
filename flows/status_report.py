"""The weekly status report as Prefect artifacts: per running loop, a keyed table of its units
(talks held, one-to-ones against the minimum, statements, forms, packages, overdue) and a
markdown summary with the overdue list, so the administration sees it in the Prefect UI."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.runs import announce_failure, artifact_key


@task(name="build-status-report")
def build(loop_id: str, now: dt.datetime):
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.reports.build import build_report
    from kvalitetsloop.settings import get_settings

    return build_report(unit_of_work_for(get_settings().database_url), "status", loop_id, now)


def _markdown(report) -> str:
    area = report.section(f"Området {report.area}").table
    overdue = report.section("Forsinket").table
    lines = [f"# {report.title}", "", report.intro, "",
             "| " + " | ".join(area.columns) + " |", "|" + "---|" * len(area.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in area.rows]
    lines += ["", f"## Forsinket ({len(overdue.rows)})", ""]
    lines += [f"- {row[1]}: {row[3]} – frist {row[4]}, {row[5]} dage" for row in overdue.rows[:50]]
    if len(overdue.rows) > 50:
        lines.append(f"- … og {len(overdue.rows) - 50} flere")
    return "\n".join(lines)


@flow(name="status-report", flow_run_name="status-report-{now}", on_failure=[announce_failure])
def status_report(now: dt.datetime | None = None) -> dict:
    """Every running loop's status report at `now` (default: the clock) as artifacts."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.settings import get_settings
    from kvalitetsloop.usecases.loops import list_loops

    when = now or dt.datetime.now(dt.timezone.utc)
    out = {}
    for loop in list_loops(unit_of_work_for(get_settings().database_url)):
        if loop.status != "active":
            continue
        report = build(loop.id, when)
        units = report.section("Pr. enhed").table
        create_table_artifact([dict(zip(units.columns, row)) for row in units.rows],
                              key=artifact_key(loop.id, "status"), description=report.title)
        create_markdown_artifact(_markdown(report), key=artifact_key(loop.id, "status-summary"),
                                 description=report.title)
        out[loop.id] = {"units": len(units.rows), "overdue": len(report.section("Forsinket").table.rows)}
        get_run_logger().info("%s: %d units, %d overdue", loop.id, out[loop.id]["units"], out[loop.id]["overdue"])
    return out
