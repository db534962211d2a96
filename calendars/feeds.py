"""Subscription feeds (METHOD:PUBLISH): one person's events, and the whole loop.

A PUBLISH carries no ATTENDEE properties (RFC 5546 3.2.1), so a feed never hands out other
people's addresses; a meeting's description names its participants and their roles, which is what
every invitee sees in the invitation anyway. Deadlines are all-day (VALUE=DATE) and transparent.
Cancelled events stay in the feed with STATUS:CANCELLED, so a subscribed calendar updates them
instead of keeping a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable

from calendars import ical, texts
from calendars.context import CalendarContext
from calendars.vevent import vcalendar, vevent
from cycle.events import Event

# How often a subscribing client should fetch the feed again.
REFRESH = "PT6H"


def _feed_headers(name: str) -> list[bytes]:
    return [
        ical.text_line("X-WR-CALNAME", name),
        ical.text_line("NAME", name),
        ical.content_line("X-WR-TIMEZONE", "Europe/Copenhagen"),
        ical.content_line("REFRESH-INTERVAL", REFRESH, (("VALUE", "DURATION"),)),
        ical.content_line("X-PUBLISHED-TTL", REFRESH),
    ]


def _publish(events: Iterable[Event], ctx: CalendarContext, name: str) -> bytes:
    stamp = ical.utc_stamp(ctx.dtstamp())
    ordered = sorted(events, key=lambda e: (e.start, e.uid))
    return vcalendar((vevent(e, ctx, dtstamp=stamp) for e in ordered), "PUBLISH", _feed_headers(name))


def person_feed(events: Iterable[Event], email: str, ctx: CalendarContext) -> bytes:
    """Every event `email` takes part in (meetings and their deadlines), as a PUBLISH feed."""
    wanted = email.strip().lower()
    mine = []
    name = ""
    for e in events:
        for a in e.attendees:
            if a.email.lower() == wanted:
                mine.append(e)
                name = name or a.name
                break
    return _publish(mine, ctx, texts.FEED_NAME.format(name=name or wanted))


def loop_calendar(events: Iterable[Event], ctx: CalendarContext) -> bytes:
    """The whole loop: every meeting and deadline, cancelled ones with STATUS:CANCELLED."""
    if ctx.loop is not None:
        name = texts.LOOP_CALENDAR_NAME.format(area=ctx.loop.area, council=ctx.loop.council_date.isoformat())
    else:
        name = texts.LOOP_CALENDAR_NAME_PLAIN
    return _publish(events, ctx, name)
