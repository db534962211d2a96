"""Use cases: each reads and writes the database in one transaction and returns what happened.

Entry points (command line, Prefect flows, web) call these and only translate. Every function
that depends on the time takes `now`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from cycle.events import Event
from cycle.framework import Framework, parse_framework
from cycle.organisation import Organisation, OrganisationDiff, diff_organisations, parse_organisation
from cycle.planner import (LoopSpec, LoopTimeline, PlanningError, event_attendees, parity_problem, plan_loop,
                           talk_dependents)
from cycle.rules import check_placement
from cycle.workcalendar import HolidayPeriod, WorkCalendar
from kvalitetsloop.frameworks import LoadedFramework, load_framework, shipped_holidays
from storage import repository as repo
from storage.db import is_current, migrate, unit_of_work
from storage.models import AttendeeRow, EventRow, FrameworkRow, LoopRow


class UserError(Exception):
    """A mistake the user can fix; the entry point prints it as one sentence."""


_DONE_ONCE: set[str] = set()


def ensure_database(url: str) -> None:
    """Create or upgrade the schema (once per process and URL; cheap when already current)."""
    if url not in _DONE_ONCE:
        if not is_current(url):
            migrate(url)
        _DONE_ONCE.add(url)


def calendar_for(fw: Framework, url: str, frameworks_dir: Path) -> WorkCalendar:
    with unit_of_work(url) as s:
        imported = repo.load_holiday_periods(s)
    return WorkCalendar(fw, shipped_holidays(frameworks_dir) + imported)


# -- organisation --------------------------------------------------------------------------

@dataclass
class ImportReport:
    units: int
    diff: OrganisationDiff
    first_import: bool
    # (event uid, removed emails, added emails) for future meetings whose people changed
    attendee_changes: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    cancelled_events: list[str] = field(default_factory=list)
    # Future meetings whose new people are booked elsewhere at the same time: (title, start, reason)
    conflicts: list[tuple[str, dt.datetime, str]] = field(default_factory=list)
    # Units added while a loop runs: (unit id, loop id); they join the area's next loop.
    outside_loops: list[tuple[str, str]] = field(default_factory=list)


def import_organisation(url: str, text: str, now: dt.datetime) -> ImportReport:
    org = parse_organisation(text)  # raises OrganisationError before anything is touched
    ensure_database(url)
    with unit_of_work(url) as s:
        old = repo.load_organisation(s)
        diff = diff_organisations(old, org)
        repo.save_organisation(s, org, diff.removed)
        report = ImportReport(len(org.units), diff, first_import=not old.units)
        _follow_organisation(s, org, diff, now, report)
        _report_clashes(s, org, diff, now, report)
    return report


def _report_clashes(s, org: Organisation, diff: OrganisationDiff, now: dt.datetime, report: ImportReport) -> None:
    """Say what a re-import leaves for the administration to settle: people who now sit in two
    meetings at once, and units that no running loop plans for."""
    active = list(s.exec(select(LoopRow).where(LoopRow.status == "active")))
    if not active:
        return
    units = org.by_id()
    for loop in active:
        fw = _framework_of(s, loop)
        for uid in diff.added:
            if units[uid].sector in fw.areas[loop.area].sectors:
                report.outside_loops.append((uid, loop.id))
    changed = {uid for uid, *_ in diff.people_changed}
    if not changed:
        return
    from cycle.booking import Ledger, minutes

    fw = _framework_of(s, active[0])
    tz = ZoneInfo(fw.timezone)
    meetings = [e for loop in active for e in repo.load_events(s, loop.id, tz)
                if e.is_meeting and e.status != "cancelled" and e.start > now]
    ledger = Ledger(fw)
    for e in meetings:
        st, en = e.start.astimezone(tz), e.end.astimezone(tz)
        ledger.book([a.email for a in e.attendees], st.date(), minutes(st.time()), minutes(en.time()), e.uid)
    for e in meetings:
        if e.unit_id not in changed:
            continue
        st, en = e.start.astimezone(tz), e.end.astimezone(tz)
        c = ledger.conflict([a.email for a in e.attendees], st.date(), minutes(st.time()), minutes(en.time()),
                            ignore_uid=e.uid)
        if c:
            report.conflicts.append((e.title, st, c.reason))


def _follow_organisation(s, org: Organisation, diff: OrganisationDiff, now: dt.datetime, report: ImportReport) -> None:
    """Keep running loops' future events in step with the organisation."""
    if not (diff.removed or diff.people_changed):
        return
    units = org.by_id()
    changed_units = {u for u, *_ in diff.people_changed}
    loops = list(s.exec(select(LoopRow).where(LoopRow.status == "active")))
    for loop in loops:
        fw = _framework_of(s, loop)
        rows = s.exec(select(EventRow).where(EventRow.loop_id == loop.id, EventRow.start > now,
                                             EventRow.status != "cancelled")).all()
        for row in rows:
            if row.unit_id in diff.removed:
                row.sequence += 1
                row.status = "cancelled"
                row.updated_at = now
                s.add(row)
                repo.record_change(s, row, "cancelled", {"reason": "unit removed from the organisation"}, now)
                report.cancelled_events.append(row.uid)
                continue
            if row.unit_id not in changed_units or row.unit_id not in units:
                continue
            unit = units[row.unit_id]
            wanted = {a.email: a for a in event_attendees(fw, unit, row.kind, row.number)}
            current = {a.email: a for a in s.exec(select(AttendeeRow).where(AttendeeRow.event_id == row.id))}
            removed = sorted(e for e, a in current.items() if a.active and e not in wanted)
            added = sorted(e for e in wanted if e not in current or not current[e].active)
            if not (removed or added):
                continue
            for e in removed:
                current[e].active = False
                s.add(current[e])
            for e in added:
                a = wanted[e]
                if e in current:
                    current[e].active, current[e].role, current[e].name = True, a.role, a.name
                    s.add(current[e])
                else:
                    s.add(AttendeeRow(event_id=row.id, email=a.email, name=a.name, role=a.role))
            # The sequence stays: the removed get a CANCEL, the new a REQUEST at the current sequence.
            repo.record_change(s, row, "attendees", {"removed": removed, "added": added}, now)
            report.attendee_changes.append((row.uid, removed, added))


def organisation(url: str) -> Organisation:
    ensure_database(url)
    with unit_of_work(url) as s:
        return repo.load_organisation(s)


# -- holidays ------------------------------------------------------------------------------

_HOLIDAY_HEADER = ("calendar", "name", "start", "end")


def import_holidays(url: str, text: str, frameworks_dir: Path | None = None) -> "HolidayImport":
    """Import school holidays / closing days from CSV (calendar,name,start,end); all or nothing."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if tuple(h.strip() for h in (reader.fieldnames or ())) != _HOLIDAY_HEADER:
        raise UserError("the holiday file must have the header row: calendar,name,start,end")
    periods, problems = [], []
    for row in reader:
        line = reader.line_num
        try:
            start, end = dt.date.fromisoformat(row["start"].strip()), dt.date.fromisoformat(row["end"].strip())
        except (ValueError, AttributeError):
            problems.append(f"line {line}: start and end must be dates like 2027-10-18")
            continue
        if end < start:
            problems.append(f"line {line}: the period ends before it starts")
            continue
        if not (row.get("calendar") or "").strip() or not (row.get("name") or "").strip():
            problems.append(f"line {line}: calendar and name are required")
            continue
        periods.append(HolidayPeriod(row["calendar"].strip(), row["name"].strip(), start, end))
    if problems:
        raise UserError("the holiday file was not imported: " + "; ".join(problems))
    if frameworks_dir is None:
        from kvalitetsloop.settings import get_settings

        frameworks_dir = get_settings().frameworks_dir
    ensure_database(url)
    with unit_of_work(url) as s:
        known = known_calendars(s, frameworks_dir)
        unknown = sorted({p.calendar for p in periods} - known)
        if unknown:
            raise UserError(f"the holiday file names the calendar{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(repr(u) for u in unknown)}, which no framework uses "
                            f"(known: {', '.join(sorted(known))})")
        added = repo.save_holiday_periods(s, periods)
        clashes = _meetings_in(s, periods)
    return HolidayImport(added, clashes)


@dataclass
class HolidayImport:
    added: int
    # Meetings of running loops that now fall in an imported period: (loop id, title, start, period name)
    clashes: list[tuple[str, str, dt.datetime, str]]


def known_calendars(s, frameworks_dir: Path) -> set[str]:
    """Holiday calendars a period may belong to: shipped, imported, or named by a framework."""
    import yaml

    names = {p.calendar for p in shipped_holidays(frameworks_dir)} | {p.calendar for p in repo.load_holiday_periods(s)}
    for path in frameworks_dir.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= set(((data.get("holidays") or {}).get("school_holidays") or {}).values())
    for row in s.exec(select(FrameworkRow)):
        names |= set(((row.content.get("holidays") or {}).get("school_holidays") or {}).values())
    return names


def _meetings_in(s, periods: list[HolidayPeriod]) -> list[tuple[str, str, dt.datetime, str]]:
    out = []
    for loop in s.exec(select(LoopRow).where(LoopRow.status == "active")):
        fw = _framework_of(s, loop)
        tz = ZoneInfo(fw.timezone)
        for e in repo.load_events(s, loop.id, tz):
            if not e.is_meeting or e.status == "cancelled" or not e.sector:
                continue
            if fw.holidays.school_holidays.get(e.sector) is None:
                continue
            day = e.start.astimezone(tz).date()
            for p in periods:
                if p.calendar == fw.holidays.school_holidays[e.sector] and p.covers(day):
                    out.append((loop.id, e.title, e.start.astimezone(tz), p.name))
    return out


# -- loops ---------------------------------------------------------------------------------

@dataclass
class StartedLoop:
    loop_id: str
    area: str
    council_date: dt.date
    framework: LoadedFramework
    events: list[Event]
    organisation: Organisation
    dry_run: bool


def loop_id_for(area: str, council_date: dt.date) -> str:
    return f"{area}-{council_date.isoformat()}"


def start_loop(url: str, frameworks_dir: Path, framework_name: str, area: str, council_date: dt.date,
               now: dt.datetime, dry_run: bool = False, allow_any_year: bool = False,
               themes: tuple[str, ...] = ()) -> StartedLoop:
    if not 2000 <= council_date.year <= 2100:
        raise UserError(f"the council date {council_date.isoformat()} is not a plausible date for a loop")
    loaded = load_framework(framework_name, frameworks_dir)
    fw = loaded.framework
    if area not in fw.areas:
        raise UserError(f"the framework '{fw.name}' has no area '{area}' (it has {', '.join(fw.areas)})")
    problem = parity_problem(fw, area, council_date)
    if problem and not allow_any_year:
        raise UserError(f"{problem}; pass --allow-any-year to plan it anyway")
    ensure_database(url)
    loop_id = loop_id_for(area, council_date)
    with unit_of_work(url) as s:
        if repo.get_loop(s, loop_id):
            raise UserError(f"a loop {loop_id} already exists; show it with 'kvalitetsloop loop show {loop_id}'")
        org = repo.load_organisation(s)
        busy = _meetings_of_other_loops(s, None, ZoneInfo(fw.timezone))
    if not org.units:
        raise UserError("no organisation has been imported yet; run 'kvalitetsloop org import FILE.csv' first")
    cal = calendar_for(fw, url, frameworks_dir)
    try:
        plan = plan_loop(org, fw, cal, LoopSpec(loop_id, area, council_date, tuple(themes)), busy=busy)
    except PlanningError as exc:
        raise UserError(f"the loop cannot be planned: {exc}") from None
    if not dry_run:
        with unit_of_work(url) as s:
            fwrow = repo.framework_row(s, fw.name, fw.version, loaded.content_hash, loaded.content, now)
            s.add(LoopRow(id=loop_id, area=area, council_date=council_date, framework_id=fwrow.id,
                          themes=list(themes), allow_any_year=allow_any_year, created_at=now))
            s.flush()
            repo.add_events(s, loop_id, plan.events, now)
    return StartedLoop(loop_id, area, council_date, loaded, plan.events, org, dry_run)


def _meetings_of_other_loops(s, loop_id: str | None, tz) -> list[Event]:
    """The meetings people already have in the other running loops (a chief sits in both areas)."""
    out: list[Event] = []
    for other in s.exec(select(LoopRow).where(LoopRow.status == "active")):
        if other.id != loop_id:
            out.extend(e for e in repo.load_events(s, other.id, tz) if e.is_meeting and e.status != "cancelled")
    return out


def _framework_of(s, loop: LoopRow) -> Framework:
    row = s.get(FrameworkRow, loop.framework_id)
    return parse_framework(row.content, source=f"framework {row.name} {row.version}")


@dataclass
class LoopView:
    loop: LoopRow
    framework: FrameworkRow
    fw: Framework
    events: list[Event]
    organisation: Organisation

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.fw.timezone)


def _require_loop(s, loop_id: str) -> LoopRow:
    loop = repo.get_loop(s, loop_id)
    if loop is None:
        ids = [l.id for l in s.exec(select(LoopRow).order_by(LoopRow.id))]
        known = f" (known loops: {', '.join(ids)})" if ids else " (no loop has been started yet)"
        raise UserError(f"there is no loop '{loop_id}'{known}")
    return loop


def view_loop(url: str, loop_id: str) -> LoopView:
    ensure_database(url)
    with unit_of_work(url) as s:
        loop = _require_loop(s, loop_id)
        fwrow = s.get(FrameworkRow, loop.framework_id)
        fw = _framework_of(s, loop)
        events = repo.load_events(s, loop_id, ZoneInfo(fw.timezone))
        org = repo.load_organisation(s)
    return LoopView(loop, fwrow, fw, events, org)


def loops(url: str) -> list[LoopRow]:
    ensure_database(url)
    with unit_of_work(url) as s:
        return list(s.exec(select(LoopRow).order_by(LoopRow.council_date)))


# -- changing one event --------------------------------------------------------------------

@dataclass
class EventChange:
    uid: str
    title: str
    change: str
    sequence: int
    start: dt.datetime
    dependents: list[tuple[str, str, dt.datetime]] = field(default_factory=list)  # (uid, title, new start)
    forced_over: list[str] = field(default_factory=list)


def parse_when(text: str, tz: ZoneInfo) -> dt.datetime:
    """An ISO time; without an offset it is read in the framework's time zone."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"'{text}' is not an ISO time like 2027-05-12T09:00") from None
    if not 2000 <= value.year <= 2100:
        raise UserError(f"'{text}' is not a plausible time for a meeting or deadline")
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _loop_context(s, row: EventRow, url: str, frameworks_dir: Path):
    loop = repo.get_loop(s, row.loop_id)
    fw = _framework_of(s, loop)
    tz = ZoneInfo(fw.timezone)
    cal = WorkCalendar(fw, shipped_holidays(frameworks_dir) + repo.load_holiday_periods(s))
    return loop, fw, tz, cal


def move_event(url: str, frameworks_dir: Path, uid: str, start_text: str, now: dt.datetime,
               force: bool = False) -> EventChange:
    ensure_database(url)
    with unit_of_work(url) as s:
        row = repo.event_by_uid(s, uid)
        if row is None:
            raise UserError(f"there is no event with uid '{uid}'")
        if row.status == "cancelled":
            raise UserError(f"the event '{row.title}' is cancelled and cannot be moved")
        loop, fw, tz, cal = _loop_context(s, row, url, frameworks_dir)
        start = parse_when(start_text, tz)
        if row.all_day:
            start = dt.datetime.combine(start.astimezone(tz).date(), dt.time(), tz)
        end = start + (row.end - row.start)
        events = repo.load_events(s, row.loop_id, tz)
        event = next(e for e in events if e.uid == uid)
        if start == event.start:
            raise UserError(f"the event '{row.title}' already starts at {start.isoformat()}")
        tl = LoopTimeline(fw, cal, loop.council_date)
        span = (tl.clock.add_weeks(loop.council_date, -fw.network_meetings.weeks_before_council[0] - 4), tl.next_council)
        problems = check_placement(event, start, end, events, fw, cal, tz, others=_meetings_of_other_loops(s, loop.id, tz),
                                   now=now, loop_span=span)
        dependents: list[Event] = []
        if row.kind == "learning_talk" and row.unit_id:
            unit = repo.load_organisation(s).by_id().get(row.unit_id)
            if unit is not None:
                spec = LoopSpec(loop.id, loop.area, loop.council_date, tuple(loop.themes))
                moved = event.with_changes(start=start.astimezone(tz), end=end.astimezone(tz))
                dependents = talk_dependents(fw, tl, spec, unit, moved)
                for dep in dependents:
                    if dep.kind != "followup_form_due" and dep.start < now:
                        problems.append(f"its {dep.title.split(':')[0].lower()} would fall on "
                                        f"{dep.start.date().isoformat()}, which has passed")
        if problems and not force:
            raise UserError(f"the move is refused because {'; and '.join(problems)} (use --force to move it anyway)")
        # The start before the move tells the email side whether the old time was ever announced.
        previous = row.start.isoformat()
        row.start, row.end = start, end
        row.sequence += 1
        row.status = "moved"
        row.updated_at = now
        s.add(row)
        repo.record_change(s, row, "moved", {"start": start.isoformat(), "previous_start": previous,
                                             "forced_over": problems}, now)
        result = EventChange(uid, row.title, "moved", row.sequence, start.astimezone(tz), forced_over=problems)
        for dep in dependents:
            drow = repo.event_by_uid(s, dep.uid)
            if drow is None or drow.status == "cancelled" or drow.start == dep.start:
                continue
            previous = drow.start.isoformat()
            drow.start, drow.end = dep.start, dep.end
            drow.details = {**(drow.details or {}), **dep.details}
            drow.sequence += 1
            drow.status = "moved"
            drow.updated_at = now
            s.add(drow)
            repo.record_change(s, drow, "moved", {"start": dep.start.isoformat(), "previous_start": previous,
                                                  "because": uid}, now)
            result.dependents.append((drow.uid, drow.title, dep.start))
    return result


def cancel_event(url: str, uid: str, now: dt.datetime) -> EventChange:
    ensure_database(url)
    with unit_of_work(url) as s:
        row = repo.event_by_uid(s, uid)
        if row is None:
            raise UserError(f"there is no event with uid '{uid}'")
        if row.status == "cancelled":
            raise UserError(f"the event '{row.title}' is already cancelled")
        loop = repo.get_loop(s, row.loop_id)
        tz = ZoneInfo(_framework_of(s, loop).timezone)
        to_cancel = [row]
        if row.kind == "learning_talk":
            # The deadlines of a cancelled talk (its data package, statement, form) go with it.
            to_cancel += s.exec(select(EventRow).where(EventRow.parent_uid == uid,
                                                       EventRow.status != "cancelled")).all()
        result = EventChange(uid, row.title, "cancelled", row.sequence + 1, row.start.astimezone(tz))
        for r in to_cancel:
            r.sequence += 1
            r.status = "cancelled"
            r.updated_at = now
            s.add(r)
            repo.record_change(s, r, "cancelled", {"because": uid} if r is not row else {}, now)
            if r is not row:
                result.dependents.append((r.uid, r.title, r.start.astimezone(tz)))
    return result


# -- status --------------------------------------------------------------------------------

@dataclass
class LoopStatus:
    loop: LoopRow
    past: dict[str, int]
    upcoming: dict[str, int]
    cancelled: int
    next_events: list[Event]


def status(url: str, now: dt.datetime, next_count: int = 10) -> list[LoopStatus]:
    out = []
    for loop in loops(url):
        view = view_loop(url, loop.id)
        past: dict[str, int] = {}
        upcoming: dict[str, int] = {}
        cancelled = 0
        for e in view.events:
            if e.status == "cancelled":
                cancelled += 1
                continue
            bucket = past if e.end <= now else upcoming
            bucket[e.kind] = bucket.get(e.kind, 0) + 1
        nxt = [e for e in view.events if e.status != "cancelled" and e.end > now][:next_count]
        out.append(LoopStatus(loop, past, upcoming, cancelled, nxt))
    return out

