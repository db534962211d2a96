"""Extra one-to-ones for one unit of a running loop, beyond the plan's six a loop-year.

"Der vil være minimum 6 årlige ledelsesopfølgninger mellem Børn og Ungechef og tilbuddets leder.
Børn og Unge-chefen og den lokale leder kan beslutte at afholde flere opfølgninger, hvis er lokalt
er behov for det." [003]. An extra one-to-one is an ordinary `one_to_one` event (the chief and the
leader, hosted by the chief), so the dispatch invites to it, the status report and the six-a-year
check count it; its details say `extra` so a reader can tell it from the planned ones. The rules
its time must keep are a moved meeting's (cycle.rules.check_placement); this module builds the
event and says which days to try when the administration leaves the times to the system.
"""

from __future__ import annotations

import datetime as dt

from cycle.events import Event, make_uid
from cycle.framework import Framework
from cycle.organisation import Unit
from cycle.planner import event_attendees

# The uid part that keeps an extra one-to-one apart from the planned ones of the same number.
EXTRA_PART = "extra"


def talk_days(events: list[Event], unit_id: str, tz) -> dict[int, dt.date]:
    """The unit's live learning talks by number, as local days."""
    return {e.number: e.start.astimezone(tz).date() for e in events
            if e.unit_id == unit_id and e.kind == "learning_talk" and e.status != "cancelled" and e.number}


def after_talk(talks: dict[int, dt.date], day: dt.date) -> int | None:
    """The talk an extra one-to-one on `day` follows (None: it comes before talk 1)."""
    before = [n for n, d in talks.items() if d < day]
    return max(before) if before else None


def extra_one_to_one(fw: Framework, loop_id: str, unit: Unit, number: int, start: dt.datetime,
                     talks: dict[int, dt.date]) -> Event:
    """An extra one-to-one of `unit` from `start` for the framework's one-to-one length; `number`
    comes after every one-to-one the unit has had in the loop (planned, extra or cancelled)."""
    utc = dt.timezone.utc
    end = (start.astimezone(utc) + dt.timedelta(minutes=fw.durations.one_to_one)).astimezone(start.tzinfo)
    return Event(uid=make_uid(loop_id, "one_to_one", unit.id, number, EXTRA_PART), kind="one_to_one",
                 start=start, end=end, title=f"Ekstra 1:1 ledelsesopfølgning: {unit.name}", unit_id=unit.id,
                 number=number, attendees=event_attendees(fw, unit, "one_to_one"), host_role="chief",
                 sector=unit.sector,
                 details={"after_talk": after_talk(talks, start.date()), "extra": True})


def gap_end(fw: Framework, talks: dict[int, dt.date], day: dt.date, next_council: dt.date) -> dt.date:
    """The last day of the stretch between talks that `day` lies in, kept the framework's distance
    from the next talk (or from the next council after the last talk)."""
    later = [d for d in talks.values() if d > day]
    end = min(later) if later else next_council
    return end - dt.timedelta(days=fw.one_to_ones.min_days_from_talk)


def candidate_days(days: list[dt.date], count: int) -> list[list[dt.date]]:
    """For each of `count` meetings spread over `days`, the days to try: the middle of its own
    part of the stretch first, then outwards, then the rest of the stretch."""
    out = []
    for j in range(count):
        part = days[j * len(days) // count:(j + 1) * len(days) // count] or days
        middle = part[len(part) // 2]
        order = sorted(part, key=lambda d: (abs((d - middle).days), d))
        out.append(order + [d for d in sorted(days, key=lambda d: abs((d - middle).days)) if d not in part])
    return out


def starts_in_day(fw: Framework, day: dt.date, tz) -> list[dt.datetime]:
    """The start times a one-to-one may take on `day`, inside working hours on the slot grid."""
    wh = fw.working_hours
    first, last = wh.start.hour * 60 + wh.start.minute, wh.end.hour * 60 + wh.end.minute
    return [dt.datetime(day.year, day.month, day.day, m // 60, m % 60, tzinfo=tz)
            for m in range(first, last - fw.durations.one_to_one + 1, fw.slot_minutes)]
