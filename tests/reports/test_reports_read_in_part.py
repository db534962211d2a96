"""The administration's pages and reports read a loop in part (counts by the database, one unit's or
one chief's events by index), so a national loop answers in under a second. What they say must be
what the whole loop says: each is compared here with the same figures computed from every event in
memory, on the example organisation after the changes that make a wrong query differ (a cancelled
talk, a moved one-to-one, a unit removed, a chief replaced) and with submissions in (one late, one
sent twice, one after the moment asked about), at three moments, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from cycle import kinds
from cycle.phases import current_phase, phase_states
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.reports import cost, status, views
from kvalitetsloop.reports.build import year_wheel
from kvalitetsloop.reports.facts import open_loop
from kvalitetsloop.reports.yearwheel import MILESTONES, loop_year_start, ring_of, rings_of, year_wheel_svg
from kvalitetsloop.usecases import loops, submissions
from kvalitetsloop.usecases.progress import loops_progress
from tests.conftest import make_postgres_db
from tests.test_reading_in_part import LOOP, _changed

CPH = ZoneInfo("Europe/Copenhagen")
MOMENTS = [dt.datetime(2027, 6, 15, 9, 0, tzinfo=CPH), dt.datetime(2027, 12, 1, 10, 0, tzinfo=dt.timezone.utc),
           dt.datetime(2028, 9, 1, 9, 0, tzinfo=CPH)]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def loop_with_submissions(request, tmp_path_factory):
    if request.param == "sqlite":
        yield _submitted(_changed(f"sqlite:///{tmp_path_factory.mktemp('reports') / 'kvalitetsloop.sqlite'}"))
        return
    url, drop = make_postgres_db(request.getfixturevalue("postgres_server"))
    try:
        yield _submitted(_changed(url))
    finally:
        drop()


def _submitted(url: str) -> str:
    at = lambda *a: dt.datetime(*a, 9, 0, tzinfo=CPH)  # noqa: E731
    for unit in ("dt-001", "dt-003", "dt-010", "dt-020"):
        submissions.submit(unit_of_work_for(url), "data_package_ready", unit, 1, at(2027, 5, 1))
        submissions.submit(unit_of_work_for(url), "followup_form", unit, 1, at(2027, 11, 20))
    submissions.submit(unit_of_work_for(url), "followup_form", "dt-001", 1, at(2027, 11, 25))  # a second version
    submissions.submit(unit_of_work_for(url), "board_statement", "dt-003", 2, at(2028, 1, 10))  # after one moment
    submissions.submit(unit_of_work_for(url), "data_package_ready", "dt-030", 2, at(2028, 8, 1))
    return url


def _whole(url: str, now: dt.datetime):
    view = loops.view_loop(unit_of_work_for(url), LOOP)
    subs = {(s.event_uid, s.kind) for s in _all_submissions(url) if s.submitted_at <= now}
    return view, subs


def _all_submissions(url: str):
    uow = unit_of_work_for(url)
    with uow:
        return uow.submissions.of_loop(LOOP)


def _status_of_every_event(view, submitted, now) -> status.StatusFigures:
    """The status figures as they were computed before the pages read in part: from every event."""
    tz = view.tz
    today = now.astimezone(tz).date()
    year, start, end = status.loop_year(view.loop.council_date, today)
    ids = {e.unit_id for e in view.events if e.unit_id}
    rows = {u.id: status.UnitStatus(u.id, u.name, u.sector, status.chief_label(u.chief.email, u.chief.name),
                                    one_to_ones_minimum=status.one_to_ones_per_year(view.fw))
            for u in view.organisation.units if u.id in ids}
    counted = {kinds.BOARD_STATEMENT.event_kind: ("statements_in", "statements_due"),
               kinds.FOLLOWUP_FORM.event_kind: ("forms_in", "forms_due"),
               kinds.DATA_PACKAGE.event_kind: ("packages_ready", "packages_due")}
    overdue = []
    for e in view.events:
        if e.status == "cancelled" or e.unit_id not in rows:
            continue
        r = rows[e.unit_id]
        ended = e.end <= now
        if e.kind == "learning_talk":
            r.talks_planned += 1
            r.talks_held += ended
        elif e.kind == "one_to_one":
            r.one_to_ones_year += ended and start <= e.start.astimezone(tz).date() < end
        deadline = kinds.deadline_for_event_kind(e.kind)
        if deadline is None:
            continue
        done = (e.uid, deadline.submission) in submitted
        if e.kind in counted:
            have, due = counted[e.kind]
            setattr(r, have, getattr(r, have) + done)
            setattr(r, due, getattr(r, due) + (ended or done))
        if ended and not done:
            day = e.start.astimezone(tz).date()
            overdue.append(status.Overdue(r.unit_id, r.unit, r.chief, e.title, day, (today - day).days, e.uid))
            r.overdue += 1
            r.most_days_overdue = max(r.most_days_overdue, (today - day).days)
    overdue.sort(key=lambda o: (-o.days, o.unit_id, o.what))
    return status.StatusFigures(year, start, end, list(rows.values()), overdue, len(overdue))


@pytest.mark.parametrize("now", MOMENTS, ids=lambda m: m.date().isoformat())
def test_status_and_the_overdue_list_say_what_every_event_says(loop_with_submissions, now):
    url = loop_with_submissions
    view, submitted = _whole(url, now)
    expected = _status_of_every_event(view, submitted, now)
    uow = unit_of_work_for(url)
    with uow:
        facts = open_loop(uow, LOOP, now)
        got = status.status_figures(uow, facts)
    assert got == expected
    assert expected.overdue and any(u.forms_in for u in expected.units) == (now > MOMENTS[0])
    # The overdue page: the oldest few and how many, the same ones.
    page = views.overdue_page(unit_of_work_for(url), LOOP, now, limit=7)
    assert page.overdue == expected.overdue[:7] and page.total == len(expected.overdue)
    # A unit's figures and a chief's, read by index.
    unit = views.unit_page(unit_of_work_for(url), LOOP, now, "dt-003")
    assert unit.status == next(u for u in expected.units if u.unit_id == "dt-003")
    assert [r.event for r in unit.events] == [e for e in view.events if e.unit_id == "dt-003"]
    chief = views.chief_page(unit_of_work_for(url), LOOP, now, "chief-01@example.dk")
    mine = {u.id for u in view.organisation.units if u.chief.email == "chief-01@example.dk"}
    assert chief.units == [u for u in expected.units if u.unit_id in mine] and chief.units
    assert chief.overdue == [o for o in expected.overdue if o.unit_id in mine]


@pytest.mark.parametrize("now", MOMENTS, ids=lambda m: m.date().isoformat())
def test_the_phases_say_what_every_event_says(loop_with_submissions, now):
    view, submitted = _whole(loop_with_submissions, now)
    states = phase_states(view.fw, view.events, submitted, now)
    got = next(p for p in loops_progress(unit_of_work_for(loop_with_submissions), now) if p.loop_id == LOOP)
    assert got.states == states and got.phase == current_phase(states, now)
    page = views.loop_page(unit_of_work_for(loop_with_submissions), LOOP, now)
    assert page.states == states
    live = [e for e in view.events if e.status != "cancelled" and e.end > now]
    assert page.next_events == sorted(live, key=lambda e: (e.start, e.unit_id or ""))[:12]


def test_meeting_hours_say_what_every_meeting_says(loop_with_submissions):
    view, _ = _whole(loop_with_submissions, MOMENTS[0])
    whole = cost.meeting_cost(view.events, view.tz)
    uow = unit_of_work_for(loop_with_submissions)
    with uow:
        got = cost.stored_meeting_cost(uow, open_loop(uow, LOOP, MOMENTS[0]))
    assert set(got.roles) == set(whole.roles)
    for role, r in whole.roles.items():
        g = got.roles[role]
        assert (g.persons, round(g.total, 6), round(g.most, 6)) == (r.persons, round(r.total, 6), round(r.most, 6))
        assert {k: round(h, 6) for k, h in g.hours.items()} == {k: round(h, 6) for k, h in r.hours.items()}
    chiefs = whole.of_role("chief")
    assert [(p.email, p.name, dict(p.hours)) for p in got.of_role("chief")] == \
        [(p.email, p.name, dict(p.hours)) for p in chiefs]
    assert [cost._busiest(p) for p in got.of_role("chief")] == [cost._busiest(p) for p in chiefs]
    assert {m: {r: round(h, 6) for r, h in c.items()} for m, c in got.months.items()} == \
        {m: {r: round(h, 6) for r, h in c.items()} for m, c in whole.months.items()}


@pytest.mark.parametrize("year, unit, chief", [(1, None, None), (2, None, None), (1, "dt-003", None),
                                               (1, None, "ny-chef@example.dk")])
def test_the_year_wheel_says_what_every_event_says(loop_with_submissions, year, unit, chief):
    view, _ = _whole(loop_with_submissions, MOMENTS[0])
    tz = view.tz
    start = loop_year_start(view.loop.council_date, year)
    end = start.replace(year=start.year + 1)
    ids = {unit} if unit else {u.id for u in view.organisation.units if u.chief.email == chief} if chief else None
    rings = rings_of(view.fw)
    counts = {ring.key: Counter() for ring in rings}
    for e in view.events:
        day = e.start.astimezone(tz).date()
        key = ring_of(rings, e.kind)
        if e.status != "cancelled" and key and start <= day < end and (ids is None or e.unit_id in ids):
            counts[key][(day - start).days // 7] += 1
    marks = [e for e in view.events if e.kind in MILESTONES and e.status != "cancelled"]
    title = f"Årshjul {view.organisation.by_id()[unit].name}" if unit else f"Årshjul {chief}" if chief \
        else f"Årshjul {LOOP}"
    got = year_wheel(unit_of_work_for(loop_with_submissions), LOOP, MOMENTS[0], year, unit, chief)
    assert got == year_wheel_svg(rings, counts, [e.with_changes(attendees=()) for e in marks], start, tz,
                                 f"{title} (år {year})")
    assert sum(counts["talks"].values()) > 0
