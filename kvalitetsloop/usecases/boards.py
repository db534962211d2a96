"""Use cases of the boards' part in the talks: how a board takes part in talks 2-4.

[000]: "På de efterfølgende læringsamtaler kan bestyrelsens perspektiv indgå i læringsamtalens
refleksioner enten i form af en udtalelse eller ved deltagelse"; the board decides it locally [003].
The choice is recorded on the talk (details "board_choice"): attendance puts the board on the
talk's invitation and cancels the statement deadline with its reminders; statement takes the
board off the invitation again and brings the deadline back. The command line calls this today;
the portal's form will call the same function.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle import kinds
from cycle.events import EventChange
from cycle.planner import LoopSpec, LoopTimeline, board_choice, event_attendees, talk_dependents
from kvalitetsloop.errors import NotFound, UserError
from kvalitetsloop.usecases.loops import require_loop, working_calendar

CHOICES = ("statement", "attendance")


@dataclass
class BoardChoice:
    loop_id: str
    unit_id: str
    talk: int
    choice: str
    changed: bool
    talk_uid: str
    # The board's people put on (attendance) or taken off (statement) the talk's invitation.
    board_emails: list[str]
    # The statement deadline: its uid and what happened to it ("cancelled", "reinstated", "").
    statement_uid: str | None
    statement_change: str


def choose_board_participation(uow, frameworks_dir: Path, loop_id: str, unit_id: str, talk: int, choice: str,
                               now: dt.datetime) -> BoardChoice:
    """Record how a unit's board takes part in talk `talk`: 'statement' or 'attendance'."""
    with uow:
        result = record_board_choice(uow, frameworks_dir, loop_id, unit_id, talk, choice, now)
        uow.commit()
    return result


def record_board_choice(uow, frameworks_dir: Path, loop_id: str, unit_id: str, talk: int, choice: str,
                        now: dt.datetime) -> BoardChoice:
    """The choice, inside an open unit of work (the caller commits): the command line's and the
    board's own page's (kvalitetsloop.usecases.forms.choose_by_link) one way of recording it."""
    if choice not in CHOICES:
        raise UserError(f"a board takes part by 'statement' or 'attendance', not '{choice}'")
    loop = require_loop(uow, loop_id)
    fw = uow.loops.framework(loop)
    tz = ZoneInfo(fw.timezone)
    unit = uow.organisation.load().by_id().get(unit_id)
    if unit is None:
        raise NotFound(f"there is no unit '{unit_id}' in the organisation")
    if talk not in fw.board_statements.talks:
        talks = ", ".join(str(n) for n in fw.board_statements.talks) or "none"
        raise UserError(f"the board chooses between a statement and attending only for talks {talks}, not talk {talk}")
    if board_choice(fw, unit, talk) is None:
        raise UserError(f"{unit.name} is a self-owned daycare whose board holds the talks itself: "
                        f"there is no statement or attendance to choose")
    events = [e for e in uow.events.of_loop(loop_id, tz) if e.unit_id == unit_id]
    meeting = next((e for e in events if e.kind == "learning_talk" and e.number == talk), None)
    if meeting is None or meeting.status == "cancelled":
        raise NotFound(f"the loop {loop_id} has no planned talk {talk} for {unit_id}")
    if meeting.start <= now:
        raise UserError(f"talk {talk} of {unit.name} took place on {meeting.start.date().isoformat()}; "
                        f"the board's choice for it can no longer change")
    statement = next((e for e in events if e.kind == kinds.BOARD_STATEMENT.event_kind and e.number == talk), None)
    before = board_choice(fw, unit, talk, meeting.details.get("board_choice"))
    result = BoardChoice(loop_id, unit_id, talk, choice, before != choice, meeting.uid, [],
                         statement.uid if statement else None, "")
    if before == choice:
        return result
    # The talk records the choice and gets its people for it (REQUEST to a board that joins,
    # CANCEL to one that leaves; the others are not bothered).
    chosen = meeting.with_changes(details={**meeting.details, "board_choice": choice})
    changed = chosen.with_attendees(event_attendees(fw, unit, "learning_talk", talk, chosen.details))
    if changed is None:  # the board is on the talk anyway (the same person in another role)
        changed = (chosen, EventChange(chosen.uid, chosen.sequence, "attendees", {"removed": [], "added": []}))
    new_meeting, change = changed
    uow.events.record(new_meeting, change, now)
    result.board_emails = sorted(set(change.detail["added"]) | set(change.detail["removed"]))
    if statement is not None:
        if choice == "attendance" and statement.status != "cancelled":
            uow.events.record(*statement.cancelled(because="board_attends", talk=meeting.uid), now)
            result.statement_change = "cancelled"
        elif choice == "statement" and statement.status == "cancelled":
            # Due again, before the talk's current date.
            tl = LoopTimeline(fw, working_calendar(uow, fw, frameworks_dir), loop.council_date)
            spec = LoopSpec(loop.id, loop.area, loop.council_date, tuple(loop.themes or ()))
            fresh = next(d for d in talk_dependents(fw, tl, spec, unit, new_meeting) if d.uid == statement.uid)
            uow.events.record(*statement.reinstated(fresh.start, fresh.end, because="board_writes"), now)
            result.statement_change = "reinstated"
    return result
