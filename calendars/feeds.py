"""Subscription feeds (METHOD:PUBLISH): one person's events, and the whole loop.

A PUBLISH carries no ATTENDEE properties (RFC 5546 3.2.1), so a feed never hands out other
people's addresses; a meeting's description names its participants and their roles, which is what
every invitee sees in the invitation anyway. Deadlines are all-day (VALUE=DATE) and transparent.
Cancelled events stay in the feed with STATUS:CANCELLED, so a subscribed calendar updates them
instead of keeping a stale copy. A person's feed may span several loops: each event is then
described with its own loop's context (``person_feed_of_loops``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from calendars import ical, texts
from calendars.context import CalendarContext
from calendars.timezone import TZID
from calendars.vevent import vcalendar, vevent
from cycle.events import Event

# How often a subscribing client should fetch the feed again.
REFRESH = "PT6H"


def _feed_headers(name: str) -> list[bytes]:
    return [
        ical.text_line("X-WR-CALNAME", name),
        ical.text_line("NAME", name),
        ical.content_line("X-WR-TIMEZONE", TZID),
        ical.content_line("REFRESH-INTERVAL", REFRESH, (("VALUE", "DURATION"),)),
        ical.content_line("X-PUBLISHED-TTL", REFRESH),
    ]


def _publish(pairs: Iterable[tuple[Event, CalendarContext]], stamp: str, name: str) -> bytes:
    ordered = sorted(pairs, key=lambda p: (p[0].start, p[0].uid))
    return vcalendar((vevent(e, ctx, dtstamp=stamp) for e, ctx in ordered), "PUBLISH", _feed_headers(name))


def person_feed(events: Iterable[Event], email: str, ctx: CalendarContext) -> bytes:
    """Every event `email` takes part in (meetings and their deadlines) of one loop, as a PUBLISH feed."""
    return person_feed_of_loops([(events, ctx)], email)


def person_feed_of_loops(loops: Iterable[tuple[Iterable[Event], CalendarContext]], email: str,
                         now: dt.datetime | None = None) -> bytes:
    """One person's feed over several loops: (events, context) per loop, each event described
    with its own loop's context (area, council date, counts, the framework's words).

    DTSTAMP is one for the whole feed: `now`, or else the first context's clock.
    """
    wanted = email.strip().lower()
    mine: list[tuple[Event, CalendarContext]] = []
    name = ""
    first: CalendarContext | None = None
    for events, ctx in loops:
        first = first or ctx
        for e in events:
            for a in e.attendees:
                if a.email.lower() == wanted:
                    mine.append((e, ctx))
                    name = name or a.name
                    break
    if now is not None:
        when = now
    elif first is not None:
        when = first.dtstamp()
    else:
        raise ValueError("a feed needs a time for its DTSTAMP: pass now, or a context with now")
    return _publish(mine, ical.utc_stamp(when), texts.FEED_NAME.format(name=name or wanted))


def loop_calendar(events: Iterable[Event], ctx: CalendarContext) -> bytes:
    """The whole loop: every meeting and deadline, cancelled ones with STATUS:CANCELLED."""
    if ctx.loop is not None:
        name = texts.LOOP_CALENDAR_NAME.format(
            area=ctx.loop.area, council=ctx.loop.wording.council if ctx.loop.has_council else "start",
            date=ctx.loop.council_date.isoformat())
    else:
        name = texts.LOOP_CALENDAR_NAME_PLAIN
    return _publish(((e, ctx) for e in events), ical.utc_stamp(ctx.dtstamp()), name)
