"""The `kvalitetsloop` command. It only translates: arguments in, a use case called, a table out.

Every error a user can cause ends as one sentence on stderr and exit code 2; never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

import sqlalchemy.exc
import typer
# Typer 0.29 ships its own copy of click; its usage errors derive from this ClickException.
from typer._click import ClickException
from rich.console import Console
from rich.table import Table

from cycle.framework import FrameworkError
from cycle.organisation import OrganisationError
from kvalitetsloop import exports, services
from kvalitetsloop.services import UserError
from kvalitetsloop.settings import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Plan and run the two-year quality follow-up and supervision loop.")
org_app = typer.Typer(no_args_is_help=True, help="The organisation: units, leaders, chiefs, boards.")
loop_app = typer.Typer(no_args_is_help=True, help="Start, show and export loops.")
event_app = typer.Typer(no_args_is_help=True, help="Move or cancel one planned event.")
holidays_app = typer.Typer(no_args_is_help=True, help="School holidays and closing days.")
app.add_typer(org_app, name="org")
app.add_typer(loop_app, name="loop")
app.add_typer(event_app, name="event")
app.add_typer(holidays_app, name="holidays")

# Tables stay readable when the output is piped (rich would otherwise assume 80 columns).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

NOW_HELP = "The time to act as if it were now (ISO, e.g. 2027-05-01T09:00+02:00); default: the clock."
_state: dict[str, str] = {}


class Fail(Exception):
    """Raised by commands to end with one sentence and a non-zero exit."""


def db_url() -> str:
    return _state.get("database_url") or get_settings().database_url


def frameworks_dir() -> Path:
    return get_settings().frameworks_dir


def parse_now(value: Optional[str]) -> dt.datetime:
    """The entry point is the only place that reads the wall clock."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Fail(f"--now '{value}' is not an ISO time like 2027-05-01T09:00+02:00") from None
    if now.tzinfo is None:
        from zoneinfo import ZoneInfo
        now = now.replace(tzinfo=ZoneInfo("Europe/Copenhagen"))
    return now


@app.callback()
def main(database_url: Optional[str] = typer.Option(None, "--database-url", envvar="KVALITETSLOOP_DATABASE_URL",
                                                     help="SQLAlchemy URL; default a SQLite file var/kvalitetsloop.sqlite.")):
    if database_url:
        _state["database_url"] = database_url


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise Fail(f"cannot write {path} ({exc.strerror or exc})") from None


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Fail(f"the {what} file {path} does not exist") from None
    except UnicodeDecodeError:
        raise Fail(f"the {what} file {path} is not UTF-8 text") from None
    except IsADirectoryError:
        raise Fail(f"{path} is a folder, not the {what} file") from None


# -- org -----------------------------------------------------------------------------------

@org_app.command("import")
def org_import(file: Path = typer.Argument(..., help="Organisation CSV (SPEC 2.1)."),
               now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Import or re-import the organisation; all or nothing."""
    text = _read_text(file, "organisation")
    report = services.import_organisation(db_url(), text, parse_now(now))
    d = report.diff
    out.print(f"Imported {report.units} units from {file}.")
    if report.first_import:
        return
    if d.empty:
        out.print("Nothing changed.")
    for label, items in (("added", d.added), ("removed", d.removed), ("changed", d.changed)):
        if items:
            out.print(f"Units {label} ({len(items)}): {', '.join(items)}")
    for unit_id, role, before, after in d.people_changed:
        out.print(f"  {unit_id} {role}: {', '.join(before) or '(none)'} -> {', '.join(after) or '(none)'}")
    if report.attendee_changes:
        out.print(f"{len(report.attendee_changes)} future events get new participants "
                  "(cancellations to those taken off, invitations to those added).")
    if report.cancelled_events:
        out.print(f"{len(report.cancelled_events)} future events of removed units are cancelled.")
    for unit_id, loop_id in report.outside_loops:
        out.print(f"{unit_id} is new and not part of the running loop {loop_id}; it joins the area's next loop.")
    if report.conflicts:
        out.print(f"{len(report.conflicts)} future meetings now clash with another meeting of the same person; "
                  "move them with 'event move':")
        for title, start, reason in report.conflicts[:50]:
            out.print(f"  {start:%Y-%m-%d %H:%M} {title}: {reason}")


@org_app.command("show")
def org_show():
    """The imported units, per chief."""
    org = services.organisation(db_url())
    if not org.units:
        raise Fail("no organisation has been imported yet; run 'kvalitetsloop org import FILE.csv'")
    t = Table("id", "name", "sector", "chief", "leader", "self-owned", "special needs")
    for u in sorted(org.units, key=lambda u: (u.chief.email, u.id)):
        t.add_row(u.id, u.name, u.sector, u.chief.email, u.leader.email, "ja" if u.self_owned else "",
                  "ja" if u.special_needs else "")
    out.print(t)


# -- holidays ------------------------------------------------------------------------------

@holidays_app.command("import")
def holidays_import(file: Path = typer.Argument(..., help="CSV with header calendar,name,start,end")):
    """Add school holidays or closing days to a holiday calendar (e.g. aarhus-skole)."""
    result = services.import_holidays(db_url(), _read_text(file, "holiday"), frameworks_dir())
    out.print(f"Imported {result.added} new holiday periods from {file}.")
    if result.clashes:
        out.print(f"{len(result.clashes)} planned meetings now fall in these periods; move them with 'event move':")
        for loop_id, title, start, period in result.clashes[:50]:
            out.print(f"  {start:%Y-%m-%d %H:%M} {title} ({period}, loop {loop_id})")
        if len(result.clashes) > 50:
            out.print(f"  ... and {len(result.clashes) - 50} more")


# -- loop ----------------------------------------------------------------------------------

def _summary_table(events, org, title: str) -> Table:
    units = org.by_id()
    per_chief: dict[str, Counter] = defaultdict(Counter)
    per_chief_units: dict[str, set] = defaultdict(set)
    talks: dict[str, list] = defaultdict(list)
    for e in events:
        if e.status == "cancelled" or not e.unit_id or e.unit_id not in units:
            continue
        chief = units[e.unit_id].chief
        key = f"{chief.name} <{chief.email}>" if chief.name else chief.email
        per_chief[key][e.kind] += 1
        per_chief_units[key].add(e.unit_id)
        if e.kind in ("learning_talk", "one_to_one"):
            per_chief[key]["hours"] += (e.end - e.start).total_seconds() / 3600
        if e.kind == "learning_talk":
            talks[key].append(e.start.date())
    t = Table(title=title)
    for col in ("chef", "enheder", "læringssamtaler", "1:1", "datapakker", "udtalelser", "mødetimer",
                "første samtale", "sidste samtale"):
        t.add_column(col, justify="left" if col == "chef" else "right")
    for key in sorted(per_chief):
        c = per_chief[key]
        t.add_row(key, str(len(per_chief_units[key])), str(c["learning_talk"]), str(c["one_to_one"]),
                  str(c["data_package"]), str(c["board_statement_due"]), f"{c['hours']:.0f}",
                  min(talks[key]).isoformat() if talks[key] else "", max(talks[key]).isoformat() if talks[key] else "")
    return t


def _milestones_table(events) -> Table:
    t = Table(title="Fælles milepæle")
    for col in ("dato", "hvad"):
        t.add_column(col)
    for e in events:
        if e.unit_id is None and e.status != "cancelled":
            t.add_row(e.start.strftime("%Y-%m-%d %H:%M") if not e.all_day else e.start.date().isoformat(), e.title)
    return t


@loop_app.command("start")
def loop_start(area: str = typer.Option(..., help="0-6 or 6-18 (the framework's areas)."),
               council_date: str = typer.Option(..., help="The council meeting that discusses the quality report, YYYY-MM-DD."),
               framework: str = typer.Option("aarhus", help="Framework name in frameworks/ or a path to a YAML file."),
               theme: list[str] = typer.Option([], help="A theme of the quality report (repeat for several)."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Plan and show, but store nothing."),
               allow_any_year: bool = typer.Option(False, "--allow-any-year", help="Plan even if the year does not fit the area's council years."),
               export: Optional[Path] = typer.Option(None, help="Also write the JSON export to this file."),
               now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Plan a new two-year loop for an area."""
    try:
        council = dt.date.fromisoformat(council_date)
    except ValueError:
        raise Fail(f"--council-date '{council_date}' is not a date like 2027-04-28") from None
    if export and not dry_run:
        _check_writable(export)  # before the loop is stored, so a bad path changes nothing
    started = services.start_loop(db_url(), frameworks_dir(), framework, area, council, parse_now(now),
                                  dry_run=dry_run, allow_any_year=allow_any_year, themes=tuple(theme))
    kinds = Counter(e.kind for e in started.events)
    units = {e.unit_id for e in started.events if e.unit_id}
    verb = "Would plan" if dry_run else "Planned"
    out.print(f"{verb} loop {started.loop_id} ({started.framework.framework.name} {started.framework.framework.version}): "
              f"{len(started.events)} events for {len(units)} units; "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    out.print(_milestones_table(started.events))
    out.print(_summary_table(started.events, started.organisation, f"Loop {started.loop_id} per chef"))
    if export and not dry_run:
        view = services.view_loop(db_url(), started.loop_id)
        names = {u.id: u.name for u in view.organisation.units}
        export.parent.mkdir(parents=True, exist_ok=True)
        export.write_text(exports.to_json(exports.loop_dict(view.loop, view.framework, view.events, names)) + "\n",
                          encoding="utf-8")
        out.print(f"Wrote {export}.")


@loop_app.command("list")
def loop_list():
    """The loops in the database."""
    rows = services.loops(db_url())
    if not rows:
        out.print("No loop has been started yet.")
        return
    t = Table("loop", "area", "council date", "status")
    for r in rows:
        t.add_row(r.id, r.area, r.council_date.isoformat(), r.status)
    out.print(t)


@loop_app.command("show")
def loop_show(loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
              unit: Optional[str] = typer.Option(None, help="Show every event of one unit instead.")):
    """Summary per chief, or one unit's whole plan."""
    view = services.view_loop(db_url(), loop)
    out.print(f"Loop {view.loop.id}: area {view.loop.area}, council {view.loop.council_date.isoformat()}, "
              f"framework {view.framework.name} {view.framework.version} ({view.framework.content_hash}), "
              f"{len(view.events)} events")
    if unit:
        evs = [e for e in view.events if e.unit_id == unit]
        if not evs:
            raise Fail(f"the loop {loop} has no events for unit '{unit}'")
        t = Table("start", "end", "kind", "nr", "title", "status", "seq")
        # The uid is what 'event move' takes: never cut it, let the title wrap instead.
        t.add_column("uid", no_wrap=True, min_width=52)
        for e in evs:
            fmt = "%Y-%m-%d" if e.all_day else "%Y-%m-%d %H:%M"
            t.add_row(e.start.strftime(fmt), "" if e.all_day else e.end.strftime("%H:%M"), e.kind,
                      str(e.number or ""), e.title, e.status, str(e.sequence), e.uid)
        out.print(t)
        return
    out.print(_milestones_table(view.events))
    out.print(_summary_table(view.events, view.organisation, f"Loop {view.loop.id} per chef"))


@loop_app.command("export")
def loop_export(loop: str = typer.Argument(...),
                format: str = typer.Option("json", "--format", help="json, csv or ics."),
                output: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout.")):
    """The whole plan as JSON (the contract), CSV or iCalendar."""
    if format not in ("json", "csv", "ics"):
        raise Fail(f"--format must be json, csv or ics, not '{format}'")
    view = services.view_loop(db_url(), loop)
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


# -- event ---------------------------------------------------------------------------------

@event_app.command("move")
def event_move(uid: str = typer.Argument(...),
               start: str = typer.Option(..., help="New start, ISO; without offset read as Danish local time."),
               force: bool = typer.Option(False, "--force", help="Move even if it breaks a rule."),
               now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Move a meeting or deadline; its sequence rises and dependants follow a moved talk."""
    ch = services.move_event(db_url(), frameworks_dir(), uid, start, parse_now(now), force=force)
    out.print(f"Moved '{ch.title}' to {ch.start.isoformat()} (sequence {ch.sequence}).")
    for problem in ch.forced_over:
        out.print(f"  forced over: {problem}")
    for duid, title, when in ch.dependents:
        out.print(f"  also moved '{title}' to {when.date().isoformat()}")


@event_app.command("cancel")
def event_cancel(uid: str = typer.Argument(...), now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Cancel a meeting or deadline (a talk's deadlines go with it)."""
    ch = services.cancel_event(db_url(), uid, parse_now(now))
    out.print(f"Cancelled '{ch.title}' (sequence {ch.sequence}).")
    for duid, title, _ in ch.dependents:
        out.print(f"  also cancelled '{title}'")


# -- status --------------------------------------------------------------------------------

@app.command("status")
def status_cmd(now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Each loop: what lies behind, what lies ahead, and the next events."""
    when = parse_now(now)
    result = services.status(db_url(), when)
    if not result:
        out.print("No loop has been started yet.")
        return
    for st in result:
        out.print(f"Loop {st.loop.id} ({st.loop.area}, council {st.loop.council_date.isoformat()}) at {when.isoformat()}:")
        t = Table("kind", "past", "ahead")
        for kind in sorted(set(st.past) | set(st.upcoming)):
            t.add_row(kind, str(st.past.get(kind, 0)), str(st.upcoming.get(kind, 0)))
        out.print(t)
        if st.cancelled:
            out.print(f"{st.cancelled} cancelled events.")
        if st.next_events:
            nt = Table("next", "title", title="Next events")
            for e in st.next_events:
                nt.add_row(e.start.strftime("%Y-%m-%d" if e.all_day else "%Y-%m-%d %H:%M"), e.title)
            out.print(nt)


# The calendar and email parts add their own commands (kept in their own modules).
from kvalitetsloop import cli_calendar, cli_notifications  # noqa: E402

cli_calendar.register(app)
cli_notifications.register(app)


def main_exit(argv: list[str]) -> int:
    """Run one command; user mistakes become one sentence on stderr and exit code 2."""
    _state.clear()
    try:
        app(args=argv, standalone_mode=False)
        return 0
    except (Fail, UserError, FrameworkError) as exc:
        err.print(f"Error: {exc}.", markup=False)
    except OrganisationError as exc:
        err.print(f"Error: {exc}:", markup=False)
        for p in exc.problems:
            err.print(f"  {p}", markup=False)
    except sqlalchemy.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unknown reason"
        err.print(f"Error: the database at {db_url()} cannot be used ({reason}).", markup=False)
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, ModuleNotFoundError):
        err.print(f"Error: '{db_url()}' is not a database URL this program can use "
                  "(sqlite:///path/file.sqlite or postgresql://user@host:5432/db).", markup=False)
    except OSError as exc:  # files the user named: a folder that does not exist, no permission
        where = f" {exc.filename}" if exc.filename else ""
        err.print(f"Error: cannot use{where} ({exc.strerror or exc}).", markup=False)
    except OverflowError:
        err.print("Error: a date is out of range; give dates between 2000 and 2100.", markup=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("Aborted.")
        return 1
    except ClickException as exc:  # usage errors: unknown option, missing argument
        exc.show()
        return exc.exit_code
    return 2


def run() -> None:
    """Console-script entry point."""
    sys.exit(main_exit(sys.argv[1:]))


if __name__ == "__main__":
    run()
