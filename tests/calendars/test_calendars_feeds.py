"""Subscription feeds: one person's calendar, and the whole loop."""

from __future__ import annotations

import datetime as dt
import re

import icalendar

from calendars import feeds
from cycle.events import MEETING_KINDS

EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}")


def _unfolded(data: bytes) -> bytes:
    return data.replace(b"\r\n ", b"")


def test_a_leaders_feed_holds_their_meetings_and_deadlines_and_nothing_else(loop06, org):
    unit = org.by_id()["dt-003"]
    leader = unit.leader.email
    data = feeds.person_feed(loop06.events, leader, loop06.ctx)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert unit.leader.name in str(cal["X-WR-CALNAME"])
    uids = {str(ev["UID"]) for ev in cal.walk("VEVENT")}
    assert uids == {e.uid for e in loop06.events if leader in e.emails()}
    kinds = {e.kind for e in loop06.events if e.uid in uids}
    assert {"learning_talk", "one_to_one", "network_meeting", "followup_form_due", "report_back_due"} <= kinds
    assert all(e.unit_id in (None, "dt-003") for e in loop06.events if e.uid in uids)


def test_a_feed_gives_away_no_address_the_person_would_not_see_in_their_invitations(loop06, org):
    """No ATTENDEE properties; any address in the text belongs to someone the person meets."""
    for unit_id in ("dt-001", "dt-003"):
        unit = org.by_id()[unit_id]
        person = unit.role("pedagogical_leader")[0].email
        data = feeds.person_feed(loop06.events, person, loop06.ctx)
        assert b"\nATTENDEE" not in _unfolded(data)
        seen_in_invitations = {"kvalitet@aarhus.example.dk", person}
        for e in loop06.events:
            if e.kind in MEETING_KINDS and person in e.emails():
                seen_in_invitations |= e.emails()
        found = {m.decode().lower() for m in EMAIL.findall(_unfolded(data))}
        assert found and found <= seen_in_invitations, found - seen_in_invitations


def test_deadlines_in_a_feed_are_all_day_and_do_not_block_the_day(loop06, org):
    leader = org.by_id()["dt-003"].leader.email
    cal = icalendar.Calendar.from_ical(feeds.person_feed(loop06.events, leader, loop06.ctx))
    by_uid = {e.uid: e for e in loop06.events}
    deadlines = [ev for ev in cal.walk("VEVENT") if not by_uid[str(ev["UID"])].is_meeting]
    assert deadlines
    for ev in deadlines:
        e = by_uid[str(ev["UID"])]
        assert ev["DTSTART"].params["VALUE"] == "DATE"
        assert ev.decoded("DTSTART") == e.start.date()
        assert ev.decoded("DTEND") == e.start.date() + dt.timedelta(days=1)
        assert str(ev["TRANSP"]) == "TRANSPARENT"


def test_the_loop_calendar_has_every_event_and_marks_the_cancelled_ones(loop618):
    cancelled_talk = loop618.one("learning_talk", "sk-002", 3)
    events = [e.with_changes(status="cancelled", sequence=e.sequence + 1)
              if e.uid == cancelled_talk.uid or e.parent_uid == cancelled_talk.uid else e for e in loop618.events]
    data = feeds.loop_calendar(events, loop618.ctx)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert "6-18" in str(cal["X-WR-CALNAME"])
    vevents = {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}
    assert len(vevents) == len(events) == len(cal.walk("VEVENT"))
    for e in events:
        ev = vevents[e.uid]
        want = "CANCELLED" if e.status == "cancelled" else "CONFIRMED"
        assert str(ev["STATUS"]) == want, e.title
        assert int(ev["SEQUENCE"]) == e.sequence
        if e.all_day:
            assert ev["DTSTART"].params["VALUE"] == "DATE"
    dependents = [e for e in events if e.parent_uid == cancelled_talk.uid]
    assert dependents and all(str(vevents[e.uid]["STATUS"]) == "CANCELLED" for e in dependents)


def test_feeds_are_built_from_the_same_vevent_as_the_invitation(loop06):
    """Same UID, times, SUMMARY and DESCRIPTION in the invitation and in the feed."""
    from calendars import invitations

    talk = loop06.one("learning_talk", "dt-005", 2)
    inv = icalendar.Calendar.from_ical(invitations.request(talk, loop06.ctx)).walk("VEVENT")[0]
    chief = next(a.email for a in talk.attendees if a.role == "chief")
    feed = icalendar.Calendar.from_ical(feeds.person_feed(loop06.events, chief, loop06.ctx))
    ev = next(v for v in feed.walk("VEVENT") if str(v["UID"]) == talk.uid)
    for prop in ("DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "SEQUENCE", "LOCATION", "ORGANIZER"):
        assert ev[prop] == inv[prop], prop


def test_a_feed_for_someone_with_no_events_is_an_empty_valid_calendar(loop06):
    cal = icalendar.Calendar.from_ical(feeds.person_feed(loop06.events, "nobody@example.dk", loop06.ctx))
    assert str(cal["METHOD"]) == "PUBLISH" and cal.walk("VEVENT") == []
