"""Use cases of the organisation: import it (running loops follow), show it, and holidays."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle import observations
from cycle.booking import Ledger, minutes
from cycle.events import MEETING_KINDS
from cycle.organisation import Organisation, OrganisationDiff, diff_organisations, parse_organisation
from cycle.planner import event_attendees, network_attendees
from cycle.workcalendar import HolidayPeriod
from kvalitetsloop.errors import PreviewChanged, UserError
from kvalitetsloop.frameworks import calendars_named, framework_holiday_calendars, shipped_holidays
from kvalitetsloop.usecases.previews import digest
from kvalitetsloop.work_progress import Progress, silent

# A change of these people moves a unit's meetings to the new person and updates everyone else.
HOST_ROLES = ("chief", "leader")


@dataclass
class ImportReport:
    units: int
    diff: OrganisationDiff
    first_import: bool
    # Whether the file was stored: not for --dry-run, and not when it removes units without --apply.
    applied: bool = True
    # (event uid, removed emails, added emails) for future meetings whose people changed
    attendee_changes: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    cancelled_events: list[str] = field(default_factory=list)
    # The same events as (local start, title, all day) for a person to read (the web's preview).
    cancelled_shown: list[tuple[dt.datetime, str, bool]] = field(default_factory=list)
    # Meeting requests already sent for the cancelled events: each gets a CANCEL at the next dispatch.
    cancellations: int = 0
    # Emails decided but not sent yet, about removed units or to people taken off: withdrawn.
    withdrawn: int = 0
    # Future meetings whose new people are booked elsewhere at the same time: (title, start, reason)
    conflicts: list[tuple[str, dt.datetime, str]] = field(default_factory=list)
    # Units added while a loop runs: (unit id, loop id); 'loop add-unit' plans them into it.
    outside_loops: list[tuple[str, str]] = field(default_factory=list)

    @property
    def needs_apply(self) -> bool:
        """The file removes units: that is done only when the administrator says so."""
        return bool(self.diff.removed) and not self.first_import

    @property
    def fingerprint(self) -> str:
        """What this import does, as a hash: a preview's fingerprint equals the applied import's
        exactly when applying does what the preview showed (the web's confirm checks it)."""
        d = self.diff
        return digest((self.units, self.first_import, d.added, d.removed, d.changed, d.people_changed,
                        self.attendee_changes, self.cancelled_events, self.cancellations, self.withdrawn,
                        self.outside_loops))


IMPORT_STEPS = "Importing the organisation (steps)"


def import_organisation(uow, text: str, now: dt.datetime, *, apply: bool = False,
                        dry_run: bool = False, expect: str | None = None,
                        progress: Progress = silent) -> ImportReport:
    """Import or re-import the organisation, all or nothing; running loops' future events follow.

    The effect is worked out inside the transaction, so the preview is exactly what applying does.
    It is stored unless `dry_run`, or unless it removes units and `apply` is not given (a partial
    file must not silently cancel the loop of every unit it leaves out). With `expect` (a
    preview's fingerprint) nothing is stored unless the effect is still the one previewed
    (PreviewChanged). `progress` is told after each step: compare, store, follow the running
    loops, check clashes."""
    org = parse_organisation(text)  # raises OrganisationError before anything is touched
    with uow:
        report = import_into(uow, org, now, progress)
        if expect is not None and report.fingerprint != expect:
            raise PreviewChanged("the organisation or the running loops changed since the preview")
        report.applied = not dry_run and (apply or not report.needs_apply)
        if report.applied:
            uow.commit()
    progress(IMPORT_STEPS, 4, 4)
    return report


def import_into(uow, org: Organisation, now: dt.datetime, progress: Progress = silent) -> ImportReport:
    """Store `org` in the open transaction and make the running loops follow; the caller commits
    (or not: a preview)."""
    progress(IMPORT_STEPS, 0, 4)
    old = uow.organisation.load()
    diff = diff_organisations(old, org)
    progress(IMPORT_STEPS, 1, 4)
    changed = {u for u, *_ in diff.people_changed}
    uow.organisation.save(org, diff.removed, frozenset(u.id for u in old.units if u.id not in changed))
    progress(IMPORT_STEPS, 2, 4)
    report = ImportReport(len(org.units), diff, first_import=not old.units)
    _follow_organisation(uow, org, diff, now, report)
    progress(IMPORT_STEPS, 3, 4)
    _report_clashes(uow, org, diff, now, report)
    return report


def show_organisation(uow) -> Organisation:
    with uow:
        return uow.organisation.load()


def _follow_organisation(uow, org: Organisation, diff: OrganisationDiff, now: dt.datetime,
                         report: ImportReport) -> None:
    """Keep running loops' future events in step with the organisation.

    A removed unit's future events are cancelled (its meetings' invitations get a CANCEL) and its
    emails not yet sent are withdrawn. A unit whose people changed keeps its events with the new
    people; when its chief or leader changed, everyone gets the update, else only those concerned."""
    if not (diff.removed or diff.people_changed):
        return
    units = org.by_id()
    changed_units = {u for u, *_ in diff.people_changed}
    hosts_changed = {u for u, role, *_ in diff.people_changed if role in HOST_ROLES}
    removed = set(diff.removed)
    for loop in uow.loops.active():
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        gone = []
        for row in uow.events.future(loop.id, now, sorted(removed | changed_units)):
            if row.kind in MEETING_KINDS and row.start <= now:
                continue  # a meeting under way is left as it is
            if row.unit_id in removed:
                gone.append(uow.events.get(row.uid, tz))
                continue
            if row.unit_id not in units:
                continue
            event = uow.events.get(row.uid, tz)
            changed = event.with_attendees(tuple(event_attendees(fw, units[row.unit_id], row.kind, row.number,
                                                                 event.details)),
                                           update_all=row.unit_id in hosts_changed)
            _record_people(uow, changed, now, report)
        _cancel(uow, gone, "unit removed from the organisation", "the unit was removed from the organisation",
                tz, now, report)
        _follow_networks(uow, fw, loop.id, tz, units, removed | changed_units, removed, now, report)
        _follow_visits(uow, fw, loop.id, tz, units, removed | changed_units, removed, now, report)


def _follow_networks(uow, fw, loop_id: str, tz, units: dict, touched: set[str], removed: set[str],
                     now: dt.datetime, report: ImportReport) -> None:
    """The leader networks' theme meetings ahead follow their units' people: a new leader is
    invited, the one replaced (or a removed unit's) gets a CANCEL; the others are not bothered."""
    for event in uow.events.shared(loop_id, tz):
        members = event.details.get("units") or []
        if (event.kind != "network_meeting" or event.status == "cancelled" or event.start <= now
                or not touched.intersection(members)):
            continue
        event = uow.events.get(event.uid, tz)  # `shared` reads the list without attendees
        changed = event.with_attendees(network_attendees(fw, [units[u] for u in members
                                                              if u in units and u not in removed]))
        _record_people(uow, changed, now, report)


def _follow_visits(uow, fw, loop_id: str, tz, units: dict, touched: set[str], removed: set[str],
                   now: dt.datetime, report: ImportReport) -> None:
    """Observation visits ahead follow the visiting unit's people as well as the host's (whose
    follow through event_attendees): the team is the visiting unit's people now. A visit whose
    visiting unit was removed is cancelled, with its feedback talk and deadlines."""
    if fw.observation_visits is None:
        return
    gone = []
    events = uow.events.of_loop(loop_id, tz)
    # A visit still ahead decides for its feedback talk and deadlines (one already due goes too).
    ahead = {e.uid for e in events if e.kind == observations.OBSERVATION_VISIT and e.start > now}
    for event in events:
        visitor = event.details.get("visitor_unit")
        visit = event.uid if event.kind == observations.OBSERVATION_VISIT else event.details.get("visit_uid")
        if (event.kind not in observations.KINDS or visitor not in touched or event.unit_id in removed
                or event.status == "cancelled" or visit not in ahead or event.unit_id not in units):
            continue
        if visitor in removed or visitor not in units:
            gone.append(event)
            continue
        with_team = replace(event, details={**event.details, "team": observations.team_detail(fw, units[visitor])})
        changed = with_team.with_attendees(event_attendees(fw, units[event.unit_id], event.kind, event.number,
                                                           with_team.details))
        _record_people(uow, changed, now, report)
    why = "the visiting unit was removed from the organisation"
    _cancel(uow, gone, why, why, tz, now, report)


def _cancel(uow, events: list, reason: str, withdrawn_because: str, tz, now: dt.datetime,
            report: ImportReport) -> None:
    """Cancel these events: invitations already sent get a CANCEL from the next dispatch, emails
    not yet sent are withdrawn."""
    for event in events:
        uow.events.record(*event.cancelled(reason=reason), now)
        report.cancelled_events.append(event.uid)
        report.cancelled_shown.append((event.start.astimezone(tz), event.title, event.all_day))
    uids = [e.uid for e in events]
    report.cancellations += uow.outbox.sent_invitations(uids)
    report.withdrawn += uow.outbox.withdraw(uids, withdrawn_because, now)


def _record_people(uow, changed, now: dt.datetime, report: ImportReport) -> None:
    """Store an event's new people (if any changed); what was not yet sent to those taken off is
    withdrawn (what was sent gets its CANCEL from the next dispatch)."""
    if changed is None:
        return
    uow.events.record(*changed, now)
    uid, taken_off = changed[0].uid, changed[1].detail["removed"]
    report.attendee_changes.append((uid, taken_off, changed[1].detail["added"]))
    if taken_off:
        report.withdrawn += uow.outbox.withdraw([uid], "taken off by an organisation update", now,
                                                recipients=taken_off)


def _report_clashes(uow, org: Organisation, diff: OrganisationDiff, now: dt.datetime, report: ImportReport) -> None:
    """Say what a re-import leaves for the administration to settle: people who now sit in two
    meetings at once, and units that no running loop plans for."""
    active = uow.loops.active()
    if not active:
        return
    units = org.by_id()
    for loop in active:
        fw = uow.loops.framework(loop)
        for uid in diff.added:
            if units[uid].sector in fw.areas[loop.area].sectors:
                report.outside_loops.append((uid, loop.id))
    changed = {uid for uid, *_ in diff.people_changed}
    if not changed:
        return
    fw = uow.loops.framework(active[0])
    tz = ZoneInfo(fw.timezone)
    meetings = [e for loop in active for e in uow.events.of_loop(loop.id, tz)
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


# -- holidays ------------------------------------------------------------------------------

_HOLIDAY_HEADER = ("calendar", "name", "start", "end")


@dataclass
class HolidayImport:
    added: int
    # Meetings of running loops that now fall in an imported period: (loop id, title, start, period name)
    clashes: list[tuple[str, str, dt.datetime, str]]


def parse_holiday_csv(text: str) -> list[HolidayPeriod]:
    """School holidays / closing days from CSV (calendar,name,start,end); every problem at once."""
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
    return periods


def import_holidays(uow, text: str, frameworks_dir: Path) -> HolidayImport:
    """Add school holidays or closing days to the calendars; all or nothing."""
    periods = parse_holiday_csv(text)
    with uow:
        known = _known_calendars(uow, frameworks_dir)
        unknown = sorted({p.calendar for p in periods} - known)
        if unknown:
            raise UserError(f"the holiday file names the calendar{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(repr(u) for u in unknown)}, which no framework uses "
                            f"(known: {', '.join(sorted(known))})")
        added = uow.holidays.save(periods)
        clashes = _meetings_in(uow, periods)
        uow.commit()
    return HolidayImport(added, clashes)


def _known_calendars(uow, frameworks_dir: Path) -> set[str]:
    """Holiday calendars a period may belong to: shipped, imported, or named by a framework."""
    names = {p.calendar for p in shipped_holidays(frameworks_dir)} | {p.calendar for p in uow.holidays.load()}
    names |= framework_holiday_calendars(frameworks_dir)
    for content in uow.loops.framework_contents():
        names |= calendars_named(content)
    return names


def _meetings_in(uow, periods: list[HolidayPeriod]) -> list[tuple[str, str, dt.datetime, str]]:
    out = []
    for loop in uow.loops.active():
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        for e in uow.events.of_loop(loop.id, tz):
            if not e.is_meeting or e.status == "cancelled" or not e.sector:
                continue
            calendar = fw.holidays.school_holidays.get(e.sector)
            if calendar is None:
                continue
            day = e.start.astimezone(tz).date()
            for p in periods:
                if p.calendar == calendar and p.covers(day):
                    out.append((loop.id, e.title, e.start.astimezone(tz), p.name))
    return out
