"""Builds the calendar side's context from a stored loop: the one place that joins the two."""

from __future__ import annotations

import datetime as dt

from calendars.context import CalendarContext, loop_info, units_from_organisation
from calendars.feeds import loop_calendar, person_feed_of_loops
from kvalitetsloop.usecases.loops import LoopView, PersonInLoop
from kvalitetsloop.settings import get_settings


def context_for(view: LoopView | PersonInLoop, now: dt.datetime | None = None) -> CalendarContext:
    """Everything the invitation and feed builders need about this loop, in the words of the
    loop's own framework. `now` stamps DTSTAMP. The units are those of `view.organisation`: the
    whole organisation, or for a person's feed only the units of their events."""
    loop = view.loop
    return CalendarContext.from_settings(
        get_settings(),
        units=units_from_organisation(view.organisation),
        loop=loop_info(loop.id, loop.area, loop.council_date, view.fw, tuple(loop.themes or ())),
        now=now or loop.created_at,
    )


def loop_ics(view: LoopView, now: dt.datetime | None = None) -> bytes:
    return loop_calendar(view.events, context_for(view, now))


def feed_ics(views: list[LoopView | PersonInLoop], email: str, now: dt.datetime) -> tuple[bytes, int]:
    """One person's feed over the given loops, and how many events it holds. Each event is
    described with its own loop's context: its area, council date, counts and framework."""
    email = email.strip().lower()
    loops = []
    count = 0
    for v in views:
        mine = [e for e in v.events if email in e.emails()]
        if mine:
            loops.append((mine, context_for(v, now)))
            count += len(mine)
    return person_feed_of_loops(loops, email, now), count
