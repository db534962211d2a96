"""Use cases of the personal links: a person's calendar feed over HTTP and their talks.

A person's token is stable (notifications.links.personal_token), so every invitation shows the
same subscription address; the database keeps its hash to find the person. The feed is built
by the existing feed builder (kvalitetsloop.calendar_context.feed_ics); its ETag is a hash of
the person and a fingerprint of everything that can change a feed (events, loops, units), so a
calendar that asks again with If-None-Match gets 304 without the feed being built, and a built
feed is kept in `cache` until the fingerprint changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from notifications import links
from storage.models_portal import FeedLinkRow

FEED = links.FEED


def personal_link(uow, secret: str, email: str, now: dt.datetime) -> str:
    """The person's token (stable), its hash stored so the portal can find the person."""
    token = links.personal_token(secret, FEED, email)
    with uow:
        uow.portal.add_feed_link(FeedLinkRow(token_hash=links.token_hash(token), email=email.strip().lower(),
                                             created_at=now))
        uow.commit()
    return token


def feed_link_rows(secret: str, emails, now: dt.datetime) -> list[dict]:
    """The feed-link rows of the people an invitation goes to (stored when it is decided)."""
    rows = {}
    for e in emails:
        h = links.token_hash(links.personal_token(secret, FEED, e))
        rows[h] = {"token_hash": h, "email": e.strip().lower(), "created_at": now}
    return list(rows.values())


def feed_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + links.FEED_PATH.format(token=token)


def page_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + links.PERSON_PATH.format(token=token)


def person_of(uow, token: str) -> str | None:
    """Whose token this is, or None."""
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{20,%d}" % links.MAX_TOKEN_LENGTH, token):
        return None
    with uow:
        row = uow.portal.feed_link(links.token_hash(token))
        return row.email if row is not None else None


def feed(uow, email: str, now: dt.datetime, cache: dict, if_none_match: str | None = None) -> tuple[str, bytes | None]:
    """(ETag, the feed) for `email`; the feed is None when `if_none_match` names the current ETag."""
    with uow:
        fingerprint = uow.portal.fingerprint()
    etag = '"' + hashlib.sha256(f"{email}|{fingerprint}".encode()).hexdigest()[:32] + '"'
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return etag, None
    hit = cache.get(email)
    if hit is not None and hit[0] == etag:
        return etag, hit[1]
    from kvalitetsloop.calendar_context import feed_ics
    from kvalitetsloop.usecases.loops import active_views

    payload, _ = feed_ics(active_views(uow), email, now)
    if len(cache) > 5000:
        cache.clear()
    cache[email] = (etag, payload)
    return etag, payload
