"""Use cases of one event: move it (dependent deadlines follow a talk) or cancel it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle import observations
from cycle.events import OBSERVATION_FEEDBACK, OBSERVATION_VISIT
from cycle.kinds import deadline_for_event_kind
from cycle.planner import LoopSpec, LoopTimeline, talk_dependents
from cycle.rules import check_placement
from kvalitetsloop.errors import MoveRefused, NotFound, UserError
from kvalitetsloop.usecases.loops import meetings_of_other_loops, working_calendar


@dataclass
class EventChangeReport:
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


def dst_gap(value: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether a local time falls in the hour the clocks skip in spring (it exists on no clock)."""
    back = value.astimezone(dt.timezone.utc).astimezone(tz)
    return back.replace(tzinfo=None) != value.replace(tzinfo=None)


def _event_row(uow, uid: str):
    row = uow.events.row(uid)
    if row is None:
        raise NotFound(f"there is no event with uid '{uid}'")
    return row


def placement_problems(uow, loop, fw, cal, event, start: dt.datetime, end: dt.datetime, events, now: dt.datetime,
                       others: list | None = None) -> list[str]:
    """Why `event` cannot be held from start to end (cycle.rules.check_placement): within the
    loop's span, on the unit's working day, in working hours, nobody double-booked in this loop
    or another running one (`others`: those meetings, when the caller tries many times)."""
    tz = ZoneInfo(fw.timezone)
    tl = LoopTimeline(fw, cal, loop.council_date)
    span = (tl.clock.add_weeks(tl.first_day, -4), tl.next_council)
    if others is None:
        others = meetings_of_other_loops(uow, loop.id, tz)
    return check_placement(event, start, end, events, fw, cal, tz, others=others, now=now, loop_span=span)


def move_event(uow, frameworks_dir: Path, uid: str, start_text: str, now: dt.datetime,
               force: bool = False) -> EventChangeReport:
    """Move a meeting or deadline; refused with the reasons if it breaks a rule, unless forced."""
    with uow:
        row = _event_row(uow, uid)
        if row.status == "cancelled":
            raise UserError(f"the event '{row.title}' is cancelled and cannot be moved")
        loop = uow.loops.get(row.loop_id)
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        cal = working_calendar(uow, fw, frameworks_dir)
        start = parse_when(start_text, tz)
        gap = []
        if row.all_day:
            start = dt.datetime.combine(start.astimezone(tz).date(), dt.time(), tz)
        elif start.tzinfo is tz and dst_gap(start, tz):
            gap.append(f"{start:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks go forward that night)")
            start = start.astimezone(dt.timezone.utc).astimezone(tz)  # the same instant: summer time
        events = uow.events.of_loop(row.loop_id, tz)
        event = next(e for e in events if e.uid == uid)
        # The meeting keeps its length in real time, also across a change of the clocks.
        if row.all_day:
            end = start + (event.end - event.start)
        else:
            utc = dt.timezone.utc
            end = (start.astimezone(utc) + (event.end.astimezone(utc) - event.start.astimezone(utc))).astimezone(tz)
        if start == event.start:
            raise UserError(f"the event '{row.title}' already starts at {start.isoformat()}")
        tl = LoopTimeline(fw, cal, loop.council_date)
        problems = gap + placement_problems(uow, loop, fw, cal, event, start, end, events, now)
        dependents = []
        if row.kind == "learning_talk" and row.unit_id:
            unit = uow.organisation.load().by_id().get(row.unit_id)
            if unit is not None:
                spec = LoopSpec(loop.id, loop.area, loop.council_date, tuple(loop.themes))
                moved = event.with_changes(start=start.astimezone(tz), end=end.astimezone(tz))
                dependents = talk_dependents(fw, tl, spec, unit, moved)
                for dep in dependents:
                    # A form due after the talk may fall due later; the talk's earlier deadlines may not lie in the past.
                    if deadline_for_event_kind(dep.kind).talk != "after" and dep.start < now:
                        problems.append(f"its {dep.title.split(':')[0].lower()} would fall on "
                                        f"{dep.start.date().isoformat()}, which has passed")
        if row.kind == OBSERVATION_VISIT:
            # The feedback talk closes the visit's day, so it goes along, under the same rules.
            moved = event.with_changes(start=start.astimezone(tz), end=end.astimezone(tz))
            dependents = observations.visit_dependents(fw, cal, moved, events)
            for dep in dependents:
                if dep.kind == OBSERVATION_FEEDBACK:
                    problems += [f"its feedback talk: {p}" for p in placement_problems(
                        uow, loop, fw, cal, next(e for e in events if e.uid == dep.uid), dep.start, dep.end,
                        [e for e in events if e.uid != uid] + [moved], now)]
                elif dep.start < now:
                    problems.append(f"its {dep.title.split(':')[0].lower()} would fall on "
                                    f"{dep.start.date().isoformat()}, which has passed")
        if problems and not force:
            raise MoveRefused(problems)
        new, change = event.moved(start, end, forced_over=problems)
        uow.events.record(new, change, now)
        report = EventChangeReport(uid, row.title, "moved", new.sequence, start.astimezone(tz), forced_over=problems)
        by_uid = {e.uid: e for e in events}
        for dep in dependents:
            current = by_uid.get(dep.uid)
            if current is None or current.status == "cancelled" or current.start == dep.start:
                continue
            moved_dep, dep_change = current.moved(dep.start, dep.end, because=uid, details=dep.details)
            uow.events.record(moved_dep, dep_change, now)
            report.dependents.append((dep.uid, current.title, dep.start))
        uow.commit()
    return report


def cancel_event(uow, uid: str, now: dt.datetime) -> EventChangeReport:
    """Cancel a meeting or deadline; a talk's deadlines (data package, statement, form) go with it,
    and an observation visit's feedback talk, agreement and summary with the visit."""
    with uow:
        row = _event_row(uow, uid)
        if row.status == "cancelled":
            raise UserError(f"the event '{row.title}' is already cancelled")
        tz = ZoneInfo(uow.loops.framework(uow.loops.get(row.loop_id)).timezone)
        event = uow.events.get(uid, tz)
        if event.is_meeting and event.start <= now:
            raise UserError(f"the meeting '{row.title}' has already taken place "
                            f"({event.start.date().isoformat()}) and cannot be cancelled")
        new, change = event.cancelled()
        uow.events.record(new, change, now)
        report = EventChangeReport(uid, row.title, "cancelled", new.sequence, event.start)
        if row.kind == "learning_talk":
            dependents = uow.events.children(uid, tz)
        elif row.kind == OBSERVATION_VISIT:
            # Its feedback talk, agreement and summary are the visit's (details.visit_uid).
            dependents = [e for e in uow.events.of_loop(row.loop_id, tz)
                          if e.details.get("visit_uid") == uid and e.status != "cancelled"]
        else:
            dependents = []
        for dep in dependents:
            uow.events.record(*dep.cancelled(because=uid), now)
            report.dependents.append((dep.uid, dep.title, dep.start))
        uow.commit()
    return report
