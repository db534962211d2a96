"""`kvalitetsloop loop` and `kvalitetsloop status`: start, list, show and export loops."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from kvalitetsloop.cli.common import (Fail, NowOption, check_writable, counted, out, parse_now, print_table, settings,
                                       unit_of_work)

loop_app = typer.Typer(no_args_is_help=True, help="Start, show and export loops.")


def _summary_table(chiefs, title: str) -> Table:
    t = Table(title=title)
    # Headings no wider than before, so a piped table (160 columns) does not wrap the chief.
    for col in ("chief", "units", "learning talks", "1:1", "data packages", "statements", "meeting hours",
                "first talk", "last talk"):
        t.add_column(col, justify="left" if col == "chief" else "right")
    for c in chiefs:
        t.add_row(c.chief, str(c.units), str(c.talks), str(c.one_to_ones), str(c.data_packages),
                  str(c.statements), f"{c.hours:.0f}", c.first_talk.isoformat() if c.first_talk else "",
                  c.last_talk.isoformat() if c.last_talk else "")
    return t


def _milestones_table(shared) -> Table:
    t = Table(title="Shared milestones")
    for col in ("date", "what"):
        t.add_column(col)
    for e in shared:
        t.add_row(e.start.strftime("%Y-%m-%d %H:%M") if not e.all_day else e.start.date().isoformat(), e.title)
    return t


@loop_app.command("start")
def loop_start(ctx: typer.Context, area: str = typer.Option(..., help="0-6 or 6-18 (the framework's areas)."),
               council_date: Optional[str] = typer.Option(None, help="The council meeting that discusses the quality report, YYYY-MM-DD (frameworks with a council, e.g. aarhus)."),
               start_date: Optional[str] = typer.Option(None, help="The loop's first day, YYYY-MM-DD, for a framework without a council (e.g. albertslund)."),
               framework: str = typer.Option("aarhus", help="Framework name in frameworks/ or a path to a YAML file."),
               theme: list[str] = typer.Option([], help="A theme of the quality report (repeat for several)."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Plan and show, but store nothing."),
               allow_any_year: bool = typer.Option(False, "--allow-any-year", help="Plan even if the year does not fit the area's council years."),
               allow_past: bool = typer.Option(False, "--allow-past", help="Plan even if the council (or start) date has passed."),
               past: Optional[str] = typer.Option(None, "--past", help="'held': record events that lie before today as held (nothing is sent for them)."),
               export: Optional[Path] = typer.Option(None, help="Also write the JSON export to this file."),
               now: NowOption = None):
    """Plan a new two-year loop for an area: from its council date, or its start date where the
    framework has no council."""
    from kvalitetsloop import exports
    from kvalitetsloop.errors import (CouncilDatePassed, CouncilYearRefused, LoopExists, NoOrganisation,
                                      PastMilestones, WrongLoopStart)
    from kvalitetsloop.usecases.loops import start_loop, view_loop

    if (council_date is None) == (start_date is None):
        raise Fail("give --council-date (for a framework with a council, such as aarhus) or --start-date (for one "
                   "without, such as albertslund), not both or neither")
    option, given = ("--council-date", council_date) if council_date is not None else ("--start-date", start_date)
    try:
        day = dt.date.fromisoformat(given)
    except ValueError:
        raise Fail(f"{option} '{given}' is not a date like 2027-04-28") from None
    council, start = (day, None) if option == "--council-date" else (None, day)
    if export and not dry_run:
        check_writable(export)  # before the loop is stored, so a bad path changes nothing
    uow = unit_of_work(ctx)
    try:
        started = start_loop(uow, settings().frameworks_dir, framework, area, council, parse_now(now),
                             dry_run=dry_run, allow_any_year=allow_any_year, themes=tuple(theme),
                             allow_past=allow_past, past=past, start_date=start)
    except WrongLoopStart as exc:
        flag = "--start-date" if exc.needs == "start" else "--council-date"
        raise Fail(f"{exc} with {flag} YYYY-MM-DD") from None
    except CouncilDatePassed as exc:
        raise Fail(f"{exc}; pass --allow-past to plan it anyway") from None
    except CouncilYearRefused as exc:
        raise Fail(f"{exc}; pass --allow-any-year to plan it anyway") from None
    except PastMilestones as exc:
        raise Fail(f"{exc}; pass --past held to record them as held, or give a later {option[2:].replace('-', ' ')}") from None
    except LoopExists as exc:
        raise Fail(f"{exc}; show it with 'kvalitetsloop loop show {exc.loop_id}'") from None
    except NoOrganisation as exc:
        raise Fail(f"{exc}; run 'kvalitetsloop org import FILE.csv' first") from None
    kinds = Counter(e.kind for e in started.events)
    units = {e.unit_id for e in started.events if e.unit_id}
    verb = "Would plan" if dry_run else "Planned"
    out.print(f"{verb} loop {started.loop_id} ({started.framework.framework.name} {started.framework.framework.version}): "
              f"{counted(len(started.events), 'event')} for {counted(len(units), 'unit')}; "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    _next_layer_summary(started)
    held = [e for e in started.events if e.status == "held"]
    if held:
        out.print(f"{counted(len(held), 'event')} before today recorded as held (nothing is sent for them): "
                  + "; ".join(f"{e.start.date().isoformat()} {e.title}" for e in held[:10])
                  + (f" and {len(held) - 10} more" if len(held) > 10 else ""))
    from cycle.summary import milestones, per_chief

    print_table(_milestones_table(milestones(started.events)))
    print_table(_summary_table(per_chief(started.events, started.organisation), f"Loop {started.loop_id} per chief"))
    if export and not dry_run:
        view = view_loop(uow, started.loop_id)
        names = {u.id: u.name for u in view.organisation.units}
        export.parent.mkdir(parents=True, exist_ok=True)
        export.write_text(exports.to_json(exports.loop_dict(view.loop, view.framework, view.events, names)) + "\n",
                          encoding="utf-8")
        out.print(f"Wrote {export}.")


def _next_layer_summary(started) -> None:
    """Where the framework plans the leader's follow-ups with the next leadership layer [003],
    which units get none because their row names nobody in that layer."""
    from cycle.layer_followups import layer_roles, units_without_next_layer

    fw = started.framework.framework
    if not fw.next_layer_followups.enabled:
        return
    units = started.organisation.in_sectors(fw.areas[started.area].sectors)
    without = units_without_next_layer(fw, units)
    out.print(f"Follow-ups with the next leadership layer for {counted(len(units) - len(without), 'unit')}"
              + (f"; none for {counted(len(without), 'unit')} whose row names nobody in it "
                 f"({', '.join(sorted({r for u in without for r in layer_roles(fw, u)}))}): "
                 + ", ".join(u.id for u in without[:20]) + (f" and {len(without) - 20} more" if len(without) > 20 else "")
                 if without else "") + ".")


@loop_app.command("list")
def loop_list(ctx: typer.Context):
    """The loops in the database."""
    from kvalitetsloop.usecases.loops import list_loops

    rows = list_loops(unit_of_work(ctx))
    if not rows:
        out.print("No loop has been started yet.")
        return
    t = Table("loop", "area", "council/start date", "status")
    for r in rows:
        t.add_row(r.id, r.area, r.council_date.isoformat(), r.status)
    print_table(t)


@loop_app.command("show")
def loop_show(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
              unit: Optional[str] = typer.Option(None, help="Show every event of one unit instead.")):
    """Summary per chief, or one unit's whole plan."""
    from kvalitetsloop.usecases.loops import summarise_loop

    summary = summarise_loop(unit_of_work(ctx), loop, unit)
    fw = summary.framework
    anchor = "council" if summary.has_council else "start"
    out.print(f"Loop {summary.loop.id}: area {summary.loop.area}, {anchor} {summary.loop.council_date.isoformat()}, "
              f"framework {fw.name} {fw.version} ({fw.content_hash}), {counted(summary.event_count, 'event')}")
    if unit:
        if not summary.unit_events:
            raise Fail(f"the loop {loop} has no events for unit '{unit}'")
        t = Table("start", "end", "kind", "nr", "title", "status", "seq")
        # The uid is what 'event move' takes: never cut it, let the title wrap instead.
        t.add_column("uid", no_wrap=True, min_width=52)
        for e in summary.unit_events:
            fmt = "%Y-%m-%d" if e.all_day else "%Y-%m-%d %H:%M"
            t.add_row(e.start.strftime(fmt), "" if e.all_day else e.end.strftime("%H:%M"), e.kind,
                      str(e.number or ""), e.title, e.status, str(e.sequence), e.uid)
        print_table(t)
        from kvalitetsloop.cli.replies import unit_answers_table

        answers = unit_answers_table(ctx, loop, unit)
        if answers is not None:
            print_table(answers)
        return
    print_table(_milestones_table(summary.milestones))
    print_table(_summary_table(summary.per_chief, f"Loop {summary.loop.id} per chief"))


@loop_app.command("export")
def loop_export(ctx: typer.Context, loop: str = typer.Argument(...),
                format: str = typer.Option("json", "--format", help="json, csv or ics."),
                output: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout.")):
    """The whole plan as JSON (the contract), CSV or iCalendar."""
    from kvalitetsloop import exports
    from kvalitetsloop.usecases.loops import view_loop

    if format not in ("json", "csv", "ics"):
        raise Fail(f"--format must be json, csv or ics, not '{format}'")
    view = view_loop(unit_of_work(ctx), loop)
    names = {u.id: u.name for u in view.organisation.units}
    if format == "json":
        data = exports.to_json(exports.loop_dict(view.loop, view.framework, view.events, names)) + "\n"
    elif format == "csv":
        data = exports.to_csv(view.events, names)
    else:
        from kvalitetsloop.calendar_context import loop_ics
        payload = loop_ics(view)
        if output:
            output.write_bytes(payload)
        else:
            sys.stdout.buffer.write(payload)
        return
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(data, encoding="utf-8")
    else:
        sys.stdout.write(data)


@loop_app.command("add-unit")
def loop_add_unit(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
                  unit: str = typer.Argument(..., help="Unit id from the organisation file."),
                  now: NowOption = None):
    """Plan a unit into a running loop: its remaining talks, data packages, one-to-ones, deadlines and
    observation visits."""
    from kvalitetsloop.usecases.loop_changes import add_unit

    added = add_unit(unit_of_work(ctx), settings().frameworks_dir, loop, unit, parse_now(now))
    kinds = Counter(e.kind for e in added.events)
    out.print(f"Planned {added.unit_id} ({added.unit_name}) into loop {added.loop_id}: {len(added.events)} events; "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for number, why in added.left_out:
        out.print(f"  talk {number} is not planned: {why}")
    for why in added.not_planned:
        out.print(f"  {why}")
    visits = [e for e in added.changed if e.kind == "observation_visit"]
    for e in visits:
        out.print(f"  the visit {e.start.strftime('%Y-%m-%d')} at {e.unit_id} is shared out anew: now \"{e.title}\" (the "
                  f"team taken off gets a cancellation and visits another unit, the new team an invitation, the hosts an "
                  f"update)")
    t = Table("start", "kind", "nr", "title")
    for e in added.events:
        t.add_row(e.start.strftime("%Y-%m-%d" if e.all_day else "%Y-%m-%d %H:%M"), e.kind, str(e.number or ""), e.title)
    print_table(t)


@loop_app.command("add-one-to-one")
def loop_add_one_to_one(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
                        unit: str = typer.Argument(..., help="Unit id from the organisation file."),
                        at: Optional[str] = typer.Option(None, "--at", help="Its start, ISO; without offset read as Danish local time."),
                        count: Optional[int] = typer.Option(None, "--count", help="Or: this many, at times the system finds before the unit's next talk."),
                        now: NowOption = None):
    """Plan extra one-to-ones (chief and leader) for a unit, beyond the planned six a year."""
    from kvalitetsloop.usecases.one_to_ones import add_one_to_ones

    added = add_one_to_ones(unit_of_work(ctx), settings().frameworks_dir, loop, unit, parse_now(now), at=at, count=count)
    out.print(f"Planned {counted(len(added.events), 'extra one-to-one')} for {added.unit_id} ({added.unit_name}) in loop "
              f"{added.loop_id}; the dispatch invites the chief and the leader as to any one-to-one:")
    for e in added.events:
        out.print(f"  {e.start.strftime('%Y-%m-%d %H:%M')}-{e.end.strftime('%H:%M')}  {e.uid}")
    for first, last, n in added.years:
        out.print(f"{added.unit_id} now has {counted(n, 'one-to-one')} in the loop-year {first.isoformat()} to {last.isoformat()}.")


def _ended(report) -> None:
    out.print(f"Loop {report.loop_id} is {report.status}.")
    if report.cancelled_events:
        out.print(f"{report.cancelled_events} future events cancelled ({report.cancelled_meetings} meetings); "
                  f"{report.cancellations} invitations already sent get a cancellation at the next dispatch.")
    if report.withdrawn:
        out.print(f"{report.withdrawn} emails not sent yet are withdrawn (see 'outbox list --status withdrawn').")


@loop_app.command("cancel")
def loop_cancel(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
                now: NowOption = None):
    """Cancel a loop started by mistake: every future meeting is cancelled in everyone's calendar."""
    from kvalitetsloop.usecases.loop_changes import cancel_loop

    _ended(cancel_loop(unit_of_work(ctx), loop, parse_now(now)))


@loop_app.command("close")
def loop_close(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
               now: NowOption = None):
    """End a finished loop: no more reminders or digests about it."""
    from kvalitetsloop.usecases.loop_changes import close_loop

    _ended(close_loop(unit_of_work(ctx), loop, parse_now(now)))


# -- status --------------------------------------------------------------------------------

def status_cmd(ctx: typer.Context, now: NowOption = None):
    """Each loop: what lies behind, what lies ahead, and the next events."""
    from kvalitetsloop.usecases.loops import loop_status

    when = parse_now(now)
    result = loop_status(unit_of_work(ctx), when)
    if not result:
        out.print("No loop has been started yet.")
        return
    for st in result:
        anchor = "council" if st.has_council else "start"
        out.print(f"Loop {st.loop.id} ({st.loop.area}, {anchor} {st.loop.council_date.isoformat()}) at {when.isoformat()}:")
        t = Table("kind", "past", "ahead")
        for kind in sorted(set(st.past) | set(st.upcoming)):
            t.add_row(kind, str(st.past.get(kind, 0)), str(st.upcoming.get(kind, 0)))
        print_table(t)
        if st.cancelled:
            out.print(f"{counted(st.cancelled, 'cancelled event')}.")
        if st.next_events:
            nt = Table("next", "title", title="Next events")
            for e in st.next_events:
                nt.add_row(e.start.strftime("%Y-%m-%d" if e.all_day else "%Y-%m-%d %H:%M"), e.title)
            print_table(nt)


