"""Use case: the administration adds extra one-to-ones for a unit of a running loop [003:
"Børn og Unge-chefen og den lokale leder kan beslutte at afholde flere opfølgninger, hvis er lokalt
er behov for det"] at a time it gives, or lets the system find times (cycle.extra_one_to_ones).

The time is checked as a moved meeting's is (kvalitetsloop.usecases.events.placement_problems):
not passed, inside the loop, the unit's working day (holidays, closing days, the summer), working
hours, nobody double-booked in this or another running loop, the distance from the unit's talks.
The next dispatch invites the chief and the leader like to any one-to-one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle.events import Event
from cycle.extra_one_to_ones import candidate_days, extra_one_to_one, gap_end, starts_in_day, talk_days
from cycle.planner import LoopTimeline
from kvalitetsloop.errors import NotFound, UserError
from kvalitetsloop.usecases.events import dst_gap, parse_when, placement_problems
from kvalitetsloop.usecases.loop_changes import running_loop
from kvalitetsloop.usecases.loops import meetings_of_other_loops, working_calendar

MAX_AT_ONCE = 12


class OneToOneRefused(UserError):
    """The given time breaks the rules a meeting keeps (the reasons in `problems`)."""

    def __init__(self, problems: list[str]):
        super().__init__(f"the one-to-one is refused because {'; and '.join(problems)}")
        self.problems = problems


@dataclass
class AddedOneToOnes:
    loop_id: str
    unit_id: str
    unit_name: str
    events: list[Event]
    # (first day, last day, one-to-ones of the unit in that loop-year) for each year they fall in
    years: list[tuple[dt.date, dt.date, int]]


def add_one_to_ones(uow, frameworks_dir: Path, loop_id: str, unit_id: str, now: dt.datetime,
                    at: str | None = None, count: int | None = None) -> AddedOneToOnes:
    """Plan one extra one-to-one at `at` (ISO; the framework's local time without an offset), or
    `count` of them spread over the rest of the stretch between the unit's talks it is now in."""
    if (at is None) == (count is None):
        raise UserError("give either --at with a time or --count with a number of one-to-ones")
    if count is not None and not 1 <= count <= MAX_AT_ONCE:
        raise UserError(f"--count must be between 1 and {MAX_AT_ONCE}, not {count}")
    with uow:
        loop = running_loop(uow, loop_id)
        unit = uow.organisation.load().by_id().get(unit_id)
        if unit is None:
            raise NotFound(f"there is no unit '{unit_id}' in the organisation")
        fw = uow.loops.framework(loop)
        if fw.one_to_ones is None:
            raise UserError(f"the framework {fw.name} has no one-to-ones, so the loop {loop_id} cannot have extra ones")
        tz = ZoneInfo(fw.timezone)
        events = uow.events.of_loop(loop_id, tz)
        mine = [e for e in events if e.unit_id == unit_id]
        if not any(e.kind == "learning_talk" for e in mine):
            raise UserError(f"{unit_id} takes no part in the loop {loop_id} (add it with 'loop add-unit' first)")
        cal = working_calendar(uow, fw, frameworks_dir)
        tl = LoopTimeline(fw, cal, loop.council_date)
        talks = talk_days(events, unit_id, tz)
        number = max((e.number or 0 for e in mine if e.kind == "one_to_one"), default=0) + 1
        added: list[Event] = []
        if at is not None:
            start = parse_when(at, tz)
            if start.tzinfo is tz and dst_gap(start, tz):
                raise UserError(f"{start:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks go forward that night)")
            event = extra_one_to_one(fw, loop_id, unit, number, start.astimezone(tz), talks)
            problems = placement_problems(uow, loop, fw, cal, event, event.start, event.end, events, now)
            if problems:
                raise OneToOneRefused(problems)
            added.append(event)
        else:
            today = now.astimezone(tz).date()
            first = today + dt.timedelta(days=1)
            last = gap_end(fw, talks, first, tl.next_council)
            days = [d for d in cal.working_days(first, last, unit.sector)
                    if not any(e.kind == "one_to_one" and e.status != "cancelled"
                               and e.start.astimezone(tz).date() == d for e in mine)]
            if len(days) < count:
                raise UserError(f"{unit_id} has {len(days)} free working day{'s' if len(days) != 1 else ''} for a "
                                f"one-to-one between {first.isoformat()} and {last.isoformat()} (the next talk or the "
                                f"loop's end, less {fw.one_to_ones.min_days_from_talk} days), not {count}")
            taken: set[dt.date] = set()
            others = meetings_of_other_loops(uow, loop_id, tz)
            for j, candidates in enumerate(candidate_days(days, count)):
                event = _first_that_fits(uow, loop, fw, cal, unit, number + j, candidates, taken, talks,
                                         events + added, others, now, tz)
                if event is None:
                    raise UserError(f"{unit.chief.email} and {unit.leader.email} have no common free time for "
                                    f"{count} one-to-ones between {first.isoformat()} and {last.isoformat()}")
                taken.add(event.start.date())
                added.append(event)
        uow.events.add_planned(loop_id, added, now)
        uow.commit()
    anniversary = tl.clock.add_years(loop.council_date, 1)
    spans = [(loop.council_date, anniversary - dt.timedelta(days=1)), (anniversary, tl.next_council - dt.timedelta(days=1))]
    live = [e for e in mine + added if e.kind == "one_to_one" and e.status != "cancelled"]
    years = [(a, b, sum(1 for e in live if a <= e.start.astimezone(tz).date() <= b)) for a, b in spans
             if any(a <= e.start.astimezone(tz).date() <= b for e in added)]
    return AddedOneToOnes(loop_id, unit_id, unit.name, added, years)


def _first_that_fits(uow, loop, fw, cal, unit, number, days, taken, talks, events, others, now, tz) -> Event | None:
    """The first start on `days` (in order) where an extra one-to-one keeps every rule."""
    for day in days:
        if day in taken:
            continue
        for start in starts_in_day(fw, day, tz):
            event = extra_one_to_one(fw, loop.id, unit, number, start, talks)
            if not placement_problems(uow, loop, fw, cal, event, event.start, event.end, events, now, others):
                return event
    return None
