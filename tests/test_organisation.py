"""Organisation import (SPEC 2.1): all or nothing, every problem by line and column, re-import by id."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cycle.organisation import OrganisationError, diff_organisations, parse_organisation
from tests.conftest import EXAMPLE_ORG, NOW

HEADER = "id,name,sector,chief_email,leader_name,leader_email,board_email,self_owned,special_needs\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(OrganisationError) as exc:
        parse_organisation(text)
    return [str(p) for p in exc.value.problems]


def test_every_bad_row_is_reported_by_line_and_column():
    text = HEADER + (
        "a1,Æblehaven,dagtilbud,chief@example.dk,Åse Ø,aase@example.dk,board-a1@example.dk,false,false\n"
        "a2,Skovbrynet,vuggestue,chief@example.dk,Bo,bo@example.dk,board-a2@example.dk,false,false\n"
        "a3,Kildevang,skole,,Ib,ib@example.dk,board-a3@example.dk,false,false\n"
        "a1,Dublet,skole,chief@example.dk,Ida,ida@example.dk,board-a4@example.dk,false,false\n"
        "a5,Engen,fu,chief@example.dk,Eva,eva(at)example.dk,board-a5@example.dk,false,false\n"
        "a6,Mosen,skole,chief@example.dk,,mo@example.dk,board-a6@example.dk,måske,false\n"
    )
    problems = _problems(text)
    assert "line 3, column sector: unknown sector 'vuggestue' (use dagtilbud, skole or fu)" in problems
    assert "line 4, column chief_email: the unit's chief is missing" in problems
    assert "line 5, column id: duplicate id 'a1' (first on line 2)" in problems
    assert "line 6, column leader_email: 'eva(at)example.dk' is not a valid email address" in problems
    assert "line 7, column leader_name: missing value" in problems
    assert "line 7, column self_owned: 'måske' is not true or false" in problems
    assert len(problems) == 6


def test_a_missing_required_column_is_named():
    problems = _problems("id,name,sector,chief_email,leader_name,leader_email\nx,X,skole,a@b.dk,A,a@b.dk\n")
    assert problems == ["line 1, column board_email: this required column is missing from the header"]


def test_a_leader_with_two_names_is_caught():
    text = HEADER + ("a1,A,skole,c@example.dk,Søren,s@example.dk,b1@example.dk,,\n"
                     "a2,B,skole,c@example.dk,Søren Å,s@example.dk,b2@example.dk,,\n")
    assert _problems(text) == ["line 3, column leader_name: s@example.dk is named 'Søren Å' here but 'Søren' on line 2"]


def test_danish_letters_and_a_byte_order_mark_survive():
    org = parse_organisation("\ufeff" + HEADER + "ø1,Børnehuset Æblegården,dagtilbud,c@example.dk,Åse Ørum,aa@example.dk,b@example.dk,,\n".replace("ø1", "o1"))
    assert org.units[0].name == "Børnehuset Æblegården" and org.units[0].leader.name == "Åse Ørum"


def test_the_example_organisation_parses(example_org):
    sectors = [u.sector for u in example_org.units]
    assert sectors.count("dagtilbud") == 80 and sectors.count("skole") == 45 and sectors.count("fu") == 12
    assert sum(u.self_owned for u in example_org.units) == 12
    assert len({u.chief.email for u in example_org.units}) == 5


def test_a_bad_file_changes_nothing_in_the_database(cli, tmp_path):
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    before = cli("org", "show").stdout
    rows = list(csv.DictReader(io.StringIO(EXAMPLE_ORG.read_text(encoding="utf-8"))))
    rows[0]["name"] = "Omdøbt"
    rows[5]["sector"] = "børnehave"
    rows[9]["board_email"] = "ikke-en-adresse"
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    proc = cli("org", "import", str(bad), "--now", NOW, check=False)
    assert proc.returncode == 2
    assert "2 problems and nothing was imported" in proc.stderr
    assert "line 7, column sector" in proc.stderr and "line 11, column board_email" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert cli("org", "show").stdout == before


def test_reimport_updates_by_id_and_follows_running_loops(cli, tmp_path):
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    rows = list(csv.DictReader(io.StringIO(EXAMPLE_ORG.read_text(encoding="utf-8"))))
    by_id = {r["id"]: r for r in rows}
    old_leader = by_id["dt-003"]["leader_email"]
    by_id["dt-003"]["leader_email"] = "ny.leder@example.dk"
    by_id["dt-003"]["leader_name"] = "Ny Lederså"
    rows = [r for r in rows if r["id"] != "dt-004"]
    new = dict(rows[0], id="dt-999", name="Nyt Dagtilbud", leader_email="ny2@example.dk", leader_name="Ny To",
               board_email="bestyrelse-dt-999@example.dk")
    rows.append(new)
    path = tmp_path / "org2.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    # A file that removes a unit only shows what it would do, and changes nothing ...
    before = cli("loop", "export", "0-6-2027-04-28").stdout
    refused = cli("org", "import", str(path), "--now", "2027-10-01T09:00+02:00", check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "would remove 1 unit and nothing was changed" in refused.stderr and "--apply" in refused.stderr
    assert "Units removed (1): dt-004" in refused.stdout and "future events of removed units would be cancelled" in refused.stdout
    assert cli("loop", "export", "0-6-2027-04-28").stdout == before
    assert "dt-004" in cli("org", "show").stdout
    # ... until it is applied. Half-way through the loop: only future events follow the change.
    out = cli("org", "import", str(path), "--apply", "--now", "2027-10-01T09:00+02:00").stdout
    assert "Units added (1): dt-999" in out and "Units removed (1): dt-004" in out
    assert f"dt-003 leader: {old_leader} -> ny.leder@example.dk" in out
    data = json.loads(cli("loop", "export", "0-6-2027-04-28").stdout)
    for e in data["events"]:
        if e["unit_id"] == "dt-003" and e["kind"] in ("learning_talk", "one_to_one"):
            emails = {a["email"] for a in e["attendees"]}
            if e["start"] > "2027-10-01":
                assert "ny.leder@example.dk" in emails and old_leader not in emails
                assert e["sequence"] == 1  # a new leader: everyone's calendar is updated
            else:
                assert old_leader in emails
        if e["unit_id"] == "dt-004":
            assert (e["status"] == "cancelled") == (e["start"] > "2027-10-01")
    same = cli("org", "import", str(path), "--now", "2027-10-02T09:00+02:00").stdout
    assert "Nothing changed." in same


def test_diff_lists_people_changes():
    a = parse_organisation(HEADER + "u1,U,skole,c@example.dk,L,l@example.dk,b@example.dk,,\n")
    b = parse_organisation(HEADER + "u1,U,skole,c@example.dk,L,l2@example.dk,b@example.dk,,\n")
    d = diff_organisations(a, b)
    assert d.people_changed == [("u1", "leader", ("l@example.dk",), ("l2@example.dk",))]
    assert not d.added and not d.removed


def test_reimport_reports_clashes_and_units_outside_the_loop(sqlite_cli, tmp_path):
    """Re-import with a unit moved to another chief: the new chief's clashes are named, and a new
    unit is said to join the next loop rather than silently getting no events."""
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    rows = list(csv.DictReader(io.StringIO(EXAMPLE_ORG.read_text(encoding="utf-8"))))
    by_id = {r["id"]: r for r in rows}
    other = next(r for r in rows if r["sector"] == "dagtilbud" and r["chief_email"] != by_id["dt-001"]["chief_email"])
    by_id["dt-001"]["chief_email"], by_id["dt-001"]["chief_name"] = other["chief_email"], other["chief_name"]
    rows.append(dict(rows[1], id="dt-998", name="Nyt Hus", leader_email="nyt.hus@example.dk", leader_name="Ny Leder",
                     board_email="bestyrelse-dt-998@example.dk"))
    path = tmp_path / "org3.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out = sqlite_cli("org", "import", str(path), "--now", NOW).stdout
    assert "dt-998 is new and not part of the running loop 0-6-2027-04-28" in out
    assert "now clash with another meeting of the same person" in out and other["chief_email"] in out


def test_a_semicolon_separated_file_from_danish_excel_imports(tmp_path):
    text = ("id;name;sector;chief_email;leader_name;leader_email;board_email;pedagogical_leader_emails\n"
            'u1;Æblehaven;dagtilbud;c@example.dk;Åse;aase@example.dk;b@example.dk;"p1@example.dk;p2@example.dk"\n')
    org = parse_organisation(text)
    assert org.units[0].name == "Æblehaven"
    assert [p.email for p in org.units[0].role("pedagogical_leader")] == ["p1@example.dk", "p2@example.dk"]
