"""The command line as an administrator uses it: import, start, show, export, move, cancel, status.

Each test runs the installed `kvalitetsloop` command in a subprocess against a real SQLite file
and (the same test again) a real PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import EXAMPLE_ORG, NOW

CPH = ZoneInfo("Europe/Copenhagen")


def _export(cli, loop_id: str) -> dict:
    return json.loads(cli("loop", "export", loop_id, "--format", "json").stdout)


def _start(cli, area: str, council: str, *extra: str) -> dict:
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", area, "--council-date", council, "--now", NOW, "--past", "held", *extra)
    return _export(cli, f"{area}-{council}")


def _by_unit(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for e in data["events"]:
        if e["unit_id"]:
            out[e["unit_id"]].append(e)
    return out


def _local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(CPH)


def _assert_complete_aarhus_plan(data: dict, sectors: set[str]) -> None:
    """The issue's 'done when' for one loop: every unit has its whole plan."""
    units = _by_unit(data)
    assert units and {e["sector"] for evs in units.values() for e in evs} == sectors
    for unit_id, evs in units.items():
        kinds = Counter(e["kind"] for e in evs)
        assert kinds["learning_talk"] == 4, unit_id
        assert kinds["data_package"] == 4, unit_id
        assert kinds["one_to_one"] == 12, unit_id
        # A self-owned daycare's board holds the talks itself [000]: it writes no statements.
        self_owned = any(e["kind"] == "supervision_report_due" for e in evs)
        assert kinds["board_statement_due"] == (0 if self_owned else 3), unit_id
        talks = {e["number"]: _local(e["start"]) for e in evs if e["kind"] == "learning_talk"}
        seasons = [talks[n].month for n in (2, 3, 4)]
        assert 9 <= seasons[0] <= 12 and 2 <= seasons[1] <= 6 and 9 <= seasons[2] <= 12, (unit_id, talks)
        for p in (e for e in evs if e["kind"] == "data_package"):
            assert _local(p["start"]).date() < talks[p["number"]].date()
        assert sorted(e["number"] for e in evs if e["kind"] == "board_statement_due") == ([] if self_owned else [2, 3, 4])
        # After each talk, three one-to-ones before the next one.
        o2o = sorted(_local(e["start"]) for e in evs if e["kind"] == "one_to_one")
        for n in (1, 2, 3):
            between = [d for d in o2o if talks[n] < d < talks[n + 1]]
            assert len(between) == 3, (unit_id, n)
        for e in evs:
            if e["kind"] in ("learning_talk", "one_to_one"):
                start = _local(e["start"])
                assert start.isoweekday() <= 5 and 8 <= start.hour and _local(e["end"]).hour <= 16


def test_demo_loop_0_6_has_every_units_plan(cli):
    data = _start(cli, "0-6", "2027-04-28")
    assert data["loop"]["id"] == "0-6-2027-04-28"
    assert data["loop"]["framework"] == "aarhus" and data["loop"]["council_date"] == "2027-04-28"
    _assert_complete_aarhus_plan(data, {"dagtilbud"})
    assert len(_by_unit(data)) == 80


def test_6_18_loop_plans_schools_and_fu(cli):
    data = _start(cli, "6-18", "2028-04-26")
    _assert_complete_aarhus_plan(data, {"skole", "fu"})
    assert len(_by_unit(data)) == 57
    fu_talk1 = next(e for e in data["events"] if e["kind"] == "learning_talk" and e["sector"] == "fu" and e["number"] == 1)
    roles = {a["role"] for a in fu_talk1["attendees"]}
    assert {"chief", "leader", "deputy_leader", "dept_leader_rep", "board", "youth_rep"} <= roles


def test_albertslund_loop_plans(cli):
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", "0-6", "--start-date", "2027-04-28", "--now", NOW, "--framework", "albertslund")
    data = _export(cli, "0-6-2027-04-28")
    assert data["loop"]["framework"] == "albertslund"
    groups = {e["details"]["group"] for e in data["events"] if e["kind"] == "network_meeting"}
    assert len(groups) == 3
    assert len(_by_unit(data)) == 80


def test_export_times_carry_their_offset(cli):
    data = _start(cli, "0-6", "2027-04-28")
    for e in data["events"]:
        start = dt.datetime.fromisoformat(e["start"])
        assert start.utcoffset() == start.astimezone(CPH).utcoffset()
        assert e["start"].endswith(("+01:00", "+02:00"))


def test_csv_export_has_a_row_per_event(cli):
    data = _start(cli, "0-6", "2027-04-28")
    text = cli("loop", "export", "0-6-2027-04-28", "--format", "csv").stdout
    assert len(text.strip().splitlines()) == len(data["events"]) + 1
    assert "Læringssamtale 1 af 4" in text


def test_show_summarises_per_chief(cli):
    _start(cli, "0-6", "2027-04-28")
    out = cli("loop", "show", "0-6-2027-04-28").stdout
    assert "Byrådets drøftelse af kvalitetsrapporten" in out
    assert "chief-01@example.dk" in out
    unit = cli("loop", "show", "0-6-2027-04-28", "--unit", "dt-001").stdout
    assert unit.count("learning_talk") == 4


def test_wrong_council_year_is_refused_unless_overridden(cli):
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    proc = cli("loop", "start", "--area", "0-6", "--council-date", "2028-04-26", "--now", NOW, "--past", "held", check=False)
    assert proc.returncode == 2
    assert "odd years" in proc.stderr and "pass --allow-any-year" in proc.stderr and "Traceback" not in proc.stderr
    assert "No loop" in cli("loop", "list").stdout
    cli("loop", "start", "--area", "0-6", "--council-date", "2028-04-26", "--allow-any-year", "--now", NOW, "--past", "held")
    assert "0-6-2028-04-26" in cli("loop", "list").stdout


def test_dry_run_stores_nothing(cli):
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    out = cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--dry-run", "--now", NOW, "--past", "held").stdout
    assert "Would plan loop 0-6-2027-04-28" in out
    assert "No loop" in cli("loop", "list").stdout


def test_starting_the_same_loop_twice_is_refused(cli):
    _start(cli, "0-6", "2027-04-28")
    proc = cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held", check=False)
    assert proc.returncode == 2 and "already exists" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (("loop", "start", "--area", "0-6", "--council-date", "28-04-2027"), "is not a date"),
    (("loop", "start", "--area", "3-9", "--council-date", "2027-04-28"), "has no area '3-9'"),
    (("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--framework", "odense"), "there is no framework 'odense'"),
    (("loop", "show", "0-6-1999-01-01"), "there is no loop '0-6-1999-01-01'"),
    (("loop", "export", "x", "--format", "pdf"), "--format must be json, csv or ics"),
    (("event", "move", "nope@kvalitetsloop", "--start", "2027-05-05T09:00"), "there is no event"),
    (("status", "--now", "yesterday"), "is not an ISO time"),
    (("org", "import", "/nonexistent.csv"), "does not exist"),
])
def test_user_mistakes_get_one_sentence_and_exit_2(sqlite_cli, args, message):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    proc = sqlite_cli(*args, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_framework_file_with_errors_names_the_key(sqlite_cli, tmp_path, aarhus_data):
    import yaml

    bad = dict(aarhus_data, talks={**aarhus_data["talks"], "count": 0})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    proc = sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--framework", str(path), check=False)
    assert proc.returncode == 2
    assert "talks.count" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unreachable_database_is_one_sentence(tmp_path):
    from tests.conftest import Cli

    proc = Cli("postgresql://nobody@127.0.0.1:1/none", tmp_path, subprocess=True)("loop", "list", check=False)
    assert proc.returncode == 2 and "cannot be used" in proc.stderr and "Traceback" not in proc.stderr


def test_the_installed_command_runs_a_loop_and_fails_cleanly(sqlite_url, tmp_path):
    """The console script itself, in its own process: exit codes and stderr as a shell sees them."""
    from tests.conftest import Cli

    cli = Cli(sqlite_url, tmp_path, subprocess=True)
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", "6-18", "--council-date", "2028-04-26", "--now", NOW, "--past", "held", "--export", "out/plan.json")
    assert json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))["loop"]["area"] == "6-18"
    proc = cli("loop", "start", "--area", "6-18", "--council-date", "2027-04-28", "--now", NOW, "--past", "held", check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("Error: the council discusses the 6-18 area in even years")
    assert "Traceback" not in proc.stderr
    usage = cli("loop", "start", "--bogus", check=False)
    assert usage.returncode == 2 and "No such option" in usage.stderr


def _talk(data: dict, unit: str, number: int) -> dict:
    return next(e for e in data["events"] if e["unit_id"] == unit and e["kind"] == "learning_talk" and e["number"] == number)


def test_moving_a_talk_raises_its_sequence_and_moves_its_deadlines(cli):
    data = _start(cli, "0-6", "2027-04-28")
    talk = _talk(data, "dt-003", 2)  # not self-owned: its board writes a statement before talk 2
    start = _local(talk["start"])
    people = {a["email"] for a in talk["attendees"]}
    busy_days = {_local(e["start"]).date() for e in data["events"] if e["kind"] in ("learning_talk", "one_to_one", "network_meeting")
                 and people & {a["email"] for a in e["attendees"]}}
    window_end = dt.date.fromisoformat(talk["details"]["window_end"])
    # A later working day in the same autumn window on which none of the talk's people has a meeting.
    target = next(start.replace(hour=13) + dt.timedelta(days=d) for d in range(7, 60)
                  if (start + dt.timedelta(days=d)).date() not in busy_days
                  and (start + dt.timedelta(days=d)).isoweekday() <= 5
                  and (start + dt.timedelta(days=d)).date() <= window_end
                  and (start + dt.timedelta(days=d)).date() not in (dt.date(2027, 10, 18), dt.date(2027, 10, 19)))
    cli("event", "move", talk["uid"], "--start", target.strftime("%Y-%m-%dT%H:%M"), "--now", NOW)
    after = _export(cli, "0-6-2027-04-28")
    moved = _talk(after, "dt-003", 2)
    assert moved["uid"] == talk["uid"]
    assert moved["sequence"] == talk["sequence"] + 1 and moved["status"] == "moved"
    assert _local(moved["start"]) == target
    deps = [e for e in after["events"] if e["parent_uid"] == talk["uid"]]
    assert {e["kind"] for e in deps} == {"data_package", "board_statement_due", "followup_form_due"}
    for e in deps:
        day = _local(e["start"]).date()
        if e["kind"] == "followup_form_due":
            assert day > target.date()
        else:
            assert day < target.date()
        assert e["sequence"] == 1


def test_a_move_onto_a_holiday_is_refused_and_changes_nothing(cli):
    data = _start(cli, "0-6", "2027-04-28")
    talk = _talk(data, "dt-001", 2)
    proc = cli("event", "move", talk["uid"], "--start", "2027-12-24T10:00", "--now", NOW, check=False)
    assert proc.returncode == 2
    assert "Juleaftensdag" in proc.stderr and "--force" in proc.stderr
    assert _export(cli, "0-6-2027-04-28") == data
    forced = cli("event", "move", talk["uid"], "--start", "2027-12-24T10:00", "--force", "--now", NOW)
    assert "forced over" in forced.stdout
    assert _talk(_export(cli, "0-6-2027-04-28"), "dt-001", 2)["sequence"] == 1


def test_a_move_into_a_colleagues_meeting_is_refused(cli):
    data = _start(cli, "0-6", "2027-04-28")
    mine = _talk(data, "dt-001", 1)
    chief = next(a["email"] for a in mine["attendees"] if a["role"] == "chief")
    other = next(e for e in data["events"] if e["kind"] == "learning_talk" and e["unit_id"] != "dt-001"
                 and any(a["email"] == chief for a in e["attendees"]) and e["number"] == 1)
    proc = cli("event", "move", mine["uid"], "--start", _local(other["start"]).strftime("%Y-%m-%dT%H:%M"),
               "--now", NOW, check=False)
    assert proc.returncode == 2 and chief in proc.stderr and "another meeting" in proc.stderr


def test_cancelling_a_talk_cancels_its_deadlines(cli):
    data = _start(cli, "0-6", "2027-04-28")
    talk = _talk(data, "dt-002", 3)
    out = cli("event", "cancel", talk["uid"], "--now", NOW).stdout
    assert "Cancelled" in out
    after = _export(cli, "0-6-2027-04-28")
    assert _talk(after, "dt-002", 3)["status"] == "cancelled" and _talk(after, "dt-002", 3)["sequence"] == 1
    assert all(e["status"] == "cancelled" for e in after["events"] if e["parent_uid"] == talk["uid"])
    again = cli("event", "cancel", talk["uid"], "--now", NOW, check=False)
    assert again.returncode == 2 and "already cancelled" in again.stderr


def test_status_splits_past_and_ahead_at_the_given_time(cli):
    _start(cli, "0-6", "2027-04-28")
    early = cli("status", "--now", "2027-01-01T09:00+01:00").stdout
    late = cli("status", "--now", "2029-06-01T09:00+02:00").stdout
    assert "Next events" in early and "Next events" not in late
    line = next(l for l in late.splitlines() if "learning_talk" in l)
    assert "320" in line


def test_imported_closing_days_keep_meetings_away(cli, tmp_path):
    """School holidays and closing days are importable from CSV and the planner respects them."""
    data = _start(cli, "0-6", "2027-04-28")
    busy = Counter(_local(e["start"]).date() for e in data["events"] if e["kind"] == "learning_talk")
    day, _ = busy.most_common(1)[0]
    csv_file = tmp_path / "lukkedage.csv"
    csv_file.write_text(f"calendar,name,start,end\naarhus-dagtilbud,Personaledag,{day},{day}\n", encoding="utf-8")
    assert "Imported 1 new holiday period from" in cli("holidays", "import", str(csv_file)).stdout
    cli("loop", "start", "--area", "0-6", "--council-date", "2029-04-25", "--now", NOW, "--past", "held")
    moved = cli("event", "move", _talk(data, "dt-001", 1)["uid"], "--start", f"{day}T13:00", "--now", NOW, check=False)
    assert moved.returncode == 2 and "Personaledag" in moved.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("calendar,name,start,end\naarhus-skole,Ferie,2027-13-01,2027-13-05\n", encoding="utf-8")
    proc = cli("holidays", "import", str(bad), check=False)
    assert proc.returncode == 2 and "line 2" in proc.stderr


# -- found in review: several loops, stricter moves, no tracebacks ------------------------------

def _meetings_by_person(*exports: dict) -> dict[str, list[tuple[dt.datetime, dt.datetime, str]]]:
    out: dict[str, list] = defaultdict(list)
    for data in exports:
        for e in data["events"]:
            if e["kind"] in ("learning_talk", "one_to_one", "network_meeting") and e["status"] != "cancelled":
                for a in e["attendees"]:
                    out[a["email"]].append((_local(e["start"]), _local(e["end"]), e["uid"]))
    return out


def test_two_running_loops_never_double_book_a_chief(cli):
    """The 5 chiefs sit in both areas' loops: the second loop books around the first."""
    first = _start(cli, "0-6", "2027-04-28")
    cli("loop", "start", "--area", "6-18", "--council-date", "2028-04-26", "--now", NOW, "--past", "held")
    second = _export(cli, "6-18-2028-04-26")
    for email, meetings in _meetings_by_person(first, second).items():
        meetings.sort()
        for (s1, e1, u1), (s2, e2, u2) in zip(meetings, meetings[1:]):
            assert s2 >= e1 + dt.timedelta(minutes=30), (email, u1, u2)
        per_day = Counter(s.date() for s, _, _ in meetings)
        assert max(per_day.values()) <= 3, email
    # And a move of a 0-6 meeting onto the chief's 6-18 talk is refused.
    talk = next(e for e in second["events"] if e["kind"] == "learning_talk" and e["number"] == 2)
    chief = next(a["email"] for a in talk["attendees"] if a["role"] == "chief")
    o2o = next(e for e in first["events"] if e["kind"] == "one_to_one" and chief in {a["email"] for a in e["attendees"]})
    proc = cli("event", "move", o2o["uid"], "--start", _local(talk["start"]).strftime("%Y-%m-%dT%H:%M"), "--now", NOW, check=False)
    assert proc.returncode == 2 and chief in proc.stderr
    assert "another meeting" in proc.stderr or "meetings on" in proc.stderr


@pytest.mark.parametrize("case, message", [
    ("one-to-one past the next talk", "belongs before talk 2"),
    ("data package after its talk", "must come before its talk"),
    ("follow-up form before its talk", "must be due after its talk"),
    ("into the past", "has already passed"),
    ("far outside the loop", "lies outside the loop"),
    ("implausible year", "not a plausible time"),
])
def test_moves_that_break_the_loops_order_are_refused(sqlite_cli, case, message):
    data = _start(sqlite_cli, "0-6", "2027-04-28")
    evs = [e for e in data["events"] if e["unit_id"] == "dt-001"]
    talk2 = _talk(data, "dt-001", 2)
    after2 = (_local(talk2["start"]) + dt.timedelta(days=2)).strftime("%Y-%m-%d")
    o2o = next(e for e in evs if e["kind"] == "one_to_one" and e["details"]["after_talk"] == 1)
    uid, start, now = {
        "one-to-one past the next talk": (o2o["uid"], after2 + "T13:00", NOW),
        "data package after its talk": (next(e for e in evs if e["kind"] == "data_package" and e["number"] == 2)["uid"], after2, NOW),
        "follow-up form before its talk": (next(e for e in evs if e["kind"] == "followup_form_due" and e["number"] == 1)["uid"], "2027-04-29", NOW),
        "into the past": (o2o["uid"], "2027-06-08T13:00", "2027-06-10T09:00+02:00"),
        "far outside the loop": (o2o["uid"], "2035-03-05T09:00", NOW),
        "implausible year": (o2o["uid"], "9999-12-31T23:00", NOW),
    }[case]
    proc = sqlite_cli("event", "move", uid, "--start", start, "--now", now, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert _export(sqlite_cli, "0-6-2027-04-28") == data


def test_a_talk_move_that_drags_its_data_package_into_the_past_is_refused(sqlite_cli):
    data = _start(sqlite_cli, "0-6", "2027-04-28")
    talk2 = _talk(data, "dt-001", 2)
    package = next(e for e in data["events"] if e["parent_uid"] == talk2["uid"] and e["kind"] == "data_package")
    # The day after the data package was due: moving the talk two days earlier would need it yesterday.
    now = (_local(package["start"]) + dt.timedelta(days=1, hours=9)).isoformat()
    target = (_local(talk2["start"]) - dt.timedelta(days=2)).strftime("%Y-%m-%dT13:00")
    proc = sqlite_cli("event", "move", talk2["uid"], "--start", target, "--now", now, check=False)
    assert proc.returncode == 2 and "which has passed" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (("loop", "export", "0-6-2027-04-28", "--format", "ics", "--out", "/proc/nope/x.ics"), "cannot use"),
    (("loop", "export", "0-6-2027-04-28", "--format", "json", "--out", "/proc/x.json"), "cannot use"),
    (("loop", "start", "--area", "6-18", "--council-date", "2028-04-26", "--export", "/proc/nope/x.json"), "cannot write"),
    (("loop", "start", "--area", "6-18", "--council-date", "9999-04-26", "--allow-any-year"), "not a plausible date"),
    (("loop", "start", "--area", "0-6", "--council-date", "2029-05-05"), "not a working day (lørdag)"),
    (("loop", "start", "--area", "0-6", "--council-date", "2027-12-24", "--allow-any-year"), "not a working day (Juleaftensdag)"),
])
def test_more_mistakes_are_one_sentence_and_change_nothing(sqlite_cli, args, message):
    _start(sqlite_cli, "0-6", "2027-04-28")
    proc = sqlite_cli(*args, "--now", NOW, check=False) if args[0] == "loop" and args[1] == "start" else sqlite_cli(*args, check=False)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert [l for l in sqlite_cli("loop", "list").stdout.splitlines() if "6-18" in l] == []


def test_an_unsupported_database_url_is_one_sentence(tmp_path):
    from tests.conftest import Cli

    proc = Cli("mysql://x@y/z", tmp_path)("loop", "list", check=False)
    assert proc.returncode == 2 and "not a database URL this program can use" in proc.stderr


def test_a_framework_with_a_bad_time_zone_names_the_key(sqlite_cli, tmp_path, aarhus_data):
    import yaml

    path = tmp_path / "mars.yaml"
    path.write_text(yaml.safe_dump(dict(aarhus_data, timezone="Mars/Olympus"), allow_unicode=True), encoding="utf-8")
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    proc = sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--framework", str(path), check=False)
    assert proc.returncode == 2 and "timezone" in proc.stderr and "Mars/Olympus" in proc.stderr


def test_holiday_import_refuses_unknown_calendars_and_names_clashing_meetings(sqlite_cli, tmp_path):
    data = _start(sqlite_cli, "0-6", "2027-04-28")
    typo = tmp_path / "typo.csv"
    typo.write_text("calendar,name,start,end\naarhus-dagtilbuf,Lukket,2027-07-12,2027-07-23\n", encoding="utf-8")
    proc = sqlite_cli("holidays", "import", str(typo), check=False)
    assert proc.returncode == 2 and "'aarhus-dagtilbuf'" in proc.stderr and "aarhus-dagtilbud" in proc.stderr
    # (Not a summer week: the loop's meetings avoid the summer holiday already.)
    closing = tmp_path / "closing.csv"
    closing.write_text("calendar,name,start,end\naarhus-dagtilbud,Personaledag,2027-05-18,2027-05-19\n", encoding="utf-8")
    out = sqlite_cli("holidays", "import", str(closing)).stdout
    inside = [e for e in data["events"] if e["kind"] in ("learning_talk", "one_to_one")
              and dt.date(2027, 5, 18) <= _local(e["start"]).date() <= dt.date(2027, 5, 19)]
    assert inside and f"{len(inside)} planned meetings now fall in these periods" in out
    assert "Personaledag" in out


def test_a_table_drawn_by_the_cli_is_what_rich_draws():
    """`print_table` draws plain tables itself for speed; a person must not see a difference."""
    import io

    from rich.console import Console
    from rich.table import Table

    from kvalitetsloop.cli import common

    t = Table(title="Løkke 0-6 pr. chef")
    t.add_column("chief")
    t.add_column("units", justify="right")
    t.add_column("uid", no_wrap=True, min_width=20)
    t.add_column("x", justify="center")
    t.add_row("Søren Ærø <s@example.dk>", "9", "abc", "y")
    t.add_row("Bo", "117", "", "")
    console = Console(file=io.StringIO(), width=160, highlight=False, soft_wrap=True)
    console.print(t)
    assert common._plain_table(t, 160) == console.file.getvalue()
    # Too wide for the terminal: rich wraps it, so it is left to rich.
    assert common._plain_table(t, 40) is None
    # A time is drawn here; markup, an emoji code or a control character in a cell is rich's.
    t.add_row("kl. 08:00", "1", "", "")
    assert common._plain_table(t, 160) is not None
    for cell in ("[bold]x[/bold]", "Sol :sun: og regn", "Børnehuset\rLærkereden"):
        u = Table("a")
        u.add_row(cell)
        assert common._plain_table(u, 160) is None, cell
