"""What the administration pages show beyond the reports: one loop's phases and what is next, a
unit's two years, a chief's view. Pure functions of a loop's facts (kvalitetsloop.reports.facts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cycle import kinds
from cycle.events import Event
from cycle.phases import Phase, PhaseState, current_phase, phase_states
from cycle.organisation import Unit
from kvalitetsloop.reports.facts import LoopFacts, Submitted
from kvalitetsloop.reports.status import Overdue, UnitStatus, status_figures


@dataclass
class LoopPage:
    facts: LoopFacts
    phase: Phase | None
    states: list[PhaseState]
    next_events: list[Event]
    overdue: int
    chiefs: list[tuple[str, str, int]]  # (email, name, units)


def loop_page(facts: LoopFacts, next_count: int = 12) -> LoopPage:
    states = phase_states(facts.fw, facts.events, facts.submitted(), facts.now)
    live = [e for e in facts.events if e.status != "cancelled"]
    # Shared milestones first, then the units' meetings and deadlines, in time order.
    nxt = sorted((e for e in live if e.end > facts.now), key=lambda e: (e.start, e.unit_id or ""))[:next_count]
    chiefs: dict[str, list] = {}
    for u in facts.units:
        c = chiefs.setdefault(u.chief.email, [u.chief.name, 0])
        c[1] += 1
    return LoopPage(facts, current_phase(states, facts.now), states, nxt, len(status_figures(facts).overdue),
                    [(email, name, n) for email, (name, n) in sorted(chiefs.items())])


@dataclass
class UnitEvent:
    event: Event
    submissions: list[Submitted]
    wanted: str | None  # what the deadline asks for (its submission kind), None for a meeting


@dataclass
class UnitPage:
    unit: Unit
    events: list[UnitEvent]
    status: UnitStatus | None


def unit_page(facts: LoopFacts, unit_id: str) -> UnitPage | None:
    unit = facts.organisation.by_id().get(unit_id)
    if unit is None:
        return None
    subs: dict[str, list[Submitted]] = {}
    for s in facts.submissions:
        subs.setdefault(s.event_uid, []).append(s)
    rows = []
    for e in facts.events:
        if e.unit_id != unit_id:
            continue
        d = kinds.deadline_for_event_kind(e.kind)
        rows.append(UnitEvent(e, subs.get(e.uid, []), d.submission if d else None))
    status = next((u for u in status_figures(facts).units if u.unit_id == unit_id), None)
    return UnitPage(unit, rows, status)


@dataclass
class ChiefPage:
    email: str
    name: str
    units: list[UnitStatus]
    this_week: list[Event]
    overdue: list[Overdue]


def chief_page(facts: LoopFacts, email: str) -> ChiefPage | None:
    email = email.strip().lower()
    mine = {u.id: u for u in facts.units if u.chief.email.lower() == email}
    if not mine:
        return None
    name = next(iter(mine.values())).chief.name
    local = facts.now.astimezone(facts.tz)
    monday = (local - dt.timedelta(days=local.weekday())).date()
    week = [e for e in facts.events if e.status != "cancelled" and e.unit_id in mine
            and monday <= e.start.astimezone(facts.tz).date() < monday + dt.timedelta(days=7)]
    figures = status_figures(facts)
    return ChiefPage(email, name, [u for u in figures.units if u.unit_id in mine],
                     sorted(week, key=lambda e: e.start), [o for o in figures.overdue if o.unit_id in mine])
