"""Calendar replies as the three big clients send them, written from RFC 6047 (iMIP) section 4
examples and the clients' published formats, for one meeting's UID, SEQUENCE and attendee.

- Outlook / Exchange: multipart/alternative with text/plain, text/html and
  `TEXT/CALENDAR; method=REPLY` (base64), X-MICROSOFT-CDO-* properties, a Windows TZID with its
  VTIMEZONE, COMMENT;LANGUAGE when the person wrote one (MS-OXCICAL);
- Gmail: multipart/mixed holding multipart/alternative (text/plain, text/html,
  `text/calendar; method=REPLY`) and the same file as an `invite.ics` attachment (application/ics);
- Apple Mail / Calendar: multipart/alternative with text/plain and
  `text/calendar; method=REPLY; name=...ics`, ATTENDEE with EMAIL= and REQUEST-STATUS;
- a wrapped reply: a message/rfc822 part inside another message, as a forward or a gateway
  sends it.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from email.header import Header
from email.utils import format_datetime

ORGANISER = "kvalitet@aarhus.example.dk"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _b64(text: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "\r\n".join(data[i:i + 76] for i in range(0, len(data), 76))


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _headers(sender: str, name: str, subject: str, when: dt.datetime, message_id: str | None) -> str:
    mid = message_id or f"<{uuid.uuid4().hex}@client.example.net>"
    return (f"From: {name} <{sender}>\nTo: =?utf-8?q?B=C3=B8rn_og_Unge?= <{ORGANISER}>\n"
            f"Subject: {Header(subject, 'utf-8').encode()}\nDate: {format_datetime(when)}\nMessage-ID: {mid}\nMIME-Version: 1.0\n")


def outlook_reply(uid: str, sequence: int, attendee: str, name: str, partstat: str, when: dt.datetime,
                  comment: str = "", method: str = "REPLY", proposed: tuple[dt.datetime, dt.datetime] | None = None,
                  message_id: str | None = None) -> bytes:
    word = {"ACCEPTED": "Accepteret", "DECLINED": "Afvist", "TENTATIVE": "Foreløbig"}.get(partstat, "Nyt tidspunkt foreslået")
    start, end = proposed or (when + dt.timedelta(days=20), when + dt.timedelta(days=20, hours=2))
    cal = f"""BEGIN:VCALENDAR
METHOD:{method}
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Romance Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ATTENDEE;PARTSTAT={partstat};CN={name}:mailto:{attendee}
{f"COMMENT;LANGUAGE=da-DK:{comment}" + chr(10) if comment else ""}SUMMARY;LANGUAGE=da-DK:{word}: Møde
DTSTART;TZID=Romance Standard Time:{start.astimezone(dt.timezone(dt.timedelta(hours=2))).strftime("%Y%m%dT%H%M%S")}
DTEND;TZID=Romance Standard Time:{end.astimezone(dt.timezone(dt.timedelta(hours=2))).strftime("%Y%m%dT%H%M%S")}
UID:{uid}
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:{_stamp(when)}
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:{sequence}
LOCATION;LANGUAGE=da-DK:
X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}
X-MICROSOFT-CDO-OWNERAPPTID:-1
X-MICROSOFT-CDO-REPLYTIME:{_stamp(when)}
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:0
X-MICROSOFT-DISALLOW-COUNTER:FALSE
END:VEVENT
END:VCALENDAR
"""
    boundary = "_000_" + uuid.uuid4().hex[:20] + "_"
    body = comment or ""
    text = _headers(attendee, name, f"{word}: Møde", when, message_id) + f"""Thread-Topic: {word}
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
\tboundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{_b64(body)}
--{boundary}
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

{_b64("<html><body><p>" + body + "</p></body></html>")}
--{boundary}
Content-Type: TEXT/CALENDAR; method={method}; charset="utf-8"
Content-Transfer-Encoding: base64

{_b64(_crlf(cal))}
--{boundary}--
"""
    return _crlf(text).encode("utf-8")


def gmail_reply(uid: str, sequence: int, attendee: str, name: str, partstat: str, when: dt.datetime,
                comment: str = "", message_id: str | None = None) -> bytes:
    word = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentatively Accepted"}[partstat]
    cal = _crlf(f"""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REPLY
BEGIN:VEVENT
DTSTART:20270512T070000Z
DTEND:20270512T093000Z
DTSTAMP:{_stamp(when)}
ORGANIZER;CN=Børn og Unge\\, Aarhus Kommune:mailto:{ORGANISER}
UID:{uid}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN={attendee};X-NUM-GUESTS=0:mailto:{attendee}
{f"COMMENT:{comment}" + chr(10) if comment else ""}CREATED:20270301T080000Z
DESCRIPTION:
LAST-MODIFIED:{_stamp(when)}
LOCATION:
SEQUENCE:{sequence}
STATUS:CONFIRMED
SUMMARY:Møde
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
""")
    outer, inner = "000000000000" + uuid.uuid4().hex[:12], "000000000000" + uuid.uuid4().hex[:12]
    text = _headers(attendee, name, f"{word}: Møde @ Wed 12 May 2027 09:00 - 11:30 (CEST) ({ORGANISER})", when,
                    message_id) + f"""Reply-To: {name} <{attendee}>
Content-Type: multipart/mixed; boundary="{outer}"

--{outer}
Content-Type: multipart/alternative; boundary="{inner}"

--{inner}
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes
Content-Transfer-Encoding: base64

{_b64(f"{name} has {word.lower()} this invitation.")}
--{inner}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<span>{name} has {word.lower()} this invitation.</span>
--{inner}
Content-Type: text/calendar; charset="UTF-8"; method=REPLY
Content-Transfer-Encoding: base64

{_b64(cal)}
--{inner}--

--{outer}
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

{_b64(cal)}
--{outer}--
"""
    return _crlf(text).encode("utf-8")


def apple_reply(uid: str, sequence: int, attendee: str, name: str, partstat: str, when: dt.datetime,
                message_id: str | None = None) -> bytes:
    cal = _crlf(f"""BEGIN:VCALENDAR
METHOD:REPLY
VERSION:2.0
PRODID:-//Apple Inc.//macOS 14.4//EN
BEGIN:VEVENT
ATTENDEE;CN="{name}";CUTYPE=INDIVIDUAL;EMAIL="{attendee}";PARTSTAT={partstat}:mailto:{attendee}
DTEND;TZID=Europe/Copenhagen:20270512T113000
DTSTAMP:{_stamp(when)}
DTSTART;TZID=Europe/Copenhagen:20270512T090000
ORGANIZER;CN="Børn og Unge, Aarhus Kommune";EMAIL="{ORGANISER}":mailto:{ORGANISER}
REQUEST-STATUS:2.0;Success
SEQUENCE:{sequence}
SUMMARY:Møde
UID:{uid}
END:VEVENT
END:VCALENDAR
""")
    boundary = "Apple-Mail=_" + str(uuid.uuid4()).upper()
    word = {"ACCEPTED": "accepteret", "DECLINED": "afvist", "TENTATIVE": "foreløbigt accepteret"}[partstat]
    text = _headers(attendee, name, f"Invitation {word}: Møde", when, message_id) + f"""Content-Type: multipart/alternative; boundary="{boundary}"

--{boundary}
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain; charset=utf-8

{name} har {word} din invitation.
--{boundary}
Content-Transfer-Encoding: base64
Content-Type: text/calendar; charset=utf-8; method=REPLY; name=iCal-20270415-081500.ics

{_b64(cal)}
--{boundary}--
"""
    return _crlf(text).encode("utf-8")


def wrapped(inner: bytes, by: str, when: dt.datetime) -> bytes:
    """A reply inside another message (message/rfc822), as a forward or a gateway sends it."""
    boundary = "wrap-" + uuid.uuid4().hex[:16]
    head = _headers(by, "Sekretariat", "VS: svar på mødeindkaldelse", when, None)
    text = head + f"""Content-Type: multipart/mixed; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=utf-8

Videresendt svar.
--{boundary}
Content-Type: message/rfc822
Content-Disposition: attachment

"""
    return _crlf(text).encode("utf-8") + inner + _crlf(f"\n--{boundary}--\n").encode("ascii")


def malformed_reply(attendee: str, when: dt.datetime) -> bytes:
    """A REPLY whose calendar file is cut off (END:VCALENDAR without END:VEVENT)."""
    cal = _crlf("BEGIN:VCALENDAR\nMETHOD:REPLY\nVERSION:2.0\nBEGIN:VEVENT\nUID:broken@example.net\nEND:VCALENDAR\n")
    text = _headers(attendee, "Nogen", "Accepted: Møde", when, None) + f"""Content-Type: text/calendar; method=REPLY; charset=utf-8
Content-Transfer-Encoding: 8bit

{cal}"""
    return _crlf(text).encode("utf-8")


def plain_mail(sender: str, when: dt.datetime) -> bytes:
    """An ordinary email to the administration: not a calendar reply, left where it is."""
    text = _headers(sender, "En leder", "Spørgsmål om datapakken", when, None) + \
        "Content-Type: text/plain; charset=utf-8\n\nHvornår kommer datapakken?\n"
    return _crlf(text).encode("utf-8")
