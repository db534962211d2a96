"""Calendar replies (iMIP REPLY and COUNTER, RFC 6047 / RFC 5546) read out of one email.

Pure: the bytes of a message in, what it answers out. No IMAP, no database.

Where the calendar part sits differs by client, so the whole MIME tree is walked, including
messages wrapped in others (`message/rfc822`, as Outlook and Gmail forward them):

- Outlook: one `TEXT/CALENDAR; method=REPLY` part (often inside multipart/alternative), with
  `X-MICROSOFT-CDO-*` properties and a COMMENT when the person wrote one;
- Gmail: `text/calendar; method=REPLY` in multipart/alternative and the same file again as an
  `invite.ics` attachment (`application/ics`);
- Apple: multipart/alternative with text/plain and text/calendar.

A message is a calendar reply when a calendar part says so (the Content-Type's `method`
parameter or the file's METHOD property is REPLY or COUNTER). Other mail (an out-of-office
answer, a person writing to the administration, a forwarded REQUEST) is not ours and is left
alone. A reply whose calendar part cannot be read raises `MalformedReply` with the reason.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
from dataclasses import dataclass
from email.message import Message

REPLY_METHODS = ("REPLY", "COUNTER")
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "NEEDS-ACTION")
_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics")


class MalformedReply(ValueError):
    """The message claims to be a calendar reply but cannot be read; the text is the reason."""


@dataclass(frozen=True)
class CalendarReply:
    """One attendee's answer to one meeting, as the reply states it."""

    method: str  # REPLY | COUNTER
    uid: str
    attendee: str  # the address, lower case, without mailto:
    attendee_name: str
    partstat: str  # ACCEPTED | DECLINED | TENTATIVE | ... (for a COUNTER often NEEDS-ACTION)
    sequence: int
    # When the attendee answered: the reply's DTSTAMP (Outlook's X-MICROSOFT-CDO-REPLYTIME when
    # there is no DTSTAMP), else the message's Date.
    replied_at: dt.datetime | None
    comment: str = ""
    # A COUNTER's proposed time.
    proposed_start: dt.datetime | None = None
    proposed_end: dt.datetime | None = None


@dataclass(frozen=True)
class ReadMessage:
    """What one email holds: its identity and its replies (empty when it is not a calendar reply)."""

    message_id: str
    sender: str
    subject: str
    date: dt.datetime | None
    replies: tuple[CalendarReply, ...]


def _address(value) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _calendar_parts(msg: Message) -> list[Message]:
    """Every leaf part that holds a calendar file, also inside wrapped messages."""
    out = []
    for part in msg.walk():  # walk() descends into message/rfc822 parts too
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        name = (part.get_filename() or part.get_param("name") or "")
        if ctype in _CALENDAR_TYPES or str(name).lower().endswith(".ics"):
            out.append(part)
    return out


def _payload_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if data is None:
        raise MalformedReply("its calendar part is empty")
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedReply(f"its calendar part is not text in {charset}") from None


def _moment(prop) -> dt.datetime | None:
    if prop is None:
        return None
    value = getattr(prop, "dt", prop)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.timezone.utc)
    return None


def _int(value, what: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise MalformedReply(f"its {what} '{value}' is not a whole number") from None


def _parse_calendar(text: str, declared: str | None, fallback_time: dt.datetime | None) -> list[CalendarReply]:
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(text)
    except Exception as exc:  # icalendar raises ValueError and friends for broken files
        raise MalformedReply(f"its calendar part cannot be parsed ({str(exc).splitlines()[0][:160]})") from None
    method = str(cal.get("METHOD", declared or "")).upper()
    if method not in REPLY_METHODS:
        return []
    out = []
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    if not events:
        raise MalformedReply(f"its {method} holds no VEVENT")
    for ev in events:
        uid = str(ev.get("UID", "")).strip()
        if not uid:
            raise MalformedReply(f"its {method} has no UID")
        attendees = ev.get("ATTENDEE")
        if attendees is None:
            raise MalformedReply(f"its {method} for {uid} names no ATTENDEE")
        if not isinstance(attendees, list):
            attendees = [attendees]
        sequence = _int(ev.get("SEQUENCE", 0), "SEQUENCE")
        stamp = (_moment(ev.get("DTSTAMP")) or _moment(ev.get("X-MICROSOFT-CDO-REPLYTIME")) or fallback_time)
        comment = ev.get("COMMENT")
        if isinstance(comment, list):
            comment = "\n".join(str(c) for c in comment)
        start, end = _moment(ev.get("DTSTART")), _moment(ev.get("DTEND"))
        for att in attendees:
            address = _address(att)
            if "@" not in address:
                raise MalformedReply(f"its {method} for {uid} has an ATTENDEE '{att}' that is not an email address")
            partstat = str(att.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
            if method == "REPLY" and partstat not in PARTSTATS:
                raise MalformedReply(f"its REPLY for {uid} has the unknown PARTSTAT '{partstat}'")
            out.append(CalendarReply(
                method=method, uid=uid, attendee=address, attendee_name=str(att.params.get("CN", "")).strip('"'),
                partstat=partstat, sequence=sequence, replied_at=stamp, comment=str(comment or "").strip(),
                proposed_start=start if method == "COUNTER" else None,
                proposed_end=end if method == "COUNTER" else None))
    return out


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def read_message(raw: bytes) -> ReadMessage:
    """The calendar replies in one email (none when it is not one); MalformedReply when it claims
    to be a reply and cannot be read."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        date = email.utils.parsedate_to_datetime(_header(msg, "Date")) if msg.get("Date") else None
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=dt.timezone.utc)
    replies: dict[tuple, CalendarReply] = {}
    problem: MalformedReply | None = None
    claimed = False
    for part in _calendar_parts(msg):
        declared = (part.get_param("method") or "")
        declared = str(declared).upper() or None
        claimed = claimed or declared in REPLY_METHODS
        try:
            found = _parse_calendar(_payload_text(part), declared, date)
        except MalformedReply as exc:
            problem = problem or exc
            continue
        claimed = claimed or bool(found)
        for r in found:  # the same file inline and as invite.ics counts once
            replies.setdefault((r.method, r.uid, r.attendee, r.sequence, r.partstat), r)
    # An unreadable file counts only in a message that claims to be a reply and has no readable
    # copy of it (Gmail sends the same file twice); elsewhere it is somebody else's attachment.
    if problem is not None and claimed and not replies:
        raise problem
    return ReadMessage(message_id=_header(msg, "Message-ID"), sender=email.utils.parseaddr(_header(msg, "From"))[1].lower(),
                       subject=_header(msg, "Subject"), date=date, replies=tuple(replies.values()))
