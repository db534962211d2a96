"""What a change to a meeting sends: the iTIP records the email part delivers.

``messages_for_change`` turns one change into Invitation records (method, recipients, the ics
bytes). It does not send anything and does not touch the sequence: the event comes in as it is
after the change, with the sequence cycle/ gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from calendars import invitations
from calendars.context import CalendarContext
from cycle.events import Event


@dataclass(frozen=True)
class Invitation:
    method: str  # "REQUEST" | "CANCEL"
    recipients: list[str]
    ics: bytes
    uid: str
    sequence: int
    summary: str
    # Why it is sent: created | moved | cancelled | added | removed (for the email's wording).
    reason: str = "created"


Change = str | tuple[str, Mapping[str, list[str]]]


def _emails(event: Event) -> list[str]:
    seen: dict[str, None] = {}
    for a in event.attendees:
        seen.setdefault(a.email.lower(), None)
    return list(seen)


def _record(event: Event, method: str, recipients: list[str], ics: bytes, reason: str) -> Invitation:
    return Invitation(method, recipients, ics, event.uid, event.sequence, event.title, reason)


def messages_for_change(event: Event, change: Change, ctx: CalendarContext) -> list[Invitation]:
    """The invitations one change of `event` sends.

    change: 'created' | 'moved' | 'cancelled' | ('attendees', {'added': [...], 'removed': [...]}).
    created / moved: a REQUEST to every attendee. cancelled: a CANCEL to every attendee.
    attendees: each removed person gets a CANCEL of their own (nobody learns who else was
    removed), and the added people one REQUEST at the event's current sequence. Deadlines and
    events without attendees give no messages.
    """
    if not event.is_meeting:
        return []
    if isinstance(change, (tuple, list)) and len(change) == 2 and change[0] == "attendees":
        return _attendee_change(event, change[1], ctx)
    if change in ("created", "moved"):
        if event.status == "cancelled" or not event.attendees:
            return []
        recipients = _emails(event)
        return [_record(event, "REQUEST", recipients, invitations.request(event, ctx), str(change))]
    if change == "cancelled":
        if not event.attendees:
            return []
        cancelled = event if event.status == "cancelled" else event.with_changes(status="cancelled")
        recipients = _emails(cancelled)
        return [_record(cancelled, "CANCEL", recipients, invitations.cancel(cancelled, ctx), "cancelled")]
    raise ValueError(f"unknown change {change!r}: expected 'created', 'moved', 'cancelled' or ('attendees', {{...}})")


def _attendee_change(event: Event, detail: Mapping[str, list[str]], ctx: CalendarContext) -> list[Invitation]:
    removed = [e.strip().lower() for e in detail.get("removed", ()) if e and e.strip()]
    added = [e.strip().lower() for e in detail.get("added", ()) if e and e.strip()]
    if event.status == "cancelled":
        return []  # the cancellation already went to everyone
    gone = set(removed) - set(added)
    # The event may still list a removed person if the caller passes it from before the change.
    current = event.with_changes(attendees=tuple(a for a in event.attendees if a.email.lower() not in gone))
    out: list[Invitation] = []
    for email in dict.fromkeys(e for e in removed if e in gone):
        # The meeting as it now is, addressed to the removed person (by name if the event had it).
        ics = invitations.cancel(current, ctx, recipients=[email], known=event.attendees)
        out.append(_record(current, "CANCEL", [email], ics, "removed"))
    new = list(dict.fromkeys(e for e in added if e not in gone))
    if new:
        ics = invitations.request(current, ctx, recipients=new)
        out.append(_record(current, "REQUEST", new, ics, "added"))
    return out
