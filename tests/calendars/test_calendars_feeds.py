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


def _descriptions(data: bytes) -> dict[str, str]:
    return {str(ev["UID"]): str(ev["DESCRIPTION"]) for ev in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def test_a_feed_over_two_loops_describes_each_event_with_its_own_loop(loop06, loop618, org):
    """The reviewer's case: a chief in the 0-6 loop (council 2027-04-28) and the 6-18 loop
    (council 2028-04-26); the 6-18 talk must not be described as part of the 0-6 loop."""
    chief = "chief-01@example.dk"
    fu = next(u for u in org.units if u.name == "FU Sødal Vest")
    assert fu.chief.email == chief
    data = feeds.person_feed_of_loops([(loop06.events, loop06.ctx), (loop618.events, loop618.ctx)], chief)
    got = _descriptions(data)
    talk = loop618.one("learning_talk", fu.id, 1)
    assert talk.title == "Læringssamtale 1 af 4: FU Sødal Vest"
    assert "Kvalitetsloop for 6-18-årsområdet" in got[talk.uid] and "26. april 2028" in got[talk.uid]
    assert "0-6-årsområdet" not in got[talk.uid] and "2027" not in got[talk.uid].split("\n")[1]
    # Every event reads exactly as in its own loop's invitation or calendar.
    for loop in (loop06, loop618):
        mine = [e for e in loop.events if chief in e.emails()]
        assert mine
        own = _descriptions(feeds.person_feed(loop.events, chief, loop.ctx))
        for e in mine:
            assert got[e.uid] == own[e.uid], e.title
    assert len(got) == sum(chief in e.emails() for lp in (loop06, loop618) for e in lp.events)


def test_af_n_counts_come_from_each_events_own_framework(alb06, loop618):
    """An Albertslund 0-6 loop (3 talks, no one-to-ones [004]) beside an Aarhus 6-18 loop (4, 12)."""
    chief = "chief-01@example.dk"
    assert not [e for e in alb06.events if e.kind == "one_to_one"]
    for order in ([alb06, loop618], [loop618, alb06]):
        got = _descriptions(feeds.person_feed_of_loops([(lp.events, lp.ctx) for lp in order], chief))
        for lp, talk_of, talk_word in ((alb06, "3 af 3", "kvalitetsdialog"), (loop618, "3 af 4", "Læringssamtale")):
            talk = next(e for e in lp.events if e.kind == "learning_talk" and e.number == 3 and chief in e.emails())
            first_line = got[talk.uid].split("\n", 1)[0]
            assert talk_of in first_line and talk_word in first_line, first_line
        one = next(e for e in loop618.events if e.kind == "one_to_one" and e.number == 1 and chief in e.emails())
        assert got[one.uid].startswith("1:1 ledelsesopfølgning 1 af 12 for ")


def test_a_feed_over_several_loops_has_one_dtstamp_and_no_events_is_still_a_calendar(loop06, loop618):
    chief = "chief-01@example.dk"
    now = dt.datetime(2027, 6, 1, 8, 30, tzinfo=dt.timezone.utc)
    cal = icalendar.Calendar.from_ical(
        feeds.person_feed_of_loops([(loop06.events, loop06.ctx), (loop618.events, loop618.ctx)], chief, now))
    assert {ev.decoded("DTSTAMP") for ev in cal.walk("VEVENT")} == {now}
    empty = icalendar.Calendar.from_ical(feeds.person_feed_of_loops([], chief, now))
    assert str(empty["METHOD"]) == "PUBLISH" and empty.walk("VEVENT") == []
