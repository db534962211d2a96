"""What the administration pages show beyond the reports: one loop's phases and what is next, the
overdue list, a unit's two years, a chief's view. Use cases: each reads what its page shows (counts
by the database, one unit's or one chief's events by index), never the whole loop, so a national
loop's pages answer in well under a second."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cycle import kinds
from cycle.events import Event
from cycle.organisation import Unit
from cycle.phases import Phase, PhaseState, current_phase, phase_states_of_tallies
from kvalitetsloop.reports.facts import LoopFacts, Submitted, open_loop, submitted_of_rows
from kvalitetsloop.reports.status import Overdue, UnitStatus, overdue_list, status_figures
from kvalitetsloop.usecases.progress import stored_phase_tallies

# The overdue page lists the oldest this many; the rest are in its CSV file.
OVERDUE_SHOWN = 200


@dataclass
class LoopPage:
    facts: LoopFacts
    phase: Phase | None
    states: list[PhaseState]
    next_events: list[Event]
    overdue: int
    chiefs: list[tuple[str, str, int]]  # (email, name, units)


def loop_page(uow, loop_id: str, now: dt.datetime, next_count: int = 12) -> LoopPage:
    with uow:
        facts = open_loop(uow, loop_id, now)
        states = phase_states_of_tallies(facts.fw, stored_phase_tallies(uow, loop_id, now, facts.tz))
        # Shared milestones first, then the units' meetings and deadlines, in time order.
        nxt = uow.events.next_live(loop_id, now, next_count, facts.tz, shared_first=True)
        chiefs: dict[str, list] = {}
        for u in uow.reports.units(loop_id):
            c = chiefs.setdefault(u.chief_email, [u.chief_name or "", 0])
            c[1] += 1
        _, overdue = uow.reports.overdue(loop_id, now, kinds.SUBMISSION_OF_EVENT, limit=0)
    return LoopPage(facts, current_phase(states, now), states, nxt, overdue,
                    [(email, name, n) for email, (name, n) in sorted(chiefs.items())])


@dataclass
class OverduePage:
    facts: LoopFacts
    overdue: list[Overdue]  # the oldest `OVERDUE_SHOWN`, or all
    total: int


def overdue_page(uow, loop_id: str, now: dt.datetime, limit: int | None = OVERDUE_SHOWN) -> OverduePage:
    """The loop's overdue deadlines, longest overdue first: the first `limit` (None: all) and how many."""
    with uow:
        facts = open_loop(uow, loop_id, now)
        shown, total = overdue_list(uow, facts, limit=limit)
    return OverduePage(facts, shown, total)


@dataclass
class UnitEvent:
    event: Event
    submissions: list[Submitted]
    wanted: str | None  # what the deadline asks for (its submission kind), None for a meeting


@dataclass
class UnitPage:
    facts: LoopFacts
    unit: Unit
    events: list[UnitEvent]
    status: UnitStatus | None


def unit_page(uow, loop_id: str, now: dt.datetime, unit_id: str) -> UnitPage | None:
    with uow:
        facts = open_loop(uow, loop_id, now)
        found = uow.organisation.units([unit_id]).units
        if not found:
            return None
        events = uow.events.of_unit(loop_id, unit_id, facts.tz)
        subs: dict[str, list[Submitted]] = {}
        for s in submitted_of_rows(uow.reports.submissions_of_events(loop_id, [e.uid for e in events]), now):
            subs.setdefault(s.event_uid, []).append(s)
        rows = []
        for e in events:
            d = kinds.deadline_for_event_kind(e.kind)
            rows.append(UnitEvent(e, subs.get(e.uid, []), d.submission if d else None))
        status = status_figures(uow, facts, unit_ids=[unit_id]).units
    return UnitPage(facts, found[0], rows, status[0] if status else None)


@dataclass
class ChiefPage:
    facts: LoopFacts
    email: str
    name: str
    units: list[UnitStatus]
    this_week: list[Event]
    overdue: list[Overdue]


def chief_page(uow, loop_id: str, now: dt.datetime, email: str) -> ChiefPage | None:
    email = email.strip().lower()
    with uow:
        facts = open_loop(uow, loop_id, now)
        mine = uow.reports.units(loop_id, chief=email)
        if not mine:
            return None
        ids = [u.id for u in mine]
        local = now.astimezone(facts.tz)
        monday = (local - dt.timedelta(days=local.weekday())).date()
        week = uow.events.of_units_between(loop_id, ids, facts.local_midnight(monday),
                                           facts.local_midnight(monday + dt.timedelta(days=7)), facts.tz)
        figures = status_figures(uow, facts, unit_ids=ids)
    return ChiefPage(facts, email, mine[0].chief_name or "", figures.units, week, figures.overdue)
