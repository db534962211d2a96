"""Every exported event reads the same in icalendar, vobject and ical."""

from __future__ import annotations

import datetime as dt

import pytest
from ics_readers import UTC, physical_lines, read_all

from calendars import changes, feeds, invitations
from calendars.caldav_publish import resource


def _expected_start(event):
    if event.all_day:
        return event.start.date()
    return event.start.astimezone(UTC)


def _assert_same_everywhere(data: bytes, events, *, method, attendees: bool):
    by_uid = {e.uid: e for e in events}
    results = read_all(data)
    reference = None
    for name, (got_method, reads) in results.items():
        assert got_method == method, name
        assert sorted(r.uid for r in reads) == sorted(by_uid), name
        for r in reads:
            e = by_uid[r.uid]
            assert r.start == _expected_start(e), (name, e.title)
            assert r.end == (e.end.date() if e.all_day else e.end.astimezone(UTC)), (name, e.title)
            assert r.sequence == e.sequence, name
            assert r.summary == e.title, name
            assert r.dtstamp.utcoffset() == dt.timedelta(0), name
            if attendees and e.is_meeting:
                assert {a[0] for a in r.attendees} == {a.email for a in e.attendees}, (name, e.title)
            else:
                assert r.attendees == (), name
        if reference is None:
            reference = {r.uid: r for r in reads}
        else:
            for r in reads:
                assert r == reference[r.uid], f"{name} disagrees with icalendar on {r.uid}"


@pytest.mark.parametrize("which", ["loop06", "loop618"])
def test_whole_loop_export_reads_identically_in_three_parsers(which, request):
    loop = request.getfixturevalue(which)
    data = feeds.loop_calendar(loop.events, loop.ctx)
    _assert_same_everywhere(data, loop.events, method="PUBLISH", attendees=False)


@pytest.mark.parametrize("which,units", [("loop618", ("sk-001", "fu-001", None)), ("loop06", ("dt-001", None))])
def test_every_invitation_of_a_unit_reads_identically_in_three_parsers(which, units, request):
    """All meetings of a school, an FU area and a self-owned daycare, and every network meeting."""
    loop = request.getfixturevalue(which)
    meetings = [e for e in loop.events if e.is_meeting and e.unit_id in units]
    assert {e.kind for e in meetings} == {"learning_talk", "one_to_one", "network_meeting"}
    for e in meetings:
        _assert_same_everywhere(invitations.request(e, loop.ctx), [e], method="REQUEST", attendees=True)


def test_invitations_carry_every_attendee_with_the_rsvp_parameters(loop06):
    for e in [loop06.one("learning_talk", "dt-001", 1), loop06.one("learning_talk", "dt-003", 2),
              loop06.one("one_to_one", "dt-003", 5), loop06.one("network_meeting")]:
        for name, (_, [r]) in read_all(invitations.request(e, loop06.ctx)).items():
            assert len(r.attendees) == len(e.attendees), name
            names = {a.email: (a.name or a.email) for a in e.attendees}
            for email, cn, role, partstat, rsvp, cutype in r.attendees:
                assert cn == names[email], name
                assert role in ("CHAIR", "REQ-PARTICIPANT"), name
                assert (partstat, rsvp, cutype) == ("NEEDS-ACTION", "TRUE", "INDIVIDUAL"), name
            assert r.organizer == "kvalitet@aarhus.example.dk"


def test_cancellations_and_person_feeds_read_identically(loop06):
    talk = loop06.one("learning_talk", "dt-004", 3)
    cancelled = talk.with_changes(sequence=talk.sequence + 1, status="cancelled")
    [msg] = changes.messages_for_change(cancelled, "cancelled", loop06.ctx)
    _assert_same_everywhere(msg.ics, [cancelled], method="CANCEL", attendees=True)
    chief = talk.attendees[0].email
    mine = [e for e in loop06.events if chief in e.emails()]
    _assert_same_everywhere(feeds.person_feed(loop06.events, chief, loop06.ctx), mine, method="PUBLISH",
                            attendees=False)


def test_caldav_resources_read_identically(small_loop):
    for e in small_loop.events:
        data, _ = resource(e, small_loop.ctx)
        _assert_same_everywhere(data, [e], method=None, attendees=True)


def test_output_is_crlf_and_folded_everywhere(loop06):
    data = feeds.loop_calendar(loop06.events, loop06.ctx)
    for line in physical_lines(data):
        assert len(line) <= 75
        line.decode("utf-8")  # no line ends inside a character
