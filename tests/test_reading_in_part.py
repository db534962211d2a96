"""`status`, `loop show` and a person's feed read only what they show (counts, tallies, the next
events, one person's events), so a national loop answers in a second. What they say must be what
the whole loop says: each is compared here with the same summary computed from every event, after
the changes that make the two differ if a query is wrong (a cancelled talk, a moved meeting, a
unit removed from the organisation, a chief replaced), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from cycle.summary import milestones, per_chief
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.usecases import events, loops, organisation
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, NOW, make_postgres_db

START = dt.datetime.fromisoformat(NOW)
LOOP = "0-6-2027-04-28"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def changed_loop(request, tmp_path_factory):
    """Both loops of the example, then a cancelled talk, a moved one-to-one, dt-005 removed and
    dt-010's chief replaced by a new person; built once per engine (the tests only read)."""
    if request.param == "sqlite":
        yield _changed(f"sqlite:///{tmp_path_factory.mktemp('part') / 'kvalitetsloop.sqlite'}")
        return
    url, drop = make_postgres_db(request.getfixturevalue("postgres_server"))
    try:
        yield _changed(url)
    finally:
        drop()


def _changed(db_url: str) -> str:
    text = EXAMPLE_ORG.read_text(encoding="utf-8")
    organisation.import_organisation(unit_of_work_for(db_url), text, START)
    started = loops.start_loop(unit_of_work_for(db_url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), START, past="held")
    loops.start_loop(unit_of_work_for(db_url), FRAMEWORKS, "aarhus", "6-18", dt.date(2028, 4, 26), START)
    talk = next(e for e in started.events if e.kind == "learning_talk" and e.unit_id == "dt-002" and e.number == 3)
    events.cancel_event(unit_of_work_for(db_url), talk.uid, START)
    o2o = next(e for e in started.events if e.kind == "one_to_one" and e.unit_id == "dt-003" and e.number == 5)
    events.move_event(unit_of_work_for(db_url), FRAMEWORKS, o2o.uid, (o2o.start + dt.timedelta(days=1)).isoformat(),
                      START, force=True)
    lines = text.splitlines()
    header = lines[0].split(",")
    kept = []
    for line in lines[1:]:
        if line.startswith("dt-005,"):
            continue
        if line.startswith("dt-010,"):
            cells = line.split(",")
            cells[header.index("chief_email")] = "ny-chef@example.dk"
            cells[header.index("chief_name")] = "Ny Chef"
            line = ",".join(cells)
        kept.append(line)
    organisation.import_organisation(unit_of_work_for(db_url), "\n".join([lines[0], *kept]) + "\n",
                                     dt.datetime(2027, 6, 1, 9, tzinfo=dt.timezone.utc), apply=True)
    return db_url


def test_loop_show_says_what_the_whole_loop_says(changed_loop):
    whole = loops.view_loop(unit_of_work_for(changed_loop), LOOP)
    summary = loops.summarise_loop(unit_of_work_for(changed_loop), LOOP)
    assert summary.event_count == len(whole.events)
    # Milestones are shown as dates and titles: read without their (thousands of) attendees.
    assert summary.milestones == [replace(e, attendees=()) for e in milestones(whole.events)]
    expected = per_chief(whole.events, whole.organisation)
    assert summary.per_chief == expected
    assert any(c.chief == "Ny Chef <ny-chef@example.dk>" for c in expected)
    assert sum(c.talks for c in expected) == 4 * 79 - 1  # dt-005 gone, one talk cancelled
    unit = loops.summarise_loop(unit_of_work_for(changed_loop), LOOP, "dt-003")
    assert unit.unit_events == [e for e in whole.events if e.unit_id == "dt-003"]


@pytest.mark.parametrize("now", ["2027-01-01T09:00+01:00", "2027-09-01T09:00+02:00", "2029-06-01T09:00+02:00"])
def test_status_says_what_the_whole_loop_says(changed_loop, now):
    when = dt.datetime.fromisoformat(now)
    statuses = loops.loop_status(unit_of_work_for(changed_loop), when)
    assert [s.loop.id for s in statuses] == ["0-6-2027-04-28", "6-18-2028-04-26"]
    for st in statuses:
        whole = loops.view_loop(unit_of_work_for(changed_loop), st.loop.id).events
        live = [e for e in whole if e.status != "cancelled"]
        assert st.cancelled == len(whole) - len(live) and (st.cancelled > 0) == (st.loop.id == LOOP)
        past = {k: sum(1 for e in live if e.kind == k and e.end <= when) for k in {e.kind for e in live}}
        ahead = {k: sum(1 for e in live if e.kind == k and e.end > when) for k in {e.kind for e in live}}
        assert st.past == {k: n for k, n in past.items() if n}
        assert st.upcoming == {k: n for k, n in ahead.items() if n}
        assert st.next_events == [e for e in live if e.end > when][:10]


@pytest.mark.parametrize("email", ["chief-01@example.dk", "ny-chef@example.dk", "bestyrelse-dt-005@example.dk"])
def test_a_persons_events_are_those_the_whole_loop_gives_them(changed_loop, email):
    mine = loops.person_in_loops(unit_of_work_for(changed_loop), email)
    assert [m.loop.id for m in mine] == ["0-6-2027-04-28", "6-18-2028-04-26"]
    for m in mine:
        whole = loops.view_loop(unit_of_work_for(changed_loop), m.loop.id)
        expected = [e for e in whole.events if email in e.emails()]
        assert m.events == expected
        units = {e.unit_id for e in expected if e.unit_id}
        assert {u.id: u for u in m.organisation.units} == {u.id: u for u in whole.organisation.units if u.id in units}
    assert sum(len(m.events) for m in mine) > 0
    one = loops.person_in_loops(unit_of_work_for(changed_loop), email, LOOP)
    assert [m.loop.id for m in one] == [LOOP] and one[0].events == mine[0].events
