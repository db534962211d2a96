"""iTIP messages (RFC 5546) for meetings: METHOD:REQUEST and METHOD:CANCEL.

The event carries its own SEQUENCE: cycle/ raises it on every move and cancellation (SPEC 4.1),
and these functions write it as it is, so the email, the feed and the CalDAV copy never disagree.
Only meetings (cycle.events.MEETING_KINDS) get invitations; deadlines are in the feeds.
"""

from __future__ import annotations

from collections.abc import Iterable

from calendars import texts
from calendars.context import CalendarContext
from calendars.vevent import vcalendar, vevent
from cycle.events import Attendee, Event


class NotAMeeting(ValueError):
    """Deadlines have no invitations; they appear in feeds and the loop calendar."""


def _require_meeting(event: Event) -> None:
    if not event.is_meeting:
        raise NotAMeeting(f"'{event.title}' is a {event.kind}, not a meeting; only meetings get invitations")


def _normal(emails: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for e in emails:
        seen.setdefault(e.strip().lower(), None)
    return list(seen)


def _extend(attendees: tuple[Attendee, ...], emails: Iterable[str]) -> list[Attendee]:
    """The event's attendees plus any recipient who is not one yet (invited by address only)."""
    out = list(attendees)
    known = {a.email.lower() for a in attendees}
    for e in _normal(emails):
        if e not in known:
            out.append(Attendee(e, "guest", ""))
            known.add(e)
    return out


def request(event: Event, ctx: CalendarContext, recipients: list[str] | None = None) -> bytes:
    """METHOD:REQUEST for a new or changed meeting.

    Lists every attendee of the event (recipients who are not attendees are added), each with
    CN, ROLE, PARTSTAT=NEEDS-ACTION, RSVP=TRUE, CUTYPE=INDIVIDUAL. `recipients` is who this copy
    goes to (default: every attendee); it does not narrow the attendee list, so a person added
    later sees the same meeting as everyone else.
    """
    _require_meeting(event)
    if event.status == "cancelled":
        raise ValueError(f"'{event.title}' is cancelled; send cancel() instead of request()")
    attendees = _extend(event.attendees, recipients or ())
    if not attendees:
        raise ValueError(f"'{event.title}' has nobody to invite; a REQUEST needs at least one attendee")
    ve = vevent(event, ctx, attendees=attendees, status="CONFIRMED")
    return vcalendar([ve], "REQUEST")


def cancel(event: Event, ctx: CalendarContext, recipients: list[str] | None = None, *,
           known: Iterable[Attendee] = ()) -> bytes:
    """METHOD:CANCEL with STATUS:CANCELLED.

    Without recipients: the whole meeting is cancelled for every attendee. With recipients: only
    those people are taken off the meeting (an organisation change removed them); the CANCEL then
    lists only them, so each client removes the meeting from that person's calendar alone.
    `known`: attendees no longer on the event whose names should still appear (the removed).
    """
    _require_meeting(event)
    if recipients is None:
        attendees = list(event.attendees)
        note = texts.CANCELLED_NOTE
    else:
        wanted = _normal(recipients)
        by_email = {a.email.lower(): a for a in (*known, *event.attendees)}
        attendees = [by_email.get(e) or Attendee(e, "guest", "") for e in wanted]
        # An uninvited person is not the whole meeting being cancelled.
        note = texts.CANCELLED_NOTE if event.status == "cancelled" else texts.UNINVITED_NOTE
    ve = vevent(event, ctx, attendees=attendees, status="CANCELLED", note=note, rsvp=False)
    return vcalendar([ve], "CANCEL")
