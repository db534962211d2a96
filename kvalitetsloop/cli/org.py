"""`kvalitetsloop org` and `kvalitetsloop holidays`: the organisation and the holiday calendars."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kvalitetsloop.cli.common import Fail, NowOption, counted, out, parse_now, print_table, read_text, unit_of_work

org_app = typer.Typer(no_args_is_help=True, help="The organisation: units, leaders, chiefs, boards.")
holidays_app = typer.Typer(no_args_is_help=True, help="School holidays and closing days.")


@org_app.command("import")
def org_import(ctx: typer.Context, file: Path = typer.Argument(..., help="Organisation CSV (SPEC 2.1)."),
               apply: bool = typer.Option(False, "--apply", "--yes", help="Apply it even though it removes units."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
               now: NowOption = None):
    """Import or re-import the organisation; all or nothing. A file that removes units only shows
    what that would do, unless --apply (or --yes) is given."""
    from kvalitetsloop.cli.progress import progress_shown
    from kvalitetsloop.usecases.organisation import import_organisation

    if apply and dry_run:
        raise Fail("--apply and --dry-run contradict each other; give one of them")
    text = read_text(file, "organisation")
    with progress_shown() as progress:
        report = import_organisation(unit_of_work(ctx), text, parse_now(now), apply=apply, dry_run=dry_run,
                                     progress=progress)
    if report.first_import:
        out.print(f"{'Would import' if dry_run else 'Imported'} {counted(report.units, 'unit')} from {file}.")
        return
    _print_import_effect(report, file)
    if dry_run:
        out.print("Dry run: nothing was changed.")
    elif not report.applied:
        raise Fail(f"the file would remove {counted(len(report.diff.removed), 'unit')} "
                   f"and nothing was changed; run it again with --apply to apply what is shown above")


def _print_import_effect(report, file: Path) -> None:
    d, applied = report.diff, report.applied
    out.print(f"{'Imported' if applied else 'Would import'} {counted(report.units, 'unit')} from {file}.")
    if d.empty:
        out.print("Nothing changed.")
    for label, items in (("added", d.added), ("removed", d.removed), ("changed", d.changed)):
        if items:
            out.print(f"Units {label} ({len(items)}): {', '.join(items)}")
    for unit_id, role, before, after in d.people_changed:
        out.print(f"  {unit_id} {role}: {', '.join(before) or '(none)'} -> {', '.join(after) or '(none)'}")
    verb = "get" if applied else "would get"
    if report.attendee_changes:
        n = len(report.attendee_changes)
        out.print(f"{counted(n, 'future event')} {('gets' if n == 1 else 'get') if applied else 'would get'} new participants "
                  "(cancellations to those taken off, invitations to those added, an update to the others "
                  "where the chief or leader changed).")
    if report.cancelled_events:
        n = len(report.cancelled_events)
        be = ("is" if n == 1 else "are") if applied else "would be"
        out.print(f"{counted(n, 'future event')} of removed units {be} cancelled; "
                  f"{counted(report.cancellations, 'invitation')} already sent {verb} a cancellation "
                  "at the next dispatch.")
    if report.withdrawn:
        n = report.withdrawn
        be = ("is" if n == 1 else "are") if applied else "would be"
        out.print(f"{counted(n, 'email')} not sent yet {be} withdrawn (see 'outbox list --status withdrawn').")
    for unit_id, loop_id in report.outside_loops:
        out.print(f"{unit_id} is new and not part of the running loop {loop_id}; plan it in with "
                  f"'kvalitetsloop loop add-unit {loop_id} {unit_id}', or it joins the area's next loop.")
    if report.conflicts:
        n = len(report.conflicts)
        verb_clash = ("now clashes" if n == 1 else "now clash") if applied else "would clash"
        out.print(f"{counted(n, 'future meeting')} {verb_clash} with another meeting of the same person; "
                  f"move {'it' if n == 1 else 'them'} with 'event move':")
        for title, start, reason in report.conflicts[:50]:
            out.print(f"  {start:%Y-%m-%d %H:%M} {title}: {reason}")


@org_app.command("show")
def org_show(ctx: typer.Context):
    """The imported units, per chief."""
    from kvalitetsloop.usecases.organisation import show_organisation

    org = show_organisation(unit_of_work(ctx))
    if not org.units:
        raise Fail("no organisation has been imported yet; run 'kvalitetsloop org import FILE.csv'")
    t = Table("id", "name", "sector", "chief", "leader", "self-owned", "special needs")
    for u in sorted(org.units, key=lambda u: (u.chief.email, u.id)):
        t.add_row(u.id, u.name, u.sector, u.chief.email, u.leader.email, "yes" if u.self_owned else "",
                  "yes" if u.special_needs else "")
    print_table(t)


@holidays_app.command("import")
def holidays_import(ctx: typer.Context, file: Path = typer.Argument(..., help="CSV with header calendar,name,start,end")):
    """Add school holidays or closing days to a holiday calendar (e.g. aarhus-skole)."""
    from kvalitetsloop.cli.common import settings
    from kvalitetsloop.usecases.organisation import import_holidays

    result = import_holidays(unit_of_work(ctx), read_text(file, "holiday"), settings().frameworks_dir)
    out.print(f"Imported {counted(result.added, 'new holiday period')} from {file}.")
    if result.clashes:
        n = len(result.clashes)
        out.print(f"{counted(n, 'planned meeting')} now {'falls' if n == 1 else 'fall'} in these periods; "
                  f"move {'it' if n == 1 else 'them'} with 'event move':")
        for loop_id, title, start, period in result.clashes[:50]:
            out.print(f"  {start:%Y-%m-%d %H:%M} {title} ({period}, loop {loop_id})")
        if len(result.clashes) > 50:
            out.print(f"  ... and {len(result.clashes) - 50} more")
