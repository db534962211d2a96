"""The one function that builds a VEVENT, and the VCALENDAR around it.

Every output of calendars/ (REQUEST, CANCEL, PUBLISH feeds, the loop export, CalDAV resources)
goes through ``vevent`` and ``vcalendar``, so an event looks the same wherever it appears: same
UID, SEQUENCE, times, summary and description.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from calendars import ical
from calendars.context import CalendarContext
from calendars.texts import describe
from calendars.timezone import TZID, VTIMEZONE, ZONE
from cycle.events import Attendee, Event

# The product, not the municipality: one PRODID whichever framework the loop follows.
PRODID = "-//kvalitetsloop//kvalitetsloop//DA"
FINGERPRINT = "X-KVALITETSLOOP-FINGERPRINT"

_TZ_PARAM = (("TZID", TZID),)
_DATE_PARAM = (("VALUE", "DATE"),)


@dataclass(frozen=True)
class VEvent:
    """One serialised VEVENT: its folded lines, and whether it refers to the VTIMEZONE."""
    lines: bytes
    uses_tz: bool
    fingerprint: str


def _when(name: str, moment: dt.datetime) -> tuple[bytes, bool]:
    value, local = ical.local_value(moment, ZONE)
    if local:
        return ical.content_line(name, value, _TZ_PARAM), True
    return ical.content_line(name, value), False


def _times(event: Event) -> tuple[bytes, bool]:
    """DTSTART and DTEND: local time with TZID, or dates (VALUE=DATE) for an all-day deadline."""
    if event.all_day:
        first = event.start.astimezone(ZONE).date()
        # DTEND of a date is exclusive; a deadline is at least its own day.
        after = max(event.end.astimezone(ZONE).date(), first + dt.timedelta(days=1))
        return (ical.content_line("DTSTART", ical.date_value(first), _DATE_PARAM)
                + ical.content_line("DTEND", ical.date_value(after), _DATE_PARAM)), False
    start, tz1 = _when("DTSTART", event.start)
    end, tz2 = _when("DTEND", event.end)
    return start + end, tz1 or tz2


def _attendee_line(a: Attendee, role: str, rsvp: bool, schedule_agent_client: bool) -> bytes:
    params = [("CUTYPE", "INDIVIDUAL"), ("ROLE", role), ("PARTSTAT", "NEEDS-ACTION"),
              ("RSVP", "TRUE" if rsvp else "FALSE"), ("CN", a.name or a.email)]
    if schedule_agent_client:
        params.append(("SCHEDULE-AGENT", "CLIENT"))
    return ical.content_line("ATTENDEE", ical.mailto(a.email), tuple(params))


@lru_cache(maxsize=64)
def _organizer_line(email: str, name: str, schedule_agent_client: bool) -> bytes:
    params: tuple[tuple[str, str], ...] = (("CN", name),) if name else ()
    if schedule_agent_client:
        params += (("SCHEDULE-AGENT", "CLIENT"),)
    return ical.content_line("ORGANIZER", ical.mailto(email), params)


def attendee_role(event: Event, a: Attendee) -> str:
    """CHAIR for the host (the chief, or the board of a self-owned daycare), else REQ-PARTICIPANT."""
    if event.host_role and a.role == event.host_role:
        return "CHAIR"
    return "REQ-PARTICIPANT"


def vevent(event: Event, ctx: CalendarContext, *, attendees: Sequence[Attendee] = (), status: str | None = None,
           note: str | None = None, rsvp: bool = True, schedule_agent_client: bool = False,
           fingerprint: bool = False, dtstamp: str | None = None) -> VEvent:
    """Build the VEVENT of `event`.

    attendees: the ATTENDEE lines to write (none in PUBLISH); status: CONFIRMED or CANCELLED
    (default: from the event); note: a first paragraph for the description (a cancellation);
    schedule_agent_client: SCHEDULE-AGENT=CLIENT on ORGANIZER and ATTENDEE (RFC 6638), for objects
    stored on a CalDAV server so that it does not send invitations of its own; fingerprint: add a
    hash of the content (without DTSTAMP) so a later publish can tell whether anything changed.
    """
    if status is None:
        status = "CANCELLED" if event.status == "cancelled" else "CONFIRMED"
    description = describe(event, ctx)
    if note:
        description = note + "\n\n" + description
    times, uses_tz = _times(event)
    body = [
        times,
        ical.content_line("SEQUENCE", str(int(event.sequence))),
        ical.content_line("STATUS", status),
        ical.text_line("SUMMARY", event.title),
        ical.text_line("DESCRIPTION", description),
    ]
    unit = ctx.unit(event.unit_id)
    if unit is not None and unit.address and event.is_meeting:
        body.append(ical.text_line("LOCATION", unit.address))
    body.append(_organizer_line(ctx.organiser, ctx.organiser_name, schedule_agent_client))
    for a in attendees:
        body.append(_attendee_line(a, attendee_role(event, a), rsvp, schedule_agent_client))
    # A deadline marks a day; it must not make anyone look busy all day.
    body.append(ical.content_line("TRANSP", "TRANSPARENT" if event.all_day else "OPAQUE"))
    body.append(ical.text_line("CATEGORIES", "Kvalitetsloop"))
    content = b"".join(body)
    digest = ""
    if fingerprint:
        digest = hashlib.sha256(event.uid.encode() + content).hexdigest()[:32]
        content += ical.content_line(FINGERPRINT, digest)
    stamp = dtstamp or ical.utc_stamp(ctx.dtstamp())
    lines = (b"BEGIN:VEVENT\r\n" + ical.text_line("UID", event.uid) + ical.content_line("DTSTAMP", stamp)
             + content + b"END:VEVENT\r\n")
    return VEvent(lines, uses_tz, digest)


def vcalendar(vevents: Iterable[VEvent], method: str | None, extra: Sequence[bytes] = ()) -> bytes:
    """A VCALENDAR holding the VTIMEZONE (when any event uses it) and the events."""
    vevents = list(vevents)
    head = [b"BEGIN:VCALENDAR\r\n", b"VERSION:2.0\r\n", ical.content_line("PRODID", PRODID),
            b"CALSCALE:GREGORIAN\r\n"]
    if method:
        head.append(ical.content_line("METHOD", method))
    head.extend(extra)
    if any(v.uses_tz for v in vevents):
        head.append(VTIMEZONE)
    return b"".join(head) + b"".join(v.lines for v in vevents) + b"END:VCALENDAR\r\n"
