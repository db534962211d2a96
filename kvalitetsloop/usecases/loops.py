"""Use cases of loops: start one (or preview it), list them, view one, and their status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy.exc

from cycle.events import Event
from cycle.framework import Framework
from cycle.organisation import Organisation, parse_organisation
from cycle.summary import ChiefSummary, milestones, per_chief_of_tallies
from cycle.planner import LoopSpec, PlanningError, parity_problem, plan_loop
from cycle.workcalendar import WorkCalendar
from kvalitetsloop.errors import (CouncilDatePassed, CouncilYearRefused, LoopExists, NoOrganisation, NotFound,
                                  PastMilestones, PreviewChanged, UserError, WrongLoopStart)
from kvalitetsloop.frameworks import LoadedFramework, load_framework, shipped_holidays
from kvalitetsloop.usecases.organisation import ImportReport, import_into
from kvalitetsloop.usecases.previews import digest, event_facts
from storage.models import FrameworkRow, LoopRow


@dataclass
class StartedLoop:
    loop_id: str
    area: str
    council_date: dt.date
    framework: LoadedFramework
    events: list[Event]
    organisation: Organisation
    dry_run: bool
    # The organisation file imported with the start (the web's start page), and its effect.
    imported: ImportReport | None = None

    @property
    def fingerprint(self) -> str:
        """The plan as a hash (every event's uid, time, status and people, the framework, the
        import): a confirmation starts the loop only when it still equals its preview's."""
        events = sorted(event_facts(e) for e in self.events)
        imported = self.imported.fingerprint if self.imported else None
        return digest((self.loop_id, self.framework.content_hash, imported, events))


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


def loop_id_for(area: str, council_date: dt.date) -> str:
    return f"{area}-{council_date.isoformat()}"


def working_calendar(uow, fw: Framework, frameworks_dir: Path) -> WorkCalendar:
    """The framework's working days: shipped holiday calendars plus the imported periods."""
    return WorkCalendar(fw, shipped_holidays(frameworks_dir) + uow.holidays.load())


def meetings_of_other_loops(uow, loop_id: str | None, tz: ZoneInfo) -> list[Event]:
    """The meetings people already have in the other running loops (a chief sits in both areas)."""
    out: list[Event] = []
    for other in uow.loops.active():
        if other.id != loop_id:
            out.extend(e for e in uow.events.of_loop(other.id, tz) if e.is_meeting and e.status != "cancelled")
    return out


def start_loop(uow, frameworks_dir: Path, framework_name: str, area: str, council_date: dt.date | None,
               now: dt.datetime, dry_run: bool = False, allow_any_year: bool = False,
               themes: tuple[str, ...] = (), allow_past: bool = False, past: str | None = None,
               organisation_text: str | None = None, expect: str | None = None,
               start_date: dt.date | None = None) -> StartedLoop:
    """Plan a new two-year loop for an area and store it (or, dry run, only plan it).

    Events that would lie before today are refused (PastMilestones) unless `past` is "held": then
    they are stored as held, and nothing is sent for them. With `organisation_text` the
    organisation file is imported in the same transaction and the loop planned on it (a file
    that would remove units from running loops is refused: that is an organisation update). With
    `expect` (a dry run's fingerprint) nothing is stored unless the plan is still the one
    previewed (PreviewChanged).

    A framework with a council starts its loop at the council meeting (`council_date`); one
    without (Albertslund [004]) on `start_date`. The other date is refused (WrongLoopStart); the
    loop's id and stored date are the one given."""
    if (council_date is None) == (start_date is None):
        raise UserError("give either the council date or the loop's start date")
    org_file = parse_organisation(organisation_text) if organisation_text is not None else None
    if past not in (None, "held"):
        raise UserError(f"past events can only be recorded as 'held', not '{past}'")
    which = "council date" if council_date is not None else "start date"
    council_date = council_date or start_date
    if not 2000 <= council_date.year <= 2100:
        raise UserError(f"the {which} {council_date.isoformat()} is not a plausible date for a loop")
    for theme in themes:
        if not theme.strip():
            raise UserError("a theme of the quality report must not be empty")
        if any(not ch.isprintable() for ch in theme):
            raise UserError("a theme of the quality report must be one line without control characters")
        if len(theme) > 200:
            raise UserError("a theme of the quality report must be at most 200 characters")
    themes = tuple(t.strip() for t in themes)
    loaded = load_framework(framework_name, frameworks_dir)
    fw = loaded.framework
    if fw.has_council == (start_date is not None):
        raise WrongLoopStart(fw.name, "council" if fw.has_council else "start")
    if area not in fw.areas:
        raise UserError(f"the framework '{fw.name}' has no area '{area}' (it has {', '.join(fw.areas)})")
    problem = parity_problem(fw, area, council_date)
    if problem and not allow_any_year:
        raise CouncilYearRefused(problem)
    loop_id = loop_id_for(area, council_date)
    with uow:
        if uow.loops.get(loop_id):
            raise LoopExists(loop_id)
        imported = import_into(uow, org_file, now) if org_file is not None else None
        if imported is not None and imported.needs_apply:
            raise UserError(f"the organisation file leaves out {len(imported.diff.removed)} units of the running "
                            f"loops ({', '.join(imported.diff.removed[:10])}); update the organisation first")
        org = uow.organisation.load()
        if not org.units:
            raise NoOrganisation("no organisation has been imported yet")
        busy = meetings_of_other_loops(uow, None, ZoneInfo(fw.timezone))
        cal = working_calendar(uow, fw, frameworks_dir)
        try:
            plan = plan_loop(org, fw, cal, LoopSpec(loop_id, area, council_date, tuple(themes)), busy=busy)
        except PlanningError as exc:
            raise UserError(f"the loop cannot be planned: {exc}") from None
        # After planning, so that a mistake in the framework is named first.
        today = now.astimezone(ZoneInfo(fw.timezone)).date()
        if council_date < today and not allow_past:
            raise CouncilDatePassed(f"the {which} {council_date.isoformat()} has passed "
                                    f"(today is {today.isoformat()})")
        events = _treat_past(plan.events, today, past)
        started = StartedLoop(loop_id, area, council_date, loaded, events, org, dry_run, imported)
        if expect is not None and started.fingerprint != expect:
            raise PreviewChanged("the plan is no longer the one previewed (the organisation, the other loops "
                                 "or the holidays changed meanwhile)")
        if not dry_run:
            try:
                fwrow = uow.loops.store_framework(fw.name, fw.version, loaded.content_hash, loaded.content, now)
                uow.loops.add(LoopRow(id=loop_id, area=area, council_date=council_date, framework_id=fwrow.id,
                                      themes=list(themes), allow_any_year=allow_any_year, created_at=now))
                uow.events.add_planned(loop_id, events, now)
                uow.commit()
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
                # Another start of the same loop may have committed first (PostgreSQL: a duplicate
                # key; SQLite: our read snapshot is stale, "database is locked"): one loop, and
                # this one says so. Anything else goes on as it was.
                uow.rollback()
                if uow.loops.get(loop_id) is not None:
                    raise LoopExists(loop_id) from None
                raise
    return started


def past_events(events: list[Event], today: dt.date) -> list[Event]:
    """The planned events whose day lies before today: milestones a loop started late has missed."""
    return [e for e in events if e.start.date() < today]


def _treat_past(events: list[Event], today: dt.date, past: str | None) -> list[Event]:
    """Refuse a plan with events before today, or (past="held") mark them held: they stay in the
    plan as what happened, and no invitation or reminder goes out for them."""
    missed = past_events(events, today)
    if not missed:
        return events
    if past != "held":
        raise PastMilestones(today, missed)
    held = {e.uid for e in missed}
    return [e.with_changes(status="held", details={**e.details, "held_before_loop_start": True})
            if e.uid in held else e for e in events]


def require_loop(uow, loop_id: str) -> LoopRow:
    loop = uow.loops.get(loop_id)
    if loop is None:
        ids = uow.loops.ids()
        known = f" (known loops: {', '.join(ids)})" if ids else " (no loop has been started yet)"
        raise NotFound(f"there is no loop '{loop_id}'{known}")
    return loop


def view_loop(uow, loop_id: str) -> LoopView:
    """A loop with its framework, every event, and the organisation."""
    with uow:
        loop = require_loop(uow, loop_id)
        fw = uow.loops.framework(loop)
        return LoopView(loop, uow.loops.framework_row(loop), fw, uow.events.of_loop(loop_id, ZoneInfo(fw.timezone)),
                        uow.organisation.load())


def list_loops(uow) -> list[LoopRow]:
    with uow:
        return uow.loops.all()


def active_views(uow) -> list[LoopView]:
    """A view of every running loop."""
    return [view_loop(uow, l.id) for l in list_loops(uow) if l.status == "active"]


@dataclass
class LoopStatus:
    loop: LoopRow
    past: dict[str, int]
    upcoming: dict[str, int]
    cancelled: int
    next_events: list[Event]
    # False: the loop's date is its start date (a framework without a council).
    has_council: bool = True


def loop_status(uow, now: dt.datetime, next_count: int = 10) -> list[LoopStatus]:
    """Each loop: how many events of each kind lie behind and ahead of `now`, and the next ones.

    Counted by the database and only the next events read: a national loop has tens of thousands."""
    out = []
    with uow:
        for loop in uow.loops.all():
            fw = uow.loops.framework(loop)
            tz = ZoneInfo(fw.timezone)
            past: dict[str, int] = {}
            upcoming: dict[str, int] = {}
            cancelled = 0
            for kind, status, ended, n in uow.events.counts(loop.id, now):
                if status == "cancelled":
                    cancelled += n
                    continue
                bucket = past if ended else upcoming
                bucket[kind] = bucket.get(kind, 0) + n
            out.append(LoopStatus(loop, past, upcoming, cancelled, uow.events.next_live(loop.id, now, next_count, tz),
                                  fw.has_council))
    return out


@dataclass
class LoopSummary:
    """What `loop show` says of a loop: its framework, how many events, the shared milestones and
    each chief's share (or one unit's events)."""
    loop: LoopRow
    framework: FrameworkRow
    event_count: int
    milestones: list[Event] = field(default_factory=list)
    per_chief: list[ChiefSummary] = field(default_factory=list)
    unit_events: list[Event] = field(default_factory=list)
    # False: the loop's date is its start date (a framework without a council).
    has_council: bool = True


def summarise_loop(uow, loop_id: str, unit_id: str | None = None) -> LoopSummary:
    """A loop's milestones and per-chief summary, or with `unit_id` that unit's events, read by
    aggregate queries rather than loading the whole loop."""
    with uow:
        loop = require_loop(uow, loop_id)
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        summary = LoopSummary(loop, uow.loops.framework_row(loop), uow.events.count(loop_id),
                              has_council=fw.has_council)
        if unit_id is not None:
            summary.unit_events = uow.events.of_unit(loop_id, unit_id, tz)
        else:
            summary.milestones = milestones(uow.events.shared(loop_id, tz))
            summary.per_chief = per_chief_of_tallies(*uow.events.live_tallies(loop_id, tz))
        return summary


@dataclass
class PersonInLoop:
    """One person's events of a loop, with the loop, its framework and the units those events
    concern (what a feed describes them with); not the whole loop."""
    loop: LoopRow
    fw: Framework
    events: list[Event]
    organisation: Organisation


def person_in_loops(uow, email: str, loop_id: str | None = None) -> list[PersonInLoop]:
    """A person's events in one loop, or in every running loop (one entry per loop, even empty)."""
    email = email.strip().lower()
    out = []
    with uow:
        loops = [require_loop(uow, loop_id)] if loop_id else uow.loops.active()
        for loop in loops:
            fw = uow.loops.framework(loop)
            events = uow.events.of_person(loop.id, email, ZoneInfo(fw.timezone))
            units = sorted({e.unit_id for e in events if e.unit_id})
            out.append(PersonInLoop(loop, fw, events, uow.organisation.units(units)))
    return out
