"""Links in emails are capabilities (SPEC 6): unguessable, for one person, one deadline, expiring.

A token is an HMAC of (purpose, event, recipient, expiry) under the link secret, so the sender can
derive it again when it renders the email; the database keeps only its SHA-256 (`capability`),
which the web forms of a later issue look up. The URL paths (cycle.kinds, each deadline kind's
`path`) are the contract with them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from cycle.kinds import deadline_for_link

from cycle.kinds import LINK_PATHS as PATHS  # purpose -> URL path, from the registry of deadline kinds


def token(secret: str, purpose: str, event_uid: str, recipient: str, expires: dt.datetime) -> str:
    msg = "|".join([purpose, event_uid, recipient.lower(), expires.astimezone(dt.timezone.utc).isoformat()])
    digest = hmac.new(secret.encode(), msg.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(tok: str) -> str:
    return hashlib.sha256(tok.encode()).hexdigest()


def url(base_url: str, purpose: str, tok: str) -> str:
    return base_url.rstrip("/") + PATHS[purpose].format(token=tok)


def expiry(purpose: str, due_date: dt.date, talk_date: dt.date | None, tz) -> dt.datetime:
    """A statement link works until the talk it feeds; a form link 30 days past its due date."""
    deadline = deadline_for_link(purpose)
    talk = deadline.talk if deadline is not None else None
    if talk == "before" and talk_date is not None:
        day = talk_date
    elif talk == "after":
        day = due_date + dt.timedelta(days=30)
    else:
        day = due_date + dt.timedelta(days=14)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
