"""The one place that builds a MIME message (SPEC 4.2, 4.3).

yagmail cannot build what we need (it always makes mixed > alternative(plain, related(html)),
turns newlines of the text part into <br>, gives an .ics attachment no `method`, and derives the
Message-ID from from+to+subject), so messages are built here with the standard email package
and only handed to yagmail's connection:

- a reminder or notice: multipart/alternative (text/plain, text/html), with
  `Auto-Submitted: auto-generated` (RFC 3834);
- an invitation: multipart/mixed holding multipart/alternative (text/plain, text/html,
  text/calendar; method=REQUEST|CANCEL; charset=UTF-8) and the same file as `invite.ics`
  (RFC 6047). Never Auto-Submitted: calendar servers skip auto-submitted iMIP.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from email import policy
from email.generator import BytesGenerator
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr
from io import BytesIO
from zoneinfo import ZoneInfo

from cycle.framework import DEFAULT_TIMEZONE

# compat32 with CRLF: the modern policy re-parses every header on output and costs milliseconds
# per message; headers here are encoded (RFC 2047) and folded by `_encode` below.
class _PreFolded(policy.Compat32):
    """Writes headers as given: they are ASCII, RFC 2047-encoded and folded by `_encode`."""

    def fold(self, name, value):
        return f"{name}: {value}{self.linesep}"

    def fold_binary(self, name, value):
        return self.fold(name, value).encode("ascii")


_POLICY = _PreFolded(linesep="\r\n")


@dataclass(frozen=True)
class Envelope:
    """What one email carries besides its bodies."""

    sender: str
    sender_name: str
    recipient: str
    recipient_name: str
    subject: str
    message_id: str
    date: dt.datetime
    auto_submitted: bool = True
    # RFC 5322 3.6.2: the mailbox that actually sent the message, when it is not the author in
    # From (an invitation is From the organiser and sent by the system address).
    on_behalf: str | None = None
    reply_to: str | None = None
    method: str | None = None
    ics: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The time zone the Date header is written in: the loop's framework's.
    timezone: str = DEFAULT_TIMEZONE


def new_message_id(domain: str) -> str:
    """A unique Message-ID on our own domain (never the yagmail hash of from+to+subject)."""
    return f"<{uuid.uuid4().hex}@{domain}>"


def _qp(body: str, subtype: str) -> MIMENonMultipart:
    # binascii's quoted-printable is C; the email package's own encoder costs milliseconds.
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    data = body.replace("\r\n", "\n").encode("utf-8")
    part.set_payload(binascii.b2a_qp(data, quotetabs=False, istext=True).decode("ascii"))
    return part


def _calendar(ics: bytes, method: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", "calendar", method=method, charset="UTF-8")
    part.set_payload(ics)
    from email.encoders import encode_base64

    encode_base64(part)
    return part


def _boundary(message_id: str, part: str) -> str:
    # "=_" never occurs in quoted-printable or base64 bodies (RFC 2045), so the boundary can be
    # derived from the Message-ID: a message sent again after a crash is the same bytes, and the
    # generator is spared a regular-expression scan of every body.
    return "=_" + hashlib.sha256(f"{message_id}/{part}".encode()).hexdigest()[:32]


def _address(name: str, email: str) -> str:
    if not name:
        return email
    name = " ".join(name.split())
    if name.isascii():
        return formataddr((name, email))
    return f"{_encode(name)}\r\n <{email}>"


def build(env: Envelope, text: str, html: str) -> bytes:
    """The message as bytes with CRLF line ends, ready for SMTP DATA."""
    alternative = MIMEMultipart("alternative", boundary=_boundary(env.message_id, "alternative"))
    alternative.attach(_qp(text, "plain"))
    alternative.attach(_qp(html, "html"))
    if env.ics is not None:
        if env.method not in ("REQUEST", "CANCEL"):
            raise ValueError(f"an invitation needs method REQUEST or CANCEL, not {env.method!r}")
        alternative.attach(_calendar(env.ics, env.method))
        msg = MIMEMultipart("mixed", boundary=_boundary(env.message_id, "mixed"))
        msg.attach(alternative)
        attachment = MIMEApplication(env.ics, "ics", name="invite.ics")
        attachment.replace_header("Content-Type", 'application/ics; name="invite.ics"')
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        msg.attach(attachment)
    else:
        msg = alternative
    msg["From"] = _address(env.sender_name, env.sender)
    if env.on_behalf and env.on_behalf.lower() != env.sender.lower():
        msg["Sender"] = env.on_behalf
    msg["To"] = _address(env.recipient_name, env.recipient)
    msg["Subject"] = _header(env.subject)
    msg["Date"] = format_datetime(env.date.astimezone(ZoneInfo(env.timezone)))
    msg["Message-ID"] = env.message_id
    if env.reply_to:
        msg["Reply-To"] = env.reply_to
    msg["Content-Language"] = "da"
    if env.auto_submitted:
        msg["Auto-Submitted"] = "auto-generated"
    for k, v in env.headers.items():
        msg[k] = _header(v)
    buf = BytesIO()
    BytesGenerator(buf, mangle_from_=False, policy=_POLICY).flatten(msg)
    return buf.getvalue()


def _header(value: str) -> str:
    value = " ".join(str(value).split())  # no line breaks reach a header
    return value if value.isascii() and len(value) < 900 else _encode(value)


def _encode(value: str) -> str:
    """RFC 2047 encoded words (UTF-8, base64), folded so no line exceeds 78 characters."""
    words, chunk, size = [], [], 0
    for ch in value:
        n = len(ch.encode("utf-8"))
        if size + n > 42:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    if chunk:
        words.append("".join(chunk))
    return "\r\n ".join("=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words)
