"""A unit joining a running loop: its remaining talks, data packages, one-to-ones, deadlines and
observation visits.

The loop's own planner places them (`cycle.planner`), with the meetings everyone already has
booked around, under the same rules as a whole plan; only days from `not_before` on are offered,
so nothing lands in the past or too close for its data package to be ready in time. A talk whose
window has run out is left out with the reason; when no window is left the unit cannot join.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cycle.events import Event
from cycle.framework import Framework
from cycle.layer_followups import plan_next_layer_followups
from cycle.observations import join_visits
from cycle.organisation import Organisation, Unit
from cycle.planner import LoopSpec, LoopTimeline, PlanningError, _Planner
from cycle.workcalendar import WorkCalendar


@dataclass
class JoiningPlan:
    unit: Unit
    events: list[Event]
    # (talk number, why it is not planned): its window ended, or ends too soon
    left_out: list[tuple[int, str]] = field(default_factory=list)
    # Other units' events that change for it: a visit ahead shared out anew (a new visiting team).
    changed: list[Event] = field(default_factory=list)
    # What the unit does not get besides talks, a sentence each (a loop-year without its visit).
    not_planned: list[str] = field(default_factory=list)

    @property
    def talks(self) -> list[Event]:
        return [e for e in self.events if e.kind == "learning_talk"]


class _FromDay:
    """The working calendar with no meeting days before `first` (deadlines still count back)."""

    def __init__(self, cal: WorkCalendar, first: dt.date):
        self._cal, self._first = cal, first

    def working_days(self, start: dt.date, end: dt.date, sector: str | None = None) -> list[dt.date]:
        return self._cal.working_days(max(start, self._first), end, sector)

    def __getattr__(self, name):
        return getattr(self._cal, name)


def earliest_talk_day(fw: Framework, cal: WorkCalendar, unit: Unit, today: dt.date) -> dt.date:
    """The first day a joining unit's talk may take: its data package, board statement and youth
    input must all still fall due after today (the package is then ordered at once, marked late)."""
    lead = fw.data_packages.available_working_days_before_talk if fw.data_packages else 1
    lead = max(lead, fw.board_statements.due_working_days_before_talk)
    if fw.youth_input:
        lead = max(lead, fw.youth_input.due_working_days_before_talk)
    return cal.add_working_days(today, lead + 1, unit.sector)


def plan_joining_unit(unit: Unit, fw: Framework, cal: WorkCalendar, spec: LoopSpec, busy: list[Event],
                      today: dt.date, existing: list[Event] = (), units: dict | None = None) -> JoiningPlan:
    """Plan `unit` into the running loop `spec` from `today` on; PlanningError says why it cannot.
    `existing`: the loop's events and `units` the organisation by id, for the observation visits
    the unit takes its part in (`cycle.observations.join_visits`)."""
    if unit.sector not in fw.areas[spec.area].sectors:
        raise PlanningError(f"{unit.id} is a {unit.sector} unit and the loop {spec.loop_id} plans the "
                            f"{spec.area} area ({', '.join(fw.areas[spec.area].sectors)})")
    first = earliest_talk_day(fw, cal, unit, today)
    tl = LoopTimeline(fw, cal, spec.council_date)
    planner = _Planner(Organisation((unit,)), fw, _FromDay(cal, first), spec)
    planner.book_existing(busy)
    left_out: list[tuple[int, str]] = []
    remaining: list[int] = []
    # A unit removed and restored keeps the talks it held before: those are not planned again.
    held = {e.number: e for e in existing
            if e.kind == "learning_talk" and e.unit_id == unit.id and e.status != "cancelled"}
    lead = "its data package and deadlines" if fw.data_packages else "its deadlines"
    for n, w in enumerate(tl.talk_windows(unit.sector), start=1):
        if n in held:
            left_out.append((n, f"it took place on {held[n].start.astimezone(planner.clock.tz).date().isoformat()}"))
        elif cal.working_days(max(w.start, first), w.end, unit.sector):
            remaining.append(n)
        elif w.end < today:
            left_out.append((n, f"its window ended on {w.end.isoformat()}"))
        else:
            left_out.append((n, f"its window ends on {w.end.isoformat()}, before {first.isoformat()}, the first "
                                f"day that leaves {lead} time"))
    if not remaining:
        raise PlanningError(f"no talk window of the loop {spec.loop_id} is left for {unit.id}: "
                            + "; ".join(f"talk {n}: {why}" for n, why in left_out))
    for n in remaining:
        planner._talks(n)
    planner.one_to_ones_held[unit.id] = max((e.number or 0 for e in existing if e.kind == "one_to_one"
                                             and e.unit_id == unit.id and e.status != "cancelled"), default=0)
    planner._one_to_ones()
    plan_next_layer_followups(planner)
    before_visits = len(planner.events)
    changed, not_planned = join_visits(planner, unit, existing, units or {}, today, first)
    # The visits its joining brings about, also those other units host (its team's, or a team
    # moved on to a unit left without one), with their feedback talks and deadlines.
    visits = {e.uid for e in planner.events[before_visits:]}
    planner._deadlines()
    start_of_today = planner.clock.midnight(today)
    events = [e for e in planner.events if (e.unit_id == unit.id or e.uid in visits)
              and e.start >= start_of_today]
    events.sort(key=lambda e: (e.start, e.kind, e.number or 0, e.uid))
    return JoiningPlan(unit, events, left_out, changed, not_planned)
