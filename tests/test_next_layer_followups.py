"""The leader's follow-up with the next leadership layer (issue 9, point 8), an optional framework
element: [003] "Samme type opfølgning afholdes også mellem tilbuddets leder og næste ledelseslag
f.eks. den pædagogiske leder i skoler og dagtilbud og fritidscentrets leder på FU-området". Off in
the shipped Aarhus framework; on in a test-only variant of it (`VARIANT`, below). 003 gives no
count: six a loop-year is the framework's assumption (frameworks/aarhus.yaml says so)."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import email
import io
import json
from email import policy
from xml.etree import ElementTree as ET

import pytest
import yaml

from cycle.planner import LoopSpec, plan_loop
from cycle.workcalendar import WorkCalendar
from tests.conftest import EXAMPLE_ORG, framework_with
from tests.test_rules_aarhus import check_quotes

D = dt.date.fromisoformat
QUOTES = {"003": ["opfølgning afholdes også mellem tilbuddets leder og næste",
                  "ledelseslag f.eks. den pædagogiske leder i skoler og dag-",
                  "tilbud og fritidscentrets leder på FU-området."]}
PLANS = (("0-6", D("2027-04-28")), ("6-18", D("2028-04-26")), ("0-6", D("2027-06-02")))
LAYER = {"dagtilbud": "pedagogical_leader", "skole": "pedagogical_leader", "fu": "leisure_centre_leader"}
EARLY = "2026-11-02T09:00:00+01:00"
SVG = {"s": "http://www.w3.org/2000/svg"}


def test_the_passage_is_in_the_seed():
    check_quotes(QUOTES)


@pytest.fixture(scope="module")
def variant(aarhus_data):
    """The test-only variant: the shipped Aarhus framework with the element on."""
    return framework_with(aarhus_data, next_layer_followups__enabled=True)


@pytest.mark.parametrize("area, council", PLANS)
def test_the_shipped_aarhus_framework_plans_none(example_org, aarhus, calendar, area, council):
    assert aarhus.next_layer_followups.enabled is False
    events = plan_loop(example_org, aarhus, calendar, LoopSpec("x", area, council)).events
    assert not [e for e in events if e.kind == "next_layer_followup"]


@pytest.mark.parametrize("area, council", PLANS)
def test_with_the_element_on_each_leader_meets_the_next_layer_six_times_a_loop_year(
        example_org, variant, holiday_periods, area, council):
    """Each unit's leader and its pedagogical leaders (daycares, schools) or leisure-centre
    leaders (FU), hosted by the leader, six times in each loop-year, on the unit's working days
    (never in the summer holiday), nobody in two meetings at once; the rest of the plan is the
    shipped framework's."""
    cal = WorkCalendar(variant, holiday_periods)
    events = plan_loop(example_org, variant, cal, LoopSpec("x", area, council)).events
    units = example_org.by_id()
    ours = [e for e in events if e.kind == "next_layer_followup"]
    area_units = [u for u in units.values() if u.area == area]
    per_year = collections.Counter((e.unit_id, e.details["loop_year"]) for e in ours)
    assert set(per_year.values()) == {6} and len(per_year) == 2 * len(area_units)
    anniversary = council.replace(year=council.year + 1)
    summers = [(p.start, p.end) for p in holiday_periods if p.calendar == "aarhus-skole" and p.name == "Sommerferie"]
    for e in ours:
        u = units[e.unit_id]
        day = e.start.date()
        assert (day < anniversary) == (e.details["loop_year"] == 1) and council <= day < council.replace(year=council.year + 2)
        assert cal.is_working_day(day, u.sector) and not any(a <= day <= b for a, b in summers)
        assert e.host_role == "leader" and e.end - e.start == dt.timedelta(minutes=90)
        assert e.emails() == {u.leader.email} | {p.email for p in u.role(LAYER[u.sector])}
        assert u.chief.email not in e.emails()
    # Nobody double-booked: the follow-ups are placed around the talks and one-to-ones.
    booked = collections.defaultdict(list)
    for e in events:
        if e.is_meeting:
            for email_ in e.emails():
                booked[email_].append((e.start, e.end))
    for slots in booked.values():
        slots.sort()
        assert all(b[0] >= a[1] for a, b in zip(slots, slots[1:]))
    # The shipped framework's events are all still there.
    shipped = plan_loop(example_org, framework_with(variant.model_dump(mode="json"), next_layer_followups__enabled=False),
                        cal, LoopSpec("x", area, council)).events
    assert collections.Counter(e.kind for e in events) - collections.Counter(e.kind for e in shipped) == \
        collections.Counter({"next_layer_followup": len(ours)})


def _without_layer(unit_ids: set[str]) -> str:
    """The example organisation with no pedagogical leaders for these units."""
    rows = list(csv.DictReader(io.StringIO(EXAMPLE_ORG.read_text(encoding="utf-8"))))
    for row in rows:
        if row["id"] in unit_ids:
            row["pedagogical_leader_emails"] = ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def test_a_unit_without_a_next_layer_gets_none_and_the_plan_summary_says_so(sqlite_cli, tmp_path, variant):
    """dt-004 and dt-005 name no pedagogical leader: `loop start` with the variant plans their
    talks and one-to-ones but no follow-up with a next layer, and its summary names them; the
    others' follow-ups are invited to by the dispatch like any meeting."""
    path = tmp_path / "aarhus-next-layer.yaml"
    path.write_text(yaml.safe_dump(variant.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    org = tmp_path / "org.csv"
    org.write_text(_without_layer({"dt-004", "dt-005"}), encoding="utf-8")
    sqlite_cli("org", "import", str(org), "--now", EARLY)
    out = sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--framework", str(path),
                     "--now", EARLY).stdout
    assert "Follow-ups with the next leadership layer for 78 units; none for 2 units whose row names nobody in it " \
           "(pedagogical_leader): dt-004, dt-005." in out
    events = json.loads(sqlite_cli("loop", "export", "0-6-2027-04-28").stdout)["events"]
    ours = [e for e in events if e["kind"] == "next_layer_followup"]
    assert {e["unit_id"] for e in ours} == {f"dt-{i:03d}" for i in range(1, 81)} - {"dt-004", "dt-005"}
    assert {e["unit_id"] for e in events if e["kind"] == "one_to_one"} >= {"dt-004", "dt-005"}

    first = min((e for e in ours if e["unit_id"] == "dt-006"), key=lambda e: e["start"])
    at = (dt.datetime.fromisoformat(first["start"]) - dt.timedelta(days=27)).isoformat()
    sqlite_cli("dispatch", "--dry-run", "--now", at, "--out", str(tmp_path / "mail"))
    about = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted((tmp_path / "mail").glob("*.eml"))]
    about = [m for m in about if m["X-Kvalitetsloop-Event"] == first["uid"]]
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in about) == sorted(a["email"] for a in first["attendees"])
    text = next(p for p in about[0].walk() if p.get_content_type() == "text/calendar").get_content()
    assert "METHOD:REQUEST" in text and "næste ledelseslag" in text.replace("\r\n ", "")
    # dt-006's year wheel has a ring for them, between the one-to-ones and the data packages.
    svg = ET.fromstring(sqlite_cli("report", "year-wheel", "0-6-2027-04-28", "--unit", "dt-006").stdout)
    rings = {g.get("data-ring"): (g.findtext("s:title", namespaces=SVG),
                                  sum(int(p.get("data-count")) for p in g.iterfind("s:path", SVG)))
             for g in svg.iterfind(".//s:g[@class='ring']", SVG)}
    assert list(rings) == ["talks", "one_to_ones", "next_layer", "packages", "deadlines"]
    year_1 = [e for e in ours if e["unit_id"] == "dt-006" and e["start"][:10] < "2028-04-01"]
    assert rings["next_layer"] == ("Opfølgning med næste ledelseslag", len(year_1)) and len(year_1) >= 6


def test_a_unit_joining_a_running_loop_gets_its_follow_ups_from_today(example_org, variant, holiday_periods):
    """A unit planned into a running loop (`loop add-unit`) with the element on: its follow-ups
    with the next layer lie from today on, in the loop-years still running."""
    from cycle.joining import plan_joining_unit

    cal = WorkCalendar(variant, holiday_periods)
    unit = example_org.by_id()["dt-010"]
    today = D("2027-10-04")
    plan = plan_joining_unit(unit, variant, cal, LoopSpec("0-6-2027-04-28", "0-6", D("2027-04-28")), [], today)
    ours = [e for e in plan.events if e.kind == "next_layer_followup"]
    assert ours and all(e.start.date() > today for e in ours)
    assert collections.Counter(e.details["loop_year"] for e in ours)[2] == 6
    assert all(e.emails() == {unit.leader.email} | {p.email for p in unit.role("pedagogical_leader")} for e in ours)


def test_the_meeting_cost_counts_the_leaders_hours_in_them(example_org, variant, holiday_periods, aarhus):
    """The consultation's worry is time [003]: the meeting-cost report counts the follow-ups in each
    leader's and pedagogical leader's hours (12 x 1.5 h a loop), in a column of their own that
    only a framework planning them shows."""
    from zoneinfo import ZoneInfo

    from kvalitetsloop.reports.cost import cost_sections, meeting_cost
    from cycle.vocabulary import words

    cal = WorkCalendar(variant, holiday_periods)
    events = plan_loop(example_org, variant, cal, LoopSpec("x", "0-6", D("2027-04-28"))).events
    cost = meeting_cost(events, ZoneInfo("Europe/Copenhagen"))
    unit = example_org.by_id()["dt-010"]
    (leader,) = [p for p in cost.of_role("leader") if p.email == unit.leader.email]
    assert leader.hours["next_layer_followup"] == 12 * 1.5 * sum(1 for u in example_org.units
                                                                 if u.leader.email == unit.leader.email)
    column = "Opfølgning med næste ledelseslag (t)"
    assert column in cost_sections(cost, variant, words(variant))[1].table.columns
    assert column not in cost_sections(cost, aarhus, words(aarhus))[1].table.columns


def test_a_decline_of_a_follow_up_is_told_to_the_leader_who_holds_it(example_org, variant, holiday_periods):
    """SPEC 4.5: a required participant's decline is told at once; the chief is not at a follow-up
    with the next layer, so it goes to the administration and the unit's leader who holds it [003].
    The leader's own decline goes to the administration alone."""
    from cycle.replies import decline_is_notified, told_of_decline

    events = plan_loop(example_org, variant, WorkCalendar(variant, holiday_periods),
                       LoopSpec("x", "0-6", D("2027-04-28"))).events
    meeting = next(e for e in events if e.kind == "next_layer_followup" and e.unit_id == "dt-006")
    leader = next(a for a in meeting.attendees if a.role == "leader")
    layer = next(a for a in meeting.attendees if a.role == "pedagogical_leader")
    before = meeting.start - dt.timedelta(days=1)
    assert decline_is_notified(meeting, layer.role, "DECLINED", meeting.sequence, before)
    assert decline_is_notified(meeting, leader.role, "DECLINED", meeting.sequence, before)
    assert not decline_is_notified(meeting, layer.role, "TENTATIVE", meeting.sequence, before)
    assert told_of_decline(meeting, layer.email) == [leader]
    assert told_of_decline(meeting, leader.email) == []
    talk = next(e for e in events if e.kind == "learning_talk" and e.unit_id == "dt-006")
    assert [a.role for a in told_of_decline(talk, leader.email)] == ["chief"]
