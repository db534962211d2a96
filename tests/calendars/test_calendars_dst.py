"""Daylight saving: the right instant in every parser, and a VTIMEZONE that decodes like zoneinfo."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import icalendar
from dateutil import tz as dateutil_tz
from ics_readers import UTC, read_all

from calendars import feeds, invitations
from calendars.context import CalendarContext
from calendars.timezone import VTIMEZONE
from cycle.events import Attendee, Event, make_uid

CPH = ZoneInfo("Europe/Copenhagen")
YEARS = range(2026, 2036)
PEOPLE = (Attendee("chief-01@example.dk", "chief", "Kasper Bæk Thomsen"),
          Attendee("troels@example.dk", "leader", "Troels Wæver Damgård"))


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 6) % 7)


def _meeting(n: int, start: dt.datetime, minutes: int = 90) -> Event:
    start = start.astimezone(CPH)
    return Event(uid=make_uid("dst", "one_to_one", "dt-001", n), kind="one_to_one", start=start,
                 end=start + dt.timedelta(minutes=minutes), title=f"1:1 ledelsesopfølgning {n}: Vuggestuen Rønnebærhuset",
                 unit_id="dt-001", number=n, attendees=PEOPLE, host_role="chief", sector="dagtilbud")


def _around_transitions() -> list[Event]:
    """Meetings the working days before and after each change, and at the odd hours of the night."""
    out, n = [], 0
    for year in YEARS:
        for month in (3, 10):
            sunday = last_sunday(year, month)
            starts = [dt.datetime.combine(sunday - dt.timedelta(days=2), dt.time(8), CPH),   # Friday 08:00
                      dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(8), CPH),   # Monday 08:00
                      dt.datetime.combine(sunday - dt.timedelta(days=1), dt.time(23), CPH)]  # spans the change
            # Sunday night, in UTC: 00:30, 01:30 and 02:30 lie before, across and after the change;
            # in October 00:30Z and 01:30Z are both 02:30 local (the hour that happens twice).
            starts += [dt.datetime.combine(sunday, dt.time(h, 30), UTC) for h in (0, 1, 2)]
            for s in starts:
                n += 1
                out.append(_meeting(n, s, minutes=300 if s.hour == 23 else 90))
    return out


def test_meetings_around_every_change_have_the_right_instant_in_every_parser():
    events = _around_transitions()
    ctx = CalendarContext(organiser="kvalitet@aarhus.example.dk", now=dt.datetime(2026, 1, 1, tzinfo=UTC))
    for e in events:
        for name, (_, [r]) in read_all(invitations.request(e, ctx)).items():
            assert r.start == e.start.astimezone(UTC), (name, e.start.isoformat())
            assert r.end == e.end.astimezone(UTC), (name, e.end.isoformat())
    # And all of them at once, in a feed.
    data = feeds.person_feed(events, "chief-01@example.dk", ctx)
    for name, (_, reads) in read_all(data).items():
        got = {r.uid: (r.start, r.end) for r in reads}
        assert got == {e.uid: (e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in events}, name


def test_a_summer_meeting_and_a_winter_meeting_show_their_local_wall_clock():
    ctx = CalendarContext(organiser="kvalitet@aarhus.example.dk", now=dt.datetime(2027, 1, 1, tzinfo=UTC))
    summer = _meeting(1, dt.datetime(2027, 6, 2, 8, 0, tzinfo=CPH))
    winter = _meeting(2, dt.datetime(2027, 12, 2, 8, 0, tzinfo=CPH))
    assert b"DTSTART;TZID=Europe/Copenhagen:20270602T080000\r\n" in invitations.request(summer, ctx)
    assert b"DTSTART;TZID=Europe/Copenhagen:20271202T080000\r\n" in invitations.request(winter, ctx)


def test_the_repeated_october_hour_is_written_so_that_it_cannot_be_misread():
    """02:30 on the last Sunday of October happens twice; a TZID time means the first (RFC 5545
    3.3.5), so the second is written in UTC."""
    ctx = CalendarContext(organiser="kvalitet@aarhus.example.dk", now=dt.datetime(2027, 1, 1, tzinfo=UTC))
    sunday = last_sunday(2027, 10)
    first = _meeting(1, dt.datetime.combine(sunday, dt.time(0, 30), UTC), minutes=30)
    second = _meeting(2, dt.datetime.combine(sunday, dt.time(1, 30), UTC), minutes=30)
    assert b"DTSTART;TZID=Europe/Copenhagen:20271031T023000\r\n" in invitations.request(first, ctx)
    assert b"DTSTART:20271031T013000Z\r\n" in invitations.request(second, ctx)


def test_deadlines_on_the_change_sundays_stay_on_their_date():
    ctx = CalendarContext(organiser="kvalitet@aarhus.example.dk", now=dt.datetime(2027, 1, 1, tzinfo=UTC))
    events = []
    for i, (year, month) in enumerate([(2027, 3), (2027, 10), (2030, 3), (2030, 10)]):
        day = last_sunday(year, month)
        events.append(Event(uid=make_uid("dst", "followup_form_due", "dt-001", i + 1), kind="followup_form_due",
                            start=dt.datetime.combine(day, dt.time(), CPH),
                            end=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), CPH),
                            title="Opfølgningsskema", all_day=True, number=i + 1, unit_id="dt-001",
                            attendees=PEOPLE))
    data = feeds.loop_calendar(events, ctx)
    for name, (_, reads) in read_all(data).items():
        assert {r.uid: (r.start, r.end) for r in reads} == {
            e.uid: (e.start.date(), e.end.date()) for e in events}, name


def _hours(year_from: int, year_to: int):
    """Every hour from 20 days before to 20 days after each change, and noon on every other day."""
    moment = dt.datetime(year_from, 1, 1, tzinfo=UTC)
    end = dt.datetime(year_to, 1, 1, tzinfo=UTC)
    changes = [dt.datetime.combine(last_sunday(y, m), dt.time(1), UTC) for y in range(year_from, year_to) for m in (3, 10)]
    while moment < end:
        near = any(abs(moment - c) < dt.timedelta(days=20) for c in changes)
        yield moment
        moment += dt.timedelta(hours=1) if near else dt.timedelta(days=1)


def _assert_like_zoneinfo(zone: dt.tzinfo, label: str):
    for moment in _hours(2026, 2036):
        assert moment.astimezone(zone).utcoffset() == moment.astimezone(CPH).utcoffset(), (label, moment)
        # And local wall-clock time back to UTC (first occurrence for the repeated hour).
        local = moment.astimezone(CPH).replace(tzinfo=None, fold=0)
        want = local.replace(tzinfo=CPH)
        if want.astimezone(UTC).astimezone(CPH).replace(tzinfo=None) != local:
            continue  # a wall-clock time that does not exist (the skipped March hour)
        assert local.replace(tzinfo=zone).utcoffset() == want.utcoffset(), (label, local)


def test_the_vtimezone_block_decodes_in_dateutil_like_zoneinfo():
    zones = dateutil_tz.tzical(io.StringIO(VTIMEZONE.decode("ascii")))
    assert zones.keys() == ["Europe/Copenhagen"]
    _assert_like_zoneinfo(zones.get("Europe/Copenhagen"), "dateutil")


def test_the_vtimezone_block_decodes_in_icalendar_like_zoneinfo():
    component = icalendar.Timezone.from_ical(VTIMEZONE)
    _assert_like_zoneinfo(component.to_tz(lookup_tzid=False), "icalendar")


def test_the_vtimezone_block_has_one_standard_and_one_daylight_rule():
    component = icalendar.Timezone.from_ical(VTIMEZONE)
    parts = [c.name for c in component.subcomponents]
    assert sorted(parts) == ["DAYLIGHT", "STANDARD"]
    for part in component.subcomponents:
        assert "RDATE" not in part
        assert part["RRULE"]["FREQ"] == ["YEARLY"]
    daylight = next(c for c in component.subcomponents if c.name == "DAYLIGHT")
    standard = next(c for c in component.subcomponents if c.name == "STANDARD")
    # Local standard time 02:00 in March, local summer time 03:00 in October.
    assert daylight.decoded("DTSTART").time() == dt.time(2) and daylight["RRULE"]["BYMONTH"] == [3]
    assert standard.decoded("DTSTART").time() == dt.time(3) and standard["RRULE"]["BYMONTH"] == [10]


def test_every_calendar_with_local_times_carries_exactly_that_vtimezone(loop06):
    data = feeds.loop_calendar(loop06.events, loop06.ctx)
    assert data.count(b"BEGIN:VTIMEZONE") == 1
    assert VTIMEZONE in data
    talk = loop06.one("learning_talk", "dt-003", 1)
    assert VTIMEZONE in invitations.request(talk, loop06.ctx)
