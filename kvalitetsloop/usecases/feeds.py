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
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

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
    if not links.well_formed(token):
        return None
    with uow:
        row = uow.portal.feed_link(links.token_hash(token))
        return row.email if row is not None else None


@dataclass
class FeedCache:
    """What the portal keeps between feed requests: the organisation and the built feeds, both
    valid while the fingerprint of the database is the same."""

    fingerprint: tuple | None = None
    organisation: object = None
    feeds: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FeedState:
    """Whose feed a link is and its current ETag: cheap to learn, asked on every request."""

    email: str
    fingerprint: tuple
    etag: str

    def matches(self, if_none_match: str | None) -> bool:
        return bool(if_none_match) and self.etag in [t.strip() for t in if_none_match.split(",")]


def feed_state(uow, token: str) -> FeedState | None:
    """The state of the feed behind `token`, or None for no such link (two indexed lookups)."""
    if not links.well_formed(token):
        return None
    with uow:
        row = uow.portal.feed_link(links.token_hash(token))
        if row is None:
            return None
        fingerprint = uow.portal.fingerprint()
    etag = '"' + hashlib.sha256(f"{row.email}|{fingerprint}".encode()).hexdigest()[:32] + '"'
    return FeedState(row.email, fingerprint, etag)


def cached_feed(cache: FeedCache, state: FeedState) -> bytes | None:
    """The feed built earlier for this state, if nothing changed since."""
    return cache.feeds.get(state.email) if cache.fingerprint == state.fingerprint else None


def build_feed(uow, state: FeedState, now: dt.datetime, cache: FeedCache) -> bytes:
    """Build the person's feed and keep it in `cache`.

    Only the person's own events are read (with their loops' frameworks and the organisation
    for the texts); the feed is built by kvalitetsloop.calendar_context.feed_ics, the builder of
    `calendar feed`."""
    from kvalitetsloop.calendar_context import feed_ics
    from kvalitetsloop.usecases.loops import LoopView

    with uow:
        if cache.fingerprint != state.fingerprint:
            cache.fingerprint, cache.organisation, cache.feeds = state.fingerprint, uow.organisation.load(), {}
        views = []
        for loop in uow.loops.active():
            fw = uow.loops.framework(loop)
            events = uow.portal.person_events(loop.id, state.email, ZoneInfo(fw.timezone))
            if events:
                views.append(LoopView(loop, uow.loops.framework_row(loop), fw, events, cache.organisation))
    payload, _ = feed_ics(views, state.email, now)
    if len(cache.feeds) > 5000:
        cache.feeds.clear()
    cache.feeds[state.email] = payload
    return payload
