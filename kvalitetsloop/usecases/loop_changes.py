"""Use cases that change a running loop as a whole: plan a unit into it, cancel it, close it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy.exc

from cycle.events import MEETING_KINDS, Event, EventChange
from cycle.framework import Framework
from cycle.joining import plan_joining_unit
from cycle.planner import LoopSpec, PlanningError
from kvalitetsloop.errors import NotFound, PreviewChanged, UserError
from kvalitetsloop.usecases.loops import meetings_of_other_loops, require_loop, working_calendar
from kvalitetsloop.usecases.previews import digest, event_facts


@dataclass
class AddedUnit:
    loop_id: str
    unit_id: str
    unit_name: str
    events: list[Event]
    left_out: list[tuple[int, str]] = field(default_factory=list)
    # What the loop has that a unit joining it does not get, in a sentence each.
    not_planned: list[str] = field(default_factory=list)
    framework: Framework | None = field(default=None, compare=False)  # the loop's, for its words
    # Other units' events that change: visits ahead shared out anew (a new visiting team).
    changed: list[Event] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """What planning the unit in does, as a hash: the web's confirm stores the plan only while
        it is still the one its preview showed."""
        planned = [event_facts(e) for e in (*self.events, *self.changed)]
        return digest((self.loop_id, self.unit_id, planned, self.left_out, self.not_planned))


@dataclass
class EndedLoop:
    loop_id: str
    status: str
    cancelled_events: int = 0
    cancelled_meetings: int = 0
    # Meeting requests already sent for the cancelled meetings: each gets a CANCEL at the next dispatch.
    cancellations: int = 0
    withdrawn: int = 0


def running_loop(uow, loop_id: str):
    """The loop, if it is still running (not cancelled or closed)."""
    loop = require_loop(uow, loop_id)
    if loop.status != "active":
        raise UserError(f"the loop {loop_id} is {loop.status}, not running")
    return loop


def add_unit(uow, frameworks_dir: Path, loop_id: str, unit_id: str, now: dt.datetime, *, dry_run: bool = False,
             expect: str | None = None) -> AddedUnit:
    """Plan a unit of the organisation into a running loop: its remaining talks with their data
    packages and deadlines, its one-to-ones and its report-back, around everyone's meetings.
    `dry_run` works the plan out and stores nothing (the web's preview); with `expect`, nothing is
    stored unless the plan's fingerprint still equals it (PreviewChanged)."""
    with uow:
        loop = running_loop(uow, loop_id)
        units = uow.organisation.load().by_id()
        unit = units.get(unit_id)
        if unit is None:
            raise NotFound(f"there is no unit '{unit_id}' in the organisation (import it first with 'org import')")
        _refuse_if_taking_part(uow, loop_id, unit_id, now)
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        cal = working_calendar(uow, fw, frameworks_dir)
        busy = meetings_of_other_loops(uow, None, tz)  # this loop's meetings too
        existing = uow.events.of_loop(loop_id, tz)
        taken = {e.uid for e in existing}
        today = now.astimezone(tz).date()
        # A unit removed earlier and now restored has cancelled events under the plain uids:
        # its new events get their own.
        for attempt in range(100):
            spec = LoopSpec(loop_id if attempt == 0 else f"{loop_id}/added-{attempt}", loop.area,
                            loop.council_date, tuple(loop.themes or ()))
            try:
                plan = plan_joining_unit(unit, fw, cal, spec, busy, today, existing, units)
            except PlanningError as exc:
                raise UserError(f"{unit_id} cannot be planned into the loop {loop_id}: {exc}") from None
            if not taken & {e.uid for e in plan.events}:
                break
        added = AddedUnit(loop_id, unit_id, unit.name, plan.events, plan.left_out, plan.not_planned, fw,
                          plan.changed)
        if expect is not None and added.fingerprint != expect:
            raise PreviewChanged("the plan for the unit is no longer the one previewed (the organisation, the "
                                 "loops or the holidays changed meanwhile); nothing was stored")
        if not dry_run:
            try:
                uow.events.add_planned(loop_id, plan.events, now)
                before = {e.uid: e for e in existing}
                for new in plan.changed:
                    _store_shared_out(uow, before[new.uid], new, now)
                uow.commit()
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
                # Another plan of the same unit may have committed first (a second confirm, or
                # the command line): its events' uids are taken. One sentence, nothing stored.
                uow.rollback()
                _refuse_if_taking_part(uow, loop_id, unit_id, now)
                raise
    return added


def _refuse_if_taking_part(uow, loop_id: str, unit_id: str, now: dt.datetime) -> None:
    """A unit with a meeting or deadline ahead takes part in the loop (one of its talks cancelled
    by hand included); one removed and restored has only what it held before."""
    if uow.events.future(loop_id, now, [unit_id]):
        raise UserError(f"{unit_id} already takes part in the loop {loop_id} (it has meetings or deadlines ahead)")


def _store_shared_out(uow, old: Event, new: Event, now: dt.datetime) -> None:
    """Store an event of a visit shared out anew for a joining unit: the team taken off gets a
    CANCEL (what was not sent to them is withdrawn), the new team a REQUEST and the hosts an
    update with the new title and people."""
    base = replace(old, details=new.details, title=new.title)
    changed = base.with_attendees(new.attendees, update_all=True, cause="new_unit")
    if changed is None:  # the same people (one person in both teams): the new title still goes out
        event = replace(base, sequence=base.sequence + 1) if base.is_meeting else base
        changed = event, EventChange(old.uid, event.sequence, "attendees",
                                     {"removed": [], "added": [], "update_all": True, "cause": "new_unit"})
    uow.events.record(*changed, now)
    taken_off = changed[1].detail["removed"]
    if taken_off:
        uow.outbox.withdraw([old.uid], "the visits were shared out anew for a unit joining the loop", now,
                            recipients=taken_off)


def units_outside(uow, loop_id: str, now: dt.datetime) -> list:
    """The organisation's units of the loop's sectors that take no part in it (new since it
    started, or removed and restored): (id, name, sector), by id; 'add_unit' plans them in."""
    with uow:
        loop = require_loop(uow, loop_id)
        if loop.status != "active":
            return []  # a cancelled or closed loop takes nobody in
        sectors = uow.loops.framework(loop).areas[loop.area].sectors
        return uow.reports.units_outside(loop_id, sectors, now)


def cancel_loop(uow, loop_id: str, now: dt.datetime) -> EndedLoop:
    """A loop started by mistake: every future meeting and deadline is cancelled (meetings whose
    invitation went out get a CANCEL at the next dispatch), and what was not sent is withdrawn."""
    with uow:
        loop = running_loop(uow, loop_id)
        tz = ZoneInfo(uow.loops.framework(loop).timezone)
        report = EndedLoop(loop_id, "cancelled")
        uids = []
        for row in uow.events.future(loop_id, now):
            if row.kind in MEETING_KINDS and row.start <= now:
                continue  # a meeting under way is left as it is
            event = uow.events.get(row.uid, tz)
            uow.events.record(*event.cancelled(reason="loop cancelled"), now)
            uids.append(row.uid)
            report.cancelled_events += 1
            report.cancelled_meetings += event.is_meeting
        report.cancellations = uow.outbox.sent_invitations(uids)
        report.withdrawn = uow.outbox.withdraw_loop(loop_id, "the loop was cancelled", now)
        loop.status = "cancelled"
        uow.loops.add(loop)
        uow.commit()
    return report


def close_loop(uow, loop_id: str, now: dt.datetime) -> EndedLoop:
    """End a finished loop: no more reminders; refused while meetings lie ahead."""
    with uow:
        loop = running_loop(uow, loop_id)
        tz = ZoneInfo(uow.loops.framework(loop).timezone)
        ahead = sorted((r for r in uow.events.future(loop_id, now)
                        if r.kind in MEETING_KINDS and r.start > now),
                       key=lambda r: r.start)
        if ahead:
            raise UserError(f"the loop {loop_id} still has {len(ahead)} meeting{'s' if len(ahead) != 1 else ''} "
                            f"ahead (the next on {ahead[0].start.astimezone(tz).date().isoformat()}); "
                            f"cancel {'them' if len(ahead) != 1 else 'it'} first, or the whole loop with "
                            f"'loop cancel {loop_id}'")
        report = EndedLoop(loop_id, "closed")
        report.withdrawn = uow.outbox.withdraw_loop(loop_id, "the loop was closed", now)
        loop.status = "closed"
        uow.loops.add(loop)
        uow.commit()
    return report
