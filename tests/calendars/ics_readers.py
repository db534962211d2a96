"""Read an .ics three ways (icalendar, vobject, ical) into the same plain shape, for comparing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Read:
    uid: str
    sequence: int
    start: object  # UTC datetime, or a date for all-day events
    end: object
    dtstamp: dt.datetime
    status: str
    summary: str
    description: str
    location: str
    organizer: str
    attendees: tuple  # (email, CN, ROLE, PARTSTAT, RSVP, CUTYPE), sorted


def _when(value):
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None, f"floating time {value!r}"
        return value.astimezone(UTC)
    return value


def _email(uri: str) -> str:
    uri = str(uri)
    return uri[7:].lower() if uri.lower().startswith("mailto:") else uri.lower()


def icalendar_read(data: bytes) -> tuple[str | None, list[Read]]:
    cal = icalendar.Calendar.from_ical(data)
    out = []
    for ev in cal.walk("VEVENT"):
        atts = ev.get("ATTENDEE", [])
        if not isinstance(atts, list):
            atts = [atts]
        out.append(Read(
            uid=str(ev["UID"]), sequence=int(ev.get("SEQUENCE", 0)),
            start=_when(ev.decoded("DTSTART")), end=_when(ev.decoded("DTEND")),
            dtstamp=ev.decoded("DTSTAMP"), status=str(ev.get("STATUS", "")),
            summary=str(ev.get("SUMMARY", "")), description=str(ev.get("DESCRIPTION", "")),
            location=str(ev.get("LOCATION", "")), organizer=_email(ev.get("ORGANIZER", "")),
            attendees=tuple(sorted((_email(a), str(a.params.get("CN", "")), str(a.params.get("ROLE", "")),
                                    str(a.params.get("PARTSTAT", "")), str(a.params.get("RSVP", "")).upper(),
                                    str(a.params.get("CUTYPE", ""))) for a in atts))))
    method = cal.get("METHOD")
    return (str(method) if method is not None else None), out


def vobject_read(data: bytes) -> tuple[str | None, list[Read]]:
    cal = vobject.readOne(data.decode("utf-8"))
    out = []
    for ev in cal.contents.get("vevent", []):
        def val(name, default=""):
            c = ev.contents.get(name)
            return c[0].value if c else default

        def p(a, name):
            return a.params.get(name, [""])[0]

        atts = ev.contents.get("attendee", [])
        out.append(Read(
            uid=val("uid"), sequence=int(val("sequence", 0)),
            start=_when(val("dtstart")), end=_when(val("dtend")), dtstamp=val("dtstamp"),
            status=val("status"), summary=val("summary"), description=val("description"),
            location=val("location"), organizer=_email(val("organizer")),
            attendees=tuple(sorted((_email(a.value), p(a, "CN"), p(a, "ROLE"), p(a, "PARTSTAT"),
                                    p(a, "RSVP").upper(), p(a, "CUTYPE")) for a in atts))))
    method = cal.contents.get("method")
    return (method[0].value if method else None), out


def _s(value) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def ical_read(data: bytes) -> tuple[str | None, list[Read]]:
    cal = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    out = []
    for ev in cal.events:
        out.append(Read(
            uid=ev.uid, sequence=int(ev.sequence or 0), start=_when(ev.dtstart), end=_when(ev.dtend),
            dtstamp=ev.dtstamp, status=_s(ev.status),
            summary=ev.summary or "", description=ev.description or "", location=ev.location or "",
            organizer=_email(ev.organizer.uri) if ev.organizer else "",
            attendees=tuple(sorted((_email(a.uri), a.common_name or "", _s(a.role), _s(a.status),
                                    ("TRUE" if a.rsvp else "FALSE") if a.rsvp is not None else "",
                                    _s(a.user_type)) for a in ev.attendees))))
    return (cal.method if getattr(cal, "method", None) else None), out


READERS = {"icalendar": icalendar_read, "vobject": vobject_read, "ical": ical_read}


def read_all(data: bytes) -> dict[str, tuple[str | None, list[Read]]]:
    return {name: reader(data) for name, reader in READERS.items()}


def physical_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n"), "an iCalendar stream ends with CRLF"
    body = data[:-2]
    assert b"\n" not in body.replace(b"\r\n", b""), "bare LF inside the stream"
    return body.split(b"\r\n")
