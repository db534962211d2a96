"""The rules a planned event must keep when someone moves it (SPEC 3, "Meetings"; issue: event move).

`check_placement` returns every rule a new time breaks, in plain sentences; an empty list means the
move is allowed.
"""

from __future__ import annotations

import datetime as dt

from cycle import kinds
from cycle.booking import Ledger, minutes
from cycle.events import Event
from cycle.framework import Framework
from cycle.workcalendar import WorkCalendar


class Problem(str):
    """A broken rule as the command line says it (the string itself), with the same in Danish
    (`da`) for a web page. Rules without a Danish sentence yet are plain strings."""

    da: str

    def __new__(cls, english: str, danish: str) -> "Problem":
        problem = super().__new__(cls, english)
        problem.da = danish
        return problem


def check_placement(event: Event, start: dt.datetime, end: dt.datetime, events: list[Event],
                    fw: Framework, cal: WorkCalendar, tz, *, others: list[Event] = (),
                    now: dt.datetime | None = None, loop_span: tuple[dt.date, dt.date] | None = None) -> list[str]:
    """Why `event` cannot be held from start to end, given the loop's other events (`events`) and
    the meetings of other running loops (`others`, which count only for double bookings)."""
    problems: list[str] = []
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    if now is not None and start < now:
        problems.append(Problem(f"{local_start:%Y-%m-%d %H:%M} has already passed",
                                f"tidspunktet {local_start:%d.%m.%Y kl. %H.%M} er passeret"))
    if loop_span and not (loop_span[0] <= day <= loop_span[1]):
        problems.append(Problem(f"{day.isoformat()} lies outside the loop, which runs from {loop_span[0].isoformat()} "
                                f"to {loop_span[1].isoformat()}",
                                f"{day:%d.%m.%Y} ligger uden for loopet, som løber fra {loop_span[0]:%d.%m.%Y} "
                                f"til {loop_span[1]:%d.%m.%Y}"))
    reason = cal.closed_reason(day, event.sector)
    if reason:
        problems.append(Problem(f"{day.isoformat()} is not a working day for the unit ({reason})",
                                f"{day:%d.%m.%Y} er ikke en arbejdsdag for tilbuddet ({reason})"))
    by_uid = {e.uid: e for e in events}
    parent = by_uid.get(event.parent_uid or "")
    if parent is not None and parent.status != "cancelled":
        talk_day = parent.start.astimezone(tz).date()
        deadline = kinds.deadline_for_event_kind(event.kind)
        relation = deadline.talk if deadline is not None else None
        if relation == "after" and day <= talk_day:
            problems.append(f"the {deadline.noun} must be due after its talk ({talk_day.isoformat()})")
        if relation == "before" and day >= talk_day:
            problems.append(f"it must come before its talk ({talk_day.isoformat()})")
    if not event.is_meeting:
        return problems
    wh = fw.working_hours
    if local_end.date() != day or local_start.time() < wh.start or local_end.time() > wh.end:
        problems.append(Problem(f"the meeting must lie within working hours {wh.start:%H:%M}-{wh.end:%H:%M} on one day",
                                f"mødet skal ligge inden for arbejdstiden kl. {wh.start:%H.%M}-{wh.end:%H.%M} på én dag"))
    ledger = Ledger(fw)
    for other in [*events, *others]:
        if other.uid == event.uid or not other.is_meeting or other.status == "cancelled":
            continue
        os, oe = other.start.astimezone(tz), other.end.astimezone(tz)
        ledger.book([a.email for a in other.attendees], os.date(), minutes(os.time()), minutes(oe.time()), other.uid)
    conflict = ledger.conflict([a.email for a in event.attendees], day, minutes(local_start.time()),
                               minutes(local_end.time()))
    if conflict:
        problems.append(Problem(conflict.reason, conflict.da))
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
    margin = fw.one_to_ones.min_days_from_talk if fw.one_to_ones else 0
    if event.kind == "one_to_one":
        after = event.details.get("after_talk")
        talk_days = {o.number: o.start.astimezone(tz).date() for o in same_unit if o.kind == "learning_talk"}
        if after in talk_days and day <= talk_days[after]:
            problems.append(f"one-to-one {event.number} belongs after talk {after} ({talk_days[after].isoformat()})")
        if after is not None and after + 1 in talk_days and day >= talk_days[after + 1]:
            problems.append(f"one-to-one {event.number} belongs before talk {after + 1} ({talk_days[after + 1].isoformat()})")
        for other in same_unit:
            if other.kind == "learning_talk":
                od = other.start.astimezone(tz).date()
                if abs((od - day).days) < margin:
                    problems.append(f"a one-to-one must be at least {margin} day{'s' if margin != 1 else ''} from a learning talk "
                                    f"(talk {other.number} is on {od.isoformat()})")
    if event.kind == "learning_talk":
        for other in same_unit:
            if other.kind == "one_to_one":
                od = other.start.astimezone(tz).date()
                if abs((od - day).days) < margin:
                    problems.append(f"one-to-one {other.number} on {od.isoformat()} would be less than {margin} day{'s' if margin != 1 else ''} "
                                    f"from the talk")
    return problems
