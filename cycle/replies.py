"""What an attendee's answer to a meeting means (SPEC 4.5). Pure: no I/O, no clock.

An answer counts for a meeting as it is now only when it replies to the meeting's current
SEQUENCE: a moved meeting goes out again as an update and asks everyone again, so the answers to
the earlier time no longer count (they stay in the history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cycle.events import (NEXT_LAYER_FOLLOWUP, OBSERVATION_FEEDBACK, OBSERVATION_VISIT, SUPERVISION_MEETING, Attendee,
                          Event)

# The meetings a unit's leader holds without the chief: the follow-up with the next leadership
# layer [003] and an observation visit with its feedback talk [001, 004]. Everyone invited is
# needed, and a decline goes to the administration and the host unit's leader.
LEADER_HELD_KINDS = frozenset({NEXT_LAYER_FOLLOWUP, OBSERVATION_VISIT, OBSERVATION_FEEDBACK})
# The meetings whose required participants' declines are told at once: without them the meeting
# cannot be held (SPEC 4.5: to the administration and the chief; at a meeting the chief is not
# at, to the leader who holds it).
NOTIFIED_KINDS = frozenset({"learning_talk", "one_to_one", SUPERVISION_MEETING}) | LEADER_HELD_KINDS

# The Danish word for each answer, as the administration and the chiefs read it.
ANSWER_WORDS = {"ACCEPTED": "deltager", "DECLINED": "afbud", "TENTATIVE": "måske", "DELEGATED": "delegeret",
                "NEEDS-ACTION": "ikke svaret"}
NO_ANSWER = "NEEDS-ACTION"


@dataclass(frozen=True)
class Answer:
    """An attendee's latest answer as recorded: what, to which SEQUENCE, when, with what comment."""

    partstat: str
    sequence: int
    replied_at: dt.datetime
    comment: str = ""


def current(event: Event, answer: Answer | None) -> str:
    """The attendee's answer to the meeting as it is now (NEEDS-ACTION if none, or only to an
    earlier time)."""
    if answer is None or answer.sequence < event.sequence:
        return NO_ANSWER
    return answer.partstat


def required_roles(event: Event) -> frozenset[str]:
    """The roles without whom a talk or one-to-one cannot be held: the chief, the leader, and the
    host (the board of a self-owned daycare hosts its talks); a follow-up meeting on supervision
    is the chief's with the board [000]; a meeting the leader holds needs everyone invited to it
    (an ad hoc guest aside)."""
    if event.kind in LEADER_HELD_KINDS:
        return frozenset(a.role for a in event.attendees if a.role != "guest")
    roles = {"chief", "leader"}
    if event.host_role:
        roles.add(event.host_role)
    if event.kind == SUPERVISION_MEETING:
        roles.add("board")
    return frozenset(roles)


def decline_is_notified(event: Event, role: str, partstat: str, sequence: int, now: dt.datetime) -> bool:
    """Whether a decline must be told to the administration and the chief now: a required
    participant declines the current time of a talk or one-to-one that still lies ahead."""
    return (partstat == "DECLINED" and event.kind in NOTIFIED_KINDS and role in required_roles(event)
            and sequence == event.sequence and event.status != "cancelled" and event.start > now)


def told_of_decline(event: Event, decliner: str) -> list[Attendee]:
    """Who among the meeting's people is told of a decline, besides the administration: the chief
    of a talk or one-to-one, or the host unit's leader at a meeting the leader holds (not the
    visiting team's leader, whose team is recorded with the visit); never the one who declined."""
    decliner = decliner.lower()
    if event.kind in LEADER_HELD_KINDS:
        team = {t["email"].lower() for t in event.details.get("team", ())}
        wanted = [a for a in event.attendees if a.role == "leader" and a.email.lower() not in team]
    else:
        wanted = [a for a in event.attendees if a.role == "chief"]
    return [a for a in wanted if a.email.lower() != decliner]
