"""The rules a planned event must keep when someone moves it (SPEC 3, "Meetings"; issue: event move).

`check_placement` returns every rule a new time breaks, in plain sentences; an empty list means the
move is allowed.
"""

from __future__ import annotations

import datetime as dt

from cycle.booking import Ledger, minutes
from cycle.events import Event
from cycle.framework import Framework
from cycle.workcalendar import WorkCalendar


def check_placement(event: Event, start: dt.datetime, end: dt.datetime, events: list[Event],
                    fw: Framework, cal: WorkCalendar, tz) -> list[str]:
    """Why `event` cannot be held from start to end, given the loop's other events."""
    problems: list[str] = []
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    reason = cal.closed_reason(day, event.sector)
    if reason:
        problems.append(f"{day.isoformat()} is not a working day for the unit ({reason})")
    if not event.is_meeting:
        return problems
    wh = fw.working_hours
    if local_end.date() != day or local_start.time() < wh.start or local_end.time() > wh.end:
        problems.append(f"the meeting must lie within working hours {wh.start:%H:%M}-{wh.end:%H:%M} on one day")
    ledger = Ledger(fw)
    for other in events:
        if other.uid == event.uid or not other.is_meeting or other.status == "cancelled":
            continue
        os, oe = other.start.astimezone(tz), other.end.astimezone(tz)
        ledger.book([a.email for a in other.attendees], os.date(), minutes(os.time()), minutes(oe.time()), other.uid)
    conflict = ledger.conflict([a.email for a in event.attendees], day, minutes(local_start.time()),
                               minutes(local_end.time()))
    if conflict:
        problems.append(conflict.reason)
    same_unit = [e for e in events if e.unit_id == event.unit_id and e.uid != event.uid and e.status != "cancelled"]
    if event.kind == "learning_talk":
        ws, we = event.details.get("window_start"), event.details.get("window_end")
        if ws and we and not (dt.date.fromisoformat(ws) <= day <= dt.date.fromisoformat(we)):
            problems.append(f"learning talk {event.number} must be held in its window {ws} to {we}")
        for other in same_unit:
            if other.kind != "learning_talk":
                continue
            od = other.start.astimezone(tz).date()
            if (other.number or 0) < (event.number or 0) and od >= day:
                problems.append(f"learning talk {event.number} must come after talk {other.number} ({od.isoformat()})")
            if (other.number or 0) > (event.number or 0) and od <= day:
                problems.append(f"learning talk {event.number} must come before talk {other.number} ({od.isoformat()})")
    margin = fw.one_to_ones.min_days_from_talk
    if event.kind == "one_to_one":
        for other in same_unit:
            if other.kind == "learning_talk":
                od = other.start.astimezone(tz).date()
                if abs((od - day).days) < margin:
                    problems.append(f"a one-to-one must be at least {margin} days from a learning talk "
                                    f"(talk {other.number} is on {od.isoformat()})")
    if event.kind == "learning_talk":
        for other in same_unit:
            if other.kind == "one_to_one":
                od = other.start.astimezone(tz).date()
                if abs((od - day).days) < margin:
                    problems.append(f"one-to-one {other.number} on {od.isoformat()} would be less than {margin} days "
                                    f"from the talk")
    return problems
