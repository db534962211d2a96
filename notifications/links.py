"""Links in emails are capabilities (SPEC 6): unguessable, for one person, one deadline, expiring.

A token is 256 random bits (`secrets`), made when the email is composed and stored nowhere but
in that email: the database keeps only its SHA-256 (`capability`), written by the sender just
before the email goes out. Nobody who reads the database, the outbox or the link secret can make
a working link. The expiry is decided with the email (the deadline plus the framework's grace,
`links.grace_days`); the portal (portal/) looks a token up by its hash. The URL paths (cycle.kinds,
each deadline kind's `path`) are the contract with it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from cycle.kinds import deadline_for_link

from cycle.kinds import LINK_PATHS

# The data team's page (its link comes with each data-package request) and the download of a
# data package uploaded there; a person's calendar feed and page of talks (stable per person).
DATA_TEAM = "data_team"
DATA_PACKAGE_FILE = "data_package_file"
# purpose -> URL path: the deadline kinds' forms (the registry) and the portal's other pages.
PATHS = {**LINK_PATHS, DATA_TEAM: "/datapakker/{token}", DATA_PACKAGE_FILE: "/datapakke/{token}"}
FEED = "feed"
FEED_PATH = "/kalender/{token}.ics"
PERSON_PATH = "/mine/{token}"
# How long a data-package request's link to the data team's page works.
DATA_TEAM_DAYS = 60

# 32 bytes = 256 random bits; the issue asks for at least 128.
TOKEN_BYTES = 32
# The longest token the portal will look at (a longer path segment is refused before any lookup).
MAX_TOKEN_LENGTH = 64


_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{20,%d}" % MAX_TOKEN_LENGTH)


def well_formed(token: object) -> bool:
    """Whether `token` can be a token at all (looked up only then)."""
    return isinstance(token, str) and _WELL_FORMED.fullmatch(token) is not None


def new_token() -> str:
    """A fresh capability token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(tok: str) -> str:
    return hashlib.sha256(tok.encode()).hexdigest()


def personal_token(secret: str, purpose: str, email: str) -> str:
    """A stable token for one person (a calendar feed): HMAC-SHA256 of the address under the link
    secret, so every email can show the same subscription URL. Stored, like the others, only as a
    hash; with the secret kept secret it is as unguessable as a random one."""
    msg = f"{purpose}|{email.strip().lower()}".encode()
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode().rstrip("=")


def url(base_url: str, purpose: str, tok: str) -> str:
    return base_url.rstrip("/") + PATHS[purpose].format(token=tok)


def expiry(purpose: str, due_date: dt.date, talk_date: dt.date | None, tz, grace_days: int) -> dt.datetime:
    """The end of the due date plus the framework's grace days; a statement that feeds a talk is
    no use after it, so its link ends with the talk's day at the latest."""
    deadline = deadline_for_link(purpose)
    day = due_date + dt.timedelta(days=grace_days)
    if deadline is not None and deadline.talk == "before" and talk_date is not None:
        day = max(due_date, min(day, talk_date))
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
