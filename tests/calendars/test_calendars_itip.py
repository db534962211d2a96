"""RFC 5546 on every REQUEST and CANCEL a meeting's life produces, and what each one says."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from ics_readers import read_all

from calendars import changes, invitations
from calendars.invitations import NotAMeeting
from cycle.events import Attendee

DAY = dt.timedelta(days=1)


def _check_rfc5546(inv, ctx_now):
    """The rules every iTIP message must keep, read with icalendar."""
    cal = icalendar.Calendar.from_ical(inv.ics)
    assert str(cal["METHOD"]) == inv.method
    assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
    [ev] = cal.walk("VEVENT")
    assert str(ev["UID"]) == inv.uid
    assert int(ev["SEQUENCE"]) == inv.sequence
    stamp = ev.decoded("DTSTAMP")
    assert stamp.utcoffset() == dt.timedelta(0) and stamp == ctx_now
    assert b"DTSTAMP:" + stamp.strftime("%Y%m%dT%H%M%SZ").encode() in inv.ics  # written as UTC
    assert str(ev["ORGANIZER"]).lower() == "mailto:kvalitet@aarhus.example.dk"
    assert ev["ORGANIZER"].params["CN"] == "Børn og Unge, Aarhus Kommune"
    assert "DTSTART" in ev and "SUMMARY" in ev
    atts = ev.get("ATTENDEE", [])
    atts = atts if isinstance(atts, list) else [atts]
    assert {str(a)[7:] for a in atts} >= set(inv.recipients), "every recipient is an attendee"
    if inv.method == "CANCEL":
        assert str(ev["STATUS"]) == "CANCELLED"
    else:
        assert str(ev["STATUS"]) == "CONFIRMED"
        for a in atts:
            assert a.params["PARTSTAT"] == "NEEDS-ACTION" and a.params["RSVP"] == "TRUE"
    return ev


def test_a_talk_moved_twice_then_cancelled_keeps_its_uid_and_raises_its_sequence(loop06):
    talk = loop06.one("learning_talk", "dt-003", 2)
    ctx = loop06.ctx
    times = [ctx.now + dt.timedelta(days=i) for i in range(4)]
    moved1 = talk.with_changes(start=talk.start + DAY, end=talk.end + DAY, sequence=1, status="moved")
    moved2 = moved1.with_changes(start=moved1.start + DAY, end=moved1.end + DAY, sequence=2)
    cancelled = moved2.with_changes(sequence=3, status="cancelled")
    steps = [(talk, "created"), (moved1, "moved"), (moved2, "moved"), (cancelled, "cancelled")]
    messages = []
    for (event, change), now in zip(steps, times):
        [inv] = changes.messages_for_change(event, change, ctx.with_now(now))
        ev = _check_rfc5546(inv, now)
        assert ev.decoded("DTSTART") == event.start
        assert sorted(inv.recipients) == sorted(a.email for a in talk.attendees)
        messages.append(inv)
    assert [m.method for m in messages] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert {m.uid for m in messages} == {talk.uid}
    sequences = [m.sequence for m in messages]
    assert sequences == sorted(set(sequences)), "SEQUENCE strictly rising"
    stamps = [icalendar.Calendar.from_ical(m.ics).walk("VEVENT")[0].decoded("DTSTAMP") for m in messages]
    assert stamps == sorted(set(stamps)), "each message has a newer DTSTAMP"


def test_replacing_a_leader_cancels_for_the_old_one_and_invites_the_new_one(loop06):
    one = loop06.one("one_to_one", "dt-004", 7)
    old_leader = next(a for a in one.attendees if a.role == "leader")
    new_leader = Attendee("ny.leder@example.dk", "leader", "Ny Leder Æbelø")
    after = one.with_changes(attendees=tuple(new_leader if a is old_leader else a for a in one.attendees))
    msgs = changes.messages_for_change(after, ("attendees", {"added": [new_leader.email],
                                                             "removed": [old_leader.email]}), loop06.ctx)
    by_method = {m.method: m for m in msgs}
    assert sorted(by_method) == ["CANCEL", "REQUEST"]
    cancel, request = by_method["CANCEL"], by_method["REQUEST"]
    assert cancel.recipients == [old_leader.email] and request.recipients == [new_leader.email]
    assert cancel.sequence == request.sequence == one.sequence, "the current sequence, not a new one"
    c = _check_rfc5546(cancel, loop06.ctx.now)
    r = _check_rfc5546(request, loop06.ctx.now)
    cancel_att = c["ATTENDEE"] if isinstance(c["ATTENDEE"], list) else [c["ATTENDEE"]]
    assert [str(a) for a in cancel_att] == [f"mailto:{old_leader.email}"], "only the removed person is uninvited"
    assert {str(a)[7:] for a in r["ATTENDEE"]} == {a.email for a in after.attendees}
    assert "ikke længere" in str(c["DESCRIPTION"])
    assert c.decoded("DTSTART") == one.start, "the CANCEL names the meeting the person is taken off"


def test_attendee_change_passed_with_the_old_attendee_list_still_uninvites_correctly(loop06):
    talk = loop06.one("learning_talk", "dt-005", 3)
    gone = next(a for a in talk.attendees if a.role == "employee_rep")
    msgs = changes.messages_for_change(talk, ("attendees", {"added": [], "removed": [gone.email]}), loop06.ctx)
    assert [m.method for m in msgs] == ["CANCEL"]
    _, [r] = read_all(msgs[0].ics)["vobject"]
    assert [a[0] for a in r.attendees] == [gone.email]
    assert r.attendees[0][1] == (gone.name or gone.email), "the removed person's name is kept"


def test_two_removed_people_each_get_their_own_cancel(loop06):
    talk = loop06.one("learning_talk", "dt-005", 2)
    a, b = [x.email for x in talk.attendees if x.role == "pedagogical_leader"][:2]
    msgs = changes.messages_for_change(talk, ("attendees", {"added": [], "removed": [a, b]}), loop06.ctx)
    assert [(m.method, m.recipients) for m in msgs] == [("CANCEL", [a]), ("CANCEL", [b])]
    assert b.encode() not in msgs[0].ics and a.encode() not in msgs[1].ics


def test_only_meetings_get_invitations(loop06):
    for kind in ("data_package", "board_statement_due", "followup_form_due", "report_back_due",
                 "supervision_report_due", "council_meeting", "committee_overview"):
        event = loop06.one(kind)
        for change in ("created", "moved", "cancelled"):
            assert changes.messages_for_change(event, change, loop06.ctx) == []
        with pytest.raises(NotAMeeting):
            invitations.request(event, loop06.ctx)


def test_a_cancelled_meeting_gets_no_request(loop06):
    talk = loop06.one("learning_talk", "dt-003", 1).with_changes(status="cancelled", sequence=1)
    assert changes.messages_for_change(talk, "moved", loop06.ctx) == []
    with pytest.raises(ValueError):
        invitations.request(talk, loop06.ctx)
    with pytest.raises(ValueError):
        changes.messages_for_change(talk, "renamed", loop06.ctx)


def test_dtstamp_follows_the_context_clock_not_the_wall_clock(loop06):
    talk = loop06.one("learning_talk", "dt-003", 1)
    simulated = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    assert b"DTSTAMP:20310506T070809Z\r\n" in invitations.request(talk, loop06.ctx.with_now(simulated))
