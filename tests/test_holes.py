"""The smaller holes of issue 10.5: each bad input is one sentence, exit code 2 and changes
nothing; each unsafe output is made safe."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import sqlalchemy as sa

from tests.conftest import EXAMPLE_ORG, NOW, Cli
from tests.notifications.conftest import small_loop, small_loop_template  # noqa: F401 (fixtures)

LOOP = "0-6-2027-04-28"


def _start(cli) -> dict:
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    return json.loads(cli("loop", "export", LOOP).stdout)


def _refused(cli, *args: str, message: str):
    proc = cli(*args, check=False)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("Error: ") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert message in proc.stderr, proc.stderr
    return proc


def _talk(data: dict, unit: str, number: int) -> dict:
    return next(e for e in data["events"] if e["unit_id"] == unit and e["kind"] == "learning_talk"
                and e["number"] == number)


def test_csv_export_neutralises_formula_prefixes(sqlite_cli, tmp_path):
    lines = EXAMPLE_ORG.read_text(encoding="utf-8").splitlines()
    nasty = {"dt-001": '=HYPERLINK("http://evil.example/x","klik")', "dt-002": "@SUM(1+1)",
             "dt-003": "+1+1", "dt-004": "-1+1"}
    out = [lines[0]]
    for line in lines[1:]:
        row = next(csv.reader([line]))
        if row[0] in nasty:
            row[1] = nasty[row[0]]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(row)
        out.append(buf.getvalue().removesuffix("\n"))
    org = tmp_path / "org.csv"
    org.write_text("\n".join(out) + "\n", encoding="utf-8")
    sqlite_cli("org", "import", str(org), "--now", NOW)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    rows = list(csv.reader(io.StringIO(sqlite_cli("loop", "export", LOOP, "--format", "csv").stdout)))
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    names = {r[3] for r in rows[1:] if r[2] in nasty}
    assert names == {"'" + v for v in nasty.values()}
    # The JSON export, read by programs, keeps the names as they are.
    data = json.loads(sqlite_cli("loop", "export", LOOP).stdout)
    assert {e["unit_name"] for e in data["events"] if e["unit_id"] == "dt-001"} == {nasty["dt-001"]}


def test_a_move_into_the_spring_dst_gap_is_refused_or_keeps_the_duration(sqlite_cli):
    data = _start(sqlite_cli)
    talk = _talk(data, "dt-001", 1)
    minutes = (dt.datetime.fromisoformat(talk["end"]) - dt.datetime.fromisoformat(talk["start"])).total_seconds() / 60
    assert minutes == 150
    _refused(sqlite_cli, "event", "move", talk["uid"], "--start", "2027-03-28T02:30", "--now", NOW,
             message="2027-03-28 02:30 does not exist in Europe/Copenhagen")
    assert json.loads(sqlite_cli("loop", "export", LOOP).stdout) == data
    sqlite_cli("event", "move", talk["uid"], "--start", "2027-03-28T02:30", "--force", "--now", NOW)
    moved = _talk(json.loads(sqlite_cli("loop", "export", LOOP).stdout), "dt-001", 1)
    start, end = dt.datetime.fromisoformat(moved["start"]), dt.datetime.fromisoformat(moved["end"])
    assert (end - start) == dt.timedelta(minutes=150)
    assert start.isoformat() == "2027-03-28T03:30:00+02:00"


def test_a_council_date_in_the_past_needs_a_flag(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    _refused(sqlite_cli, "loop", "start", "--area", "0-6", "--council-date", "2027-04-28",
             "--now", "2027-05-01T09:00+02:00", message="the council date 2027-04-28 has passed")
    assert "No loop" in sqlite_cli("loop", "list").stdout
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", "2027-05-01T09:00+02:00",
               "--allow-past", "--past", "held")
    assert LOOP in sqlite_cli("loop", "list").stdout


def test_theme_must_not_be_empty(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    for theme in ("", "  ", "Sprog\nog kommunikation"):
        _refused(sqlite_cli, "loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held",
                 "--theme", theme, message="theme")
    assert "No loop" in sqlite_cli("loop", "list").stdout


def test_unit_names_with_line_breaks_are_refused(sqlite_cli, tmp_path):
    lines = EXAMPLE_ORG.read_text(encoding="utf-8").splitlines()
    row = next(csv.reader([lines[1]]))
    row[1] = "Vuggestuen\nRønnebærhuset"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    org = tmp_path / "org.csv"
    org.write_text("\n".join([lines[0], buf.getvalue().removesuffix("\n"), *lines[2:]]) + "\n", encoding="utf-8")
    proc = sqlite_cli("org", "import", str(org), "--now", NOW, check=False)
    assert proc.returncode == 2 and "line break" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sqlite_cli("org", "show", check=False).returncode == 2  # nothing imported


def _submissions(url: str) -> int:
    from storage.db import engine_for

    with engine_for(url).connect() as c:
        return c.execute(sa.text("select count(*) from submission")).scalar()


def test_submission_arguments_are_checked(sqlite_cli, sqlite_url, tmp_path):
    _start(sqlite_cli)
    stmt = tmp_path / "s.txt"
    stmt.write_text("Bestyrelsen ønsker mere fokus på sprog.", encoding="utf-8")
    _refused(sqlite_cli, "statement", "submit", "--unit", "dt-004", "--talk", "2", "--file", str(stmt),
             "--by", "not an email", message="'not an email' is not an email address")
    _refused(sqlite_cli, "package", "ready", "--unit", "dt-001", "--number", "1",
             "--url", "https://data.example.dk/p/1\r\nBcc: x@evil.example", message="line break")
    _refused(sqlite_cli, "submission", "add", "--kind", "board_statement", "--unit", "dt-004", "--file", str(stmt),
             message="--number")
    assert _submissions(sqlite_url) == 0
    sqlite_cli("statement", "submit", "--unit", "dt-004", "--talk", "2", "--file", str(stmt),
               "--by", "formand@example.dk")
    assert _submissions(sqlite_url) == 1


def test_cancelling_a_talk_already_held_is_refused(sqlite_cli):
    data = _start(sqlite_cli)
    talk = _talk(data, "dt-001", 1)
    after = (dt.datetime.fromisoformat(talk["end"]) + dt.timedelta(days=1)).isoformat()
    _refused(sqlite_cli, "event", "cancel", talk["uid"], "--now", after, message="has already taken place")
    assert json.loads(sqlite_cli("loop", "export", LOOP).stdout) == data


def test_outbox_limit_and_giving_up_twice(small_loop, tmp_path):
    from storage.db import engine_for

    from notifications.mailsink import free_port
    from tests.notifications.conftest import at, run_dispatch, settings_for

    cli = Cli(small_loop, tmp_path)
    run_dispatch(small_loop, at("2027-04-09T09:00"), settings_for(free_port()))  # nobody listens: rows wait
    _refused(cli, "outbox", "list", "--limit", "-5", message="at least 1")
    with engine_for(small_loop).connect() as c:
        row_id = c.execute(sa.text("select min(id) from outbox")).scalar()
    cli("outbox", "give-up", str(row_id))
    _refused(cli, "outbox", "give-up", str(row_id), message=f"outbox row {row_id} has already been given up")
