"""The administration's reports on a small planned loop (12 units, 7 daycares in the 0-6 loop, two
chiefs), with figures worked out in the test from the plan itself: talks held, one-to-ones in the
loop-year, what is overdue and by how many days, meeting hours; the committee overview's PDF
opened and read; the report-back holds what the forms recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pypdf
import pytest
import sqlalchemy as sa

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.reports.build import build_report
from kvalitetsloop.reports.render import to_csv, to_pdf
from storage.db import engine_for
from tests.conftest import Cli
from tests.notifications.conftest import CPH, LOOP_ID, small_loop, small_loop_template  # noqa: F401
from tests.reports.helpers import THEMES, deadline, record_followup, record_statement, set_themes


def _local(v) -> dt.datetime:
    return dt.datetime.fromisoformat(str(v)).replace(tzinfo=dt.timezone.utc).astimezone(CPH)


def _events(url: str, unit_id: str, kind: str) -> list[tuple[dt.datetime, dt.datetime]]:
    with engine_for(url).connect() as c:
        rows = c.execute(sa.text("select start, \"end\" from event where unit_id=:u and kind=:k and status!='cancelled' "
                                 "order by start"), {"u": unit_id, "k": kind}).all()
    return [(_local(s), _local(e)) for s, e in rows]


def _rows(report, heading: str) -> list[dict]:
    t = report.section(heading).table
    return [dict(zip(t.columns, r)) for r in t.rows]


def test_status_counts_what_a_unit_has_held_and_lists_what_is_overdue_with_its_days(small_loop):
    talks = _events(small_loop, "dt-001", "learning_talk")
    # The morning after talk 2 of dt-001: two talks held; year 1 of the loop.
    now = dt.datetime.combine(talks[1][0].date() + dt.timedelta(days=1), dt.time(9, 0), CPH)
    ones = [s for s, e in _events(small_loop, "dt-001", "one_to_one") if e <= now]
    record_followup(small_loop, "dt-001", 1, talks[0][1] + dt.timedelta(days=1), decisions="Vi arbejder med sprog.",
                    focus_theme=[""], focus_title=["Dialogisk læsning i alle grupper"],
                    children_perspective="Børnene interviewes.")
    report = build_report(unit_of_work_for(small_loop), "status", LOOP_ID, now)

    unit = next(r for r in _rows(report, "Pr. enhed") if r["Enhed"] == "dt-001")
    assert unit["Læringssamtaler afholdt"] == "2 af 4"
    assert unit["1:1 i loopåret (minimum)"] == f"{len(ones)} (6)"
    assert unit["Opfølgningsskemaer registreret"].startswith("1 af ")
    overdue = _rows(report, "Forsinket")
    mine = [o for o in overdue if o["Enhed"] == "dt-001"]
    # Its form after talk 1 is in: not overdue. Every deadline of its that passed empty is, with
    # the days since its due date.
    assert not any("Opfølgningsskema efter læringssamtale 1" in o["Hvad"] for o in mine)
    with engine_for(small_loop).connect() as c:
        passed = c.execute(sa.text(
            "select title, start from event where unit_id='dt-001' and kind in ('data_package', 'board_statement_due', "
            "'followup_form_due', 'youth_input_due', 'supervision_report_due', 'report_back_due') "
            "and status!='cancelled'")).all()
    expected = {(t, (now.date() - _local(s).date()).days) for t, s in passed
                if _local(s) + dt.timedelta(days=1) <= now and "efter læringssamtale 1 " not in t}
    assert {(o["Hvad"], o["Dage forsinket"]) for o in mine} == expected
    assert expected  # the data packages were never made ready: they are overdue
    assert [o["Dage forsinket"] for o in overdue] == sorted((o["Dage forsinket"] for o in overdue), reverse=True)
    # The area's line adds up the units; each chief's too.
    area = _rows(report, "Området 0-6")[0]
    assert area["Enheder"] == 7 and area["Forsinket"] == len(overdue)
    chiefs = _rows(report, "Pr. chef")
    assert sum(c["Enheder"] for c in chiefs) == 7 and sum(c["Forsinket"] for c in chiefs) == len(overdue)


def test_meeting_cost_adds_each_chiefs_hours_from_their_meetings(small_loop):
    report = build_report(unit_of_work_for(small_loop), "meeting-cost", LOOP_ID, dt.datetime(2027, 3, 1, tzinfo=CPH))
    with engine_for(small_loop).connect() as c:
        rows = c.execute(sa.text(
            "select a.email, e.kind, e.start, e.\"end\" from event e join attendee a on a.event_id=e.id "
            "where a.role='chief' and a.active and e.status!='cancelled' "
            "and e.kind in ('learning_talk','one_to_one','network_meeting')")).all()
    hours: dict[str, float] = {}
    for email, kind, s, e in rows:
        hours[email] = hours.get(email, 0) + (_local(e) - _local(s)).total_seconds() / 3600
    chiefs = {r["E-mail"]: r for r in _rows(report, "Timer pr. chef")}
    assert set(chiefs) == set(hours) == {"chief-01@example.dk", "chief-02@example.dk"}
    for email, h in hours.items():
        assert chiefs[email]["Timer i alt"] == f"{h:.1f}".replace(".", ",")
    # chief-01 has four daycares: 4 talks x 2.5 h and 12 one-to-ones x 1.5 h each.
    assert chiefs["chief-01@example.dk"]["Læringssamtaler (t)"] == "40,0"
    assert chiefs["chief-01@example.dk"]["1:1 (t)"] == "72,0"
    assert chiefs["chief-01@example.dk"]["Travleste uger"].startswith("uge ")
    roles = {r["Rolle"]: r for r in _rows(report, "Timer pr. rolle over hele loopet")}
    assert roles["Børn og Unge-chef"]["Personer"] == 2 and roles["leder"]["Personer"] == 7
    # A board takes part in talk 1 only [000]: 2.5 h for each of the seven boards (self-owned
    # daycares' boards hold all four talks).
    months = _rows(report, "Timer pr. måned")
    total = sum(float(m["I alt"].replace(",", ".")) for m in months)
    per_role = sum(float(r["Timer i alt"].replace(",", ".")) for r in roles.values())
    assert total == pytest.approx(per_role)


def test_the_committee_overview_pdf_groups_focus_areas_by_theme_in_danish(small_loop, tmp_path):
    set_themes(small_loop)
    for unit, theme, title in (("dt-001", THEMES[0], "Sprogleg i vuggestuen – ære, ølejr og åbne spørgsmål"),
                               ("dt-002", THEMES[1], "Trivsel i overgangen fra vuggestue til børnehave"),
                               ("dt-003", THEMES[0], "=HYPERLINK(\"http://evil.example\")")):
        talk = _events(small_loop, unit, "learning_talk")[0]
        record_followup(small_loop, unit, 1, talk[1] + dt.timedelta(hours=2), decisions="Besluttet.",
                        focus_theme=[theme], focus_title=[title], children_perspective="Børnemøder hver uge.")
    now = dt.datetime(2027, 9, 1, 9, 0, tzinfo=CPH)
    cli = Cli(small_loop, tmp_path)
    pdf_path = tmp_path / "udvalg.pdf"
    cli("report", "committee", LOOP_ID, "--format", "pdf", "--out", str(pdf_path), "--now", now.isoformat())
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(pdf_path)).pages)
    flat = " ".join(text.split())
    assert "Aarhus Kommune" in flat and LOOP_ID in flat and "2027-09-01" in flat
    assert "Sprogleg i vuggestuen – ære, ølejr og åbne spørgsmål" in flat
    # Grouped by theme: each focus area under its own theme's heading.
    first, second = flat.index(f"Tema: {THEMES[0]}"), flat.index(f"Tema: {THEMES[1]}")
    assert first < flat.index("Sprogleg i vuggestuen") < second < flat.index("Trivsel i overgangen")
    assert "Endnu ikke registreret" in flat and "Dagtilbud Troldehøjen" in flat  # dt-004 has recorded none

    # The CSV of the same report: a title a spreadsheet would run as a formula stays text.
    data = cli("report", "committee", LOOP_ID, "--format", "csv", "--now", now.isoformat()).stdout
    cells = [c for row in csv.reader(io.StringIO(data)) for c in row]
    assert "'=HYPERLINK(\"http://evil.example\")" in cells
    assert not any(c.startswith("=") for c in cells)


def test_the_report_back_has_each_units_focus_areas_decisions_and_statements(small_loop):
    # dt-003: dt-002 is self-owned, and its board writes no statements [000] (issue 9).
    set_themes(small_loop)
    talks = _events(small_loop, "dt-003", "learning_talk")
    record_followup(small_loop, "dt-003", 1, talks[0][1] + dt.timedelta(hours=1), decisions="Vi vil styrke sproget.",
                    next_steps="Sprogkufferter i alle grupper.", focus_theme=[THEMES[0]],
                    focus_title=["Sprog i hverdagens overgange"], children_perspective="Børneinterviews.")
    _, due, _ = deadline(small_loop, "board_statement_due", "dt-003", 2)
    record_statement(small_loop, "dt-003", 2, dt.datetime.combine(due, dt.time(9), CPH),
                     "Bestyrelsen bakker op om sprogindsatsen.")
    record_followup(small_loop, "dt-003", 2, talks[1][1] + dt.timedelta(hours=1), decisions="Vi fortsætter.",
                    how_it_went="Sprogkufferterne bruges dagligt.")
    report = build_report(unit_of_work_for(small_loop), "report-back", LOOP_ID, talks[1][1] + dt.timedelta(days=2))
    unit = report.section("Vuggestuen Bjørnebo (dagtilbud)")
    texts = dict(unit.texts)
    assert texts[f"Fokusområde ({THEMES[0]})"] == "Sprog i hverdagens overgange"
    assert texts["Læringssamtale 1: Beslutninger"] == "Vi vil styrke sproget."
    assert texts["Læringssamtale 1: Næste skridt og handlinger"] == "Sprogkufferter i alle grupper."
    assert texts["Bestyrelsens udtalelse før læringssamtale 2"] == "Bestyrelsen bakker op om sprogindsatsen."
    assert texts["Læringssamtale 2: Sådan er det gået siden sidst"] == "Sprogkufferterne bruges dagligt."
    # The aggregated report-back for the area: focus areas per theme and sector, forms per talk.
    themes = {r["Tema"]: r for r in _rows(report, "Samlet afrapportering for området: fokusområder pr. tema")}
    assert themes[THEMES[0]]["Dagtilbud"] == 1 and themes[THEMES[1]]["I alt"] == 0
    per_talk = {r["Læringssamtale"]: r for r in _rows(report, "Samlet afrapportering for området: læringssamtalerne")}
    assert per_talk["Læringssamtale 2"]["Opfølgningsskema registreret"] == 1
    assert per_talk["Læringssamtale 2"]["Bestyrelsens udtalelse modtaget"] == 1
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert ["Vuggestuen Bjørnebo (dagtilbud)", "Bestyrelsens udtalelse før læringssamtale 2",
            "Bestyrelsen bakker op om sprogindsatsen."] in rows


def test_status_report_on_sqlite_and_postgresql(db_url, tmp_path):
    from kvalitetsloop.usecases import loops, organisation
    from tests.conftest import FRAMEWORKS
    from tests.notifications.conftest import START, small_org_csv

    organisation.import_organisation(unit_of_work_for(db_url), small_org_csv(), START)
    loops.start_loop(unit_of_work_for(db_url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), START, past="held")
    cli = Cli(db_url, tmp_path)
    html = cli("report", "status", LOOP_ID, "--now", "2027-06-30T12:00+02:00").stdout
    assert '<html lang="da">' in html and "Status for loopet 0-6-2027-04-28" in html
    assert "Pr. chef" in html and "chief-01@example.dk" in html
    assert to_pdf(build_report(unit_of_work_for(db_url), "status", LOOP_ID, START)).startswith(b"%PDF-")


@pytest.mark.parametrize("args, sentence", [
    (("report", "status", "no-such-loop"), "there is no loop 'no-such-loop'"),
    (("report", "status", LOOP_ID, "--format", "docx"), "--format must be html, csv or pdf, not 'docx'"),
    (("report", "committee", LOOP_ID, "--now", "tomorrow"), "--now 'tomorrow' is not an ISO time"),
])
def test_a_wrong_report_request_is_one_sentence(small_loop, tmp_path, args, sentence):
    proc = Cli(small_loop, tmp_path)(*args, check=False)
    assert proc.returncode == 2
    assert sentence in proc.stderr and "Traceback" not in proc.stderr


def test_admin_add_user_stores_only_a_hash_and_refuses_a_short_password(small_loop, tmp_path, monkeypatch):
    cli = Cli(small_loop, tmp_path)
    monkeypatch.setenv("KVALITETSLOOP_ADMIN_PASSWORD", "kort")
    proc = cli("admin", "add-user", "anna@aarhus.example.dk", check=False)
    assert proc.returncode == 2 and "at least 12 characters" in proc.stderr
    monkeypatch.setenv("KVALITETSLOOP_ADMIN_PASSWORD", "et-langt-kodeord-2027")
    assert "Added the administrator 'anna@aarhus.example.dk'" in cli("admin", "add-user", "Anna@aarhus.example.dk").stdout
    with engine_for(small_loop).connect() as c:
        stored = c.execute(sa.text("select password_hash from admin_user")).scalar()
    assert stored.startswith("$argon2id$") and "et-langt-kodeord-2027" not in stored
    again = cli("admin", "add-user", "anna@aarhus.example.dk", check=False)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_the_year_wheel_is_valid_svg_names_every_month_and_its_marks_match_the_plan(small_loop, tmp_path):
    import xml.etree.ElementTree as ET

    from kvalitetsloop.reports.yearwheel import MONTHS

    cli = Cli(small_loop, tmp_path)
    for args, units in ((("--year", "1"), None), (("--year", "2", "--unit", "dt-003"), {"dt-003"})):
        svg = cli("report", "year-wheel", LOOP_ID, *args).stdout
        root = ET.fromstring(svg)
        ns = {"s": "http://www.w3.org/2000/svg"}
        months = [t.text for t in root.iterfind(".//s:text[@class='month']", ns)]
        assert [m.split()[0] for m in months] == list(MONTHS[3:]) + list(MONTHS[:3])  # from April (the council)
        year = 1 if units is None else 2
        start = dt.date(2027 + year - 1, 4, 1)
        with engine_for(small_loop).connect() as c:
            rows = c.execute(sa.text("select kind, unit_id, start from event where status!='cancelled'")).all()
        expected = {"talks": 0, "one_to_ones": 0, "packages": 0, "deadlines": 0}
        ring = {"learning_talk": "talks", "one_to_one": "one_to_ones", "data_package": "packages"}
        for kind, unit_id, s in rows:
            day = _local(s).date()
            if not start <= day < start.replace(year=start.year + 1) or (units and unit_id not in units):
                continue
            key = ring.get(kind) or ("deadlines" if kind.endswith("_due") else None)
            if key:
                expected[key] += 1
        got = {g.get("data-ring"): sum(int(p.get("data-count")) for p in g.iterfind("s:path", ns))
               for g in root.iterfind(".//s:g[@class='ring']", ns)}
        assert got == expected and expected["talks"] > 0
    council = ET.fromstring(cli("report", "year-wheel", LOOP_ID).stdout).findall(
        ".//{http://www.w3.org/2000/svg}circle[@data-kind='council_meeting']")
    assert len(council) == 1
    # --out with .png writes the same wheel as a PNG picture.
    cli("report", "year-wheel", LOOP_ID, "--out", str(tmp_path / "hjul.png"))
    assert (tmp_path / "hjul.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_meeting_cost_compares_two_frameworks_by_planning_both(small_loop, tmp_path, aarhus_data):
    import yaml

    # The consultation's wish [003]: one talk a year and three one-to-ones a year.
    variant = dict(aarhus_data, name="aarhus-lean", version="test")
    variant["talks"] = {**aarhus_data["talks"], "count": 2, "later_windows": [aarhus_data["talks"]["later_windows"][0]]}
    variant["talks"]["participants"] = {sector: [{**p, "talks": [t for t in p["talks"] if t <= 2]} if "talks" in p else p
                                                 for p in people]
                                        for sector, people in aarhus_data["talks"]["participants"].items()}
    variant["board_statements"] = {**aarhus_data["board_statements"], "talks": [2]}
    variant["one_to_ones"] = {**aarhus_data["one_to_ones"], "per_year": 3}
    path = tmp_path / "lean.yaml"
    path.write_text(yaml.safe_dump(variant, allow_unicode=True), encoding="utf-8")
    out = Cli(small_loop, tmp_path)("report", "meeting-cost", LOOP_ID, "--compare", str(path), "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    per_unit = {r[1]: r[2:] for r in rows if r and r[0] == "Møder pr. enhed over loopet"}
    assert per_unit["Læringssamtaler"] == ["4,0", "2,0"] and per_unit["1:1 ledelsesopfølgninger"] == ["12,0", "6,0"]
    chiefs = {r[2]: r[3:] for r in rows if r and r[0] == "Timer pr. chef"}
    # chief-01 has four daycares: 2 talks x 2.5 h and 6 one-to-ones x 1.5 h fewer each = 56 h.
    assert chiefs["chief-01@example.dk"][2] == "56,0"
    # chief-02 has three: 42 h.
    assert chiefs["chief-02@example.dk"][2] == "42,0"
    roles = {r[1]: r for r in rows if r and r[0] == "Timer pr. rolle"}
    assert roles["Børn og Unge-chef"][5] == "98,0"  # saved by the two chiefs together


def test_the_meeting_hours_the_portal_keeps_follow_a_cancelled_talk(small_loop):
    from kvalitetsloop.reports.cost import MeetingCostCache
    from kvalitetsloop.usecases.events import cancel_event

    now = dt.datetime(2027, 3, 1, 9, 0, tzinfo=CPH)
    cache = MeetingCostCache()
    hours = lambda: {r["E-mail"]: r["Timer i alt"] for r in _rows(  # noqa: E731
        build_report(unit_of_work_for(small_loop), "meeting-cost", LOOP_ID, now, cache=cache), "Timer pr. chef")}
    before = hours()
    assert hours() == before and before["chief-01@example.dk"] == "118,0"
    with engine_for(small_loop).connect() as c:
        uid = c.execute(sa.text("select e.uid from event e join attendee a on a.event_id = e.id where "
                                "e.kind = 'learning_talk' and a.email = 'chief-01@example.dk' limit 1")).scalar()
    cancel_event(unit_of_work_for(small_loop), uid, now)
    # One talk of 2.5 hours fewer for the chief, on the next page.
    assert hours() == {**before, "chief-01@example.dk": "115,5"}
