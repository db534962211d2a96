"""Planned events: the one shape every later part (invitations, emails, forms, reports) reads.

Times are timezone-aware datetimes. A deadline is all-day: it starts at local midnight of the due
date and ends at the next midnight, so "due on 2027-09-01" means "by the end of that day".
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace

from cycle.kinds import DEADLINE_EVENT_KINDS

# The chief's follow-up meeting with a self-owned daycare's board about its supervision report,
# held "i de tilfælde hvor data giver anledning til yderligere opfølgning" [000]: planned when the
# chief answers the report (kvalitetsloop.usecases.supervision), never by the loop's plan.
SUPERVISION_MEETING = "supervision_meeting"

# The leader's follow-up with the unit's next leadership layer [003], an optional framework
# element (cycle.layer_followups).
NEXT_LAYER_FOLLOWUP = "next_layer_followup"
# Colleagues visiting another unit (cycle.observations, a framework's observation_visits): the
# day of the visit and its feedback talk are meetings; the agreement before it and the written
# summary after it are deadlines without reminders.
OBSERVATION_VISIT = "observation_visit"
OBSERVATION_FEEDBACK = "observation_feedback"
OBSERVATION_AGREEMENT = "observation_agreement_due"
OBSERVATION_SUMMARY = "observation_summary_due"

# The kinds of planned event: meetings, the council meeting and the committee overview, and the
# deadline kinds of the registry (cycle.kinds).
EVENT_KINDS: tuple[str, ...] = ("network_meeting", "council_meeting", "learning_talk", "one_to_one",
                                NEXT_LAYER_FOLLOWUP, SUPERVISION_MEETING, "committee_overview", *DEADLINE_EVENT_KINDS,
                                OBSERVATION_VISIT, OBSERVATION_FEEDBACK, OBSERVATION_AGREEMENT, OBSERVATION_SUMMARY)

# Meetings take people's time and get calendar invitations; the other kinds are deadlines.
MEETING_KINDS = frozenset({"network_meeting", "learning_talk", "one_to_one", NEXT_LAYER_FOLLOWUP, SUPERVISION_MEETING,
                           OBSERVATION_VISIT, OBSERVATION_FEEDBACK})

# Fixed namespace so that UIDs are a pure function of the loop and the event's place in it:
# the same inputs give the same plan, UIDs included.
_UID_NAMESPACE = uuid.UUID("6f1e2b7c-3d4a-5e6f-8a9b-0c1d2e3f4a5b")
UID_DOMAIN = "kvalitetsloop"


def make_uid(loop_id: str, kind: str, unit_id: str | None, number: int | None, part: str = "") -> str:
    key = "/".join([loop_id, kind, unit_id or "-", str(number or 0), part])
    return f"{uuid.uuid5(_UID_NAMESPACE, key)}@{UID_DOMAIN}"


@dataclass(frozen=True)
class Attendee:
    email: str
    role: str
    name: str = ""


@dataclass(frozen=True)
class Event:
    uid: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    title: str
    unit_id: str | None = None
    number: int | None = None
    all_day: bool = False
    sequence: int = 0
    status: str = "planned"
    attendees: tuple[Attendee, ...] = ()
    # The uid of the learning talk a deadline belongs to; dependent deadlines move with it.
    parent_uid: str | None = None
    # Whose contact hosts a meeting: "chief" normally, "board" in self-owned daycares.
    host_role: str | None = None
    sector: str | None = None
    # Kind-specific facts (e.g. a data package's trigger date, a tailored package).
    details: dict = field(default_factory=dict)

    @property
    def is_meeting(self) -> bool:
        return self.kind in MEETING_KINDS

    @property
    def due_date(self) -> dt.date:
        """The local date a deadline falls on (for meetings: the day they start)."""
        return self.start.date()

    def emails(self) -> set[str]:
        return {a.email for a in self.attendees}

    def with_changes(self, **changes) -> "Event":
        return replace(self, **changes)

    # -- state changes: the one place that decides sequence, status and the recorded change --

    def moved(self, start: dt.datetime, end: dt.datetime, **detail) -> tuple["Event", "EventChange"]:
        """This event at a new time: the sequence rises (calendars treat it as an update).

        The previous start is recorded so the email side can tell whether the old time was
        ever announced."""
        event = replace(self, start=start, end=end, sequence=self.sequence + 1, status="moved",
                        details={**self.details, **detail.pop("details", {})})
        record = {"start": start.isoformat(), "previous_start": self.start.isoformat(), **detail}
        return event, EventChange(self.uid, event.sequence, "moved", record)

    def cancelled(self, **detail) -> tuple["Event", "EventChange"]:
        """This event cancelled: the sequence rises and the status says so (METHOD:CANCEL)."""
        if self.status == "cancelled":
            raise ValueError(f"the event '{self.title}' is already cancelled")
        event = replace(self, sequence=self.sequence + 1, status="cancelled")
        return event, EventChange(self.uid, event.sequence, "cancelled", dict(detail))

    def reinstated(self, start: dt.datetime, end: dt.datetime, **detail) -> tuple["Event", "EventChange"]:
        """A cancelled deadline due again (a board that chose to attend now writes a statement
        after all): planned at its new date, the sequence rises."""
        if self.status != "cancelled":
            raise ValueError(f"the event '{self.title}' is not cancelled")
        event = replace(self, start=start, end=end, sequence=self.sequence + 1, status="planned")
        return event, EventChange(self.uid, event.sequence, "reinstated", {"start": start.isoformat(), **detail})

    def with_attendees(self, attendees: tuple[Attendee, ...], update_all: bool = False, cause: str | None = None
                       ) -> tuple["Event", "EventChange"] | None:
        """This event with other people, or None when nobody changes.

        Those taken off get a CANCEL and the new a REQUEST. Normally the sequence stays and the
        others are not bothered; with `update_all` (the chief or leader was replaced) the sequence
        rises, so everyone's calendar gets the update with the new people. `cause` (e.g. "guest")
        is recorded so the emails say why; without it the change is an organisation update."""
        before, after = self.emails(), {a.email for a in attendees}
        removed, added = sorted(before - after), sorted(after - before)
        if not (removed or added):
            return None
        detail = {"removed": removed, "added": added, **({"cause": cause} if cause else {})}
        if update_all and self.is_meeting:
            event = replace(self, attendees=tuple(attendees), sequence=self.sequence + 1)
            return event, EventChange(self.uid, event.sequence, "attendees", {**detail, "update_all": True})
        event = replace(self, attendees=tuple(attendees))
        return event, EventChange(self.uid, self.sequence, "attendees", detail)



def attendees_in_roles(unit, roles) -> tuple[Attendee, ...]:
    """A unit's people in these roles, each once (under the first role that names them)."""
    seen: dict[str, Attendee] = {}
    for role in roles:
        for p in unit.role(role):
            seen.setdefault(p.email, Attendee(p.email, role, p.name))
    return tuple(seen.values())

@dataclass(frozen=True)
class EventChange:
    """What changed in an event, as its change history records it (created | moved | cancelled |
    attendees | reinstated), at the sequence the event has after the change."""

    uid: str
    sequence: int
    change: str
    detail: dict = field(default_factory=dict)
