"""The organisation changing under a running loop (issue 10.1), as the administration does it on
the command line, on SQLite and PostgreSQL, with the emails caught by a real SMTP server."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from cycle.booking import Ledger, minutes
from tests.conftest import EXAMPLE_ORG, NOW, Cli
from tests.notifications.conftest import CPH

LOOP = "0-6-2027-04-28"


def _rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(EXAMPLE_ORG.read_text(encoding="utf-8"))))


def _write(rows: list[dict], path) -> str:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return str(path)


def _export(cli) -> list[dict]:
    return json.loads(cli("loop", "export", LOOP).stdout)["events"]


def _calendar(msg) -> dict[str, str]:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    text = part.get_payload(decode=True).decode("utf-8").replace("\r\n ", "")
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.split(";")[0]
        if key in ("METHOD", "UID", "SEQUENCE") and key not in out:
            out[key] = value
    return out


def _outbox(url: str, event_uid: str) -> list[tuple[int, str, str]]:
    """(id, status, last error) of the outbox rows about one event."""
    import sqlalchemy as sa

    from storage.db import engine_for

    with engine_for(url).connect() as c:
        return [tuple(r) for r in c.execute(sa.text("select id, status, coalesce(last_error, '') from outbox "
                                                    "where event_uid = :u order by id"), {"u": event_uid})]


def _invitations(smtp, since: int = 0) -> list[tuple[str, str, int, str]]:
    """(uid, method, sequence, recipient) of every invitation the SMTP server took."""
    out = []
    for r in smtp.messages[since:]:
        m = r.message
        if m["X-Kvalitetsloop-Kind"] == "invitation":
            c = _calendar(m)
            out += [(c["UID"], c["METHOD"], int(c["SEQUENCE"]), to) for to in r.rcpt_tos]
    return out


@pytest.fixture
def running(db_url, tmp_path, smtp, smtp_env):
    """The demo's 0-6 loop, started on 2027-03-01, with its first invitations sent on 2027-05-10."""
    smtp_env(smtp.port)
    cli = Cli(db_url, tmp_path)
    cli("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held")
    cli("dispatch", "--now", "2027-05-10T16:00+02:00")
    return cli


def test_a_dry_run_of_a_partial_file_shows_the_damage_and_changes_nothing(running, tmp_path, smtp):
    """Issue 10.2: a 5-row file would remove 132 units; --dry-run says so and changes nothing."""
    cli = running
    before_events, before_org = _export(cli), cli("org", "show").stdout
    five = _write(_rows()[:5], tmp_path / "five.csv")
    r = cli("org", "import", five, "--dry-run", "--now", "2027-05-11T09:00+02:00")
    assert "Units removed (132)" in r.stdout and "Dry run: nothing was changed." in r.stdout
    assert "future events of removed units would be cancelled" in r.stdout
    assert "invitations already sent would get a cancellation" in r.stdout
    assert _export(cli) == before_events and cli("org", "show").stdout == before_org
    refused = cli("org", "import", five, "--now", "2027-05-11T09:00+02:00", check=False)
    assert refused.returncode == 2 and "would remove 132 units and nothing was changed" in refused.stderr
    assert _export(cli) == before_events
    both = cli("org", "import", five, "--apply", "--dry-run", check=False)
    assert both.returncode == 2 and "contradict" in both.stderr


def test_a_removed_unit_cancels_what_was_sent_withdraws_what_was_not_and_nothing_else_stops(
        running, tmp_path, smtp, smtp_env):
    cli = running
    events = _export(cli)
    sent = _invitations(smtp)
    invited = {uid for uid, *_ in sent}
    talk1 = {e["unit_id"]: e for e in events if e["kind"] == "learning_talk" and e["number"] == 1
             and e["unit_id"].startswith("dt-")}
    # A: its talk 1 was announced on 2027-05-10 and lies ahead.
    a = next(u for u, e in sorted(talk1.items()) if e["uid"] in invited and e["start"] > "2027-05-25")
    # B: its talk 1 is announced on 2027-05-17, while the SMTP server is away: the emails wait.
    b = next(u for u, e in sorted(talk1.items()) if "2027-06-08" < e["start"] < "2027-06-14")
    smtp_env(1)
    cli("dispatch", "--now", "2027-05-17T16:00+02:00", check=False)
    smtp_env(smtp.port)
    assert {"pending"} == {status for _, status, _ in _outbox(cli.url, talk1[b]["uid"])}

    rows = [r for r in _rows() if r["id"] not in (a, b)]
    r = cli("org", "import", _write(rows, tmp_path / "without.csv"), "--apply", "--now", "2027-05-18T09:00+02:00")
    mine = [e for e in events if e["unit_id"] in (a, b) and e["end"] > "2027-05-18T09"]
    assert f"Units removed (2): {a}, {b}" in r.stdout
    assert f"{len(mine)} future events of removed units are cancelled" in r.stdout
    requests_sent = [x for x in sent if x[0] in {e["uid"] for e in mine} and x[1] == "REQUEST"]
    assert requests_sent
    assert f"{len(requests_sent)} invitations already sent get a cancellation" in r.stdout
    # B's unsent emails are kept, visibly withdrawn with the reason, and can never be sent.
    rows_b = _outbox(cli.url, talk1[b]["uid"])
    assert rows_b and all(status == "withdrawn" and "removed from the organisation" in why for _, status, why in rows_b)
    assert f"withdrawn {len(rows_b)}" in cli("outbox", "list").stdout
    refused = cli("outbox", "retry", str(rows_b[0][0]), check=False)
    assert refused.returncode == 2 and "withdrawn" in refused.stderr

    before = len(smtp.messages)
    cli("dispatch", "--now", "2027-05-18T16:00+02:00")
    got = _invitations(smtp, before)
    about_gone = [x for x in got if x[0] in {e["uid"] for e in mine}]
    # Exactly the invitations that went out are cancelled; B's people never heard of the meeting.
    assert sorted((u, to) for u, m, _, to in about_gone if m == "CANCEL") == sorted((u, to) for u, _, _, to in requests_sent)
    assert all(m == "CANCEL" for _, m, _, _ in about_gone)
    # Everything else goes on: what waited since the outage goes out now.
    others = [m.message for m in smtp.messages[before:] if m.message["X-Kvalitetsloop-Event"] not in {e["uid"] for e in mine}]
    assert any(m["X-Kvalitetsloop-Kind"] == "invitation" for m in others)


def test_a_new_chief_gets_the_meetings_the_old_one_a_cancellation_and_the_others_an_update(running, tmp_path, smtp):
    cli = running
    events = _export(cli)
    sent = _invitations(smtp)
    invited = {uid for uid, *_ in sent}
    unit = next(e["unit_id"] for e in sorted(events, key=lambda e: e["unit_id"] or "")
                if e["kind"] == "learning_talk" and e["number"] == 1 and e["uid"] in invited
                and e["start"] > "2027-05-20" and e["unit_id"].startswith("dt-"))
    rows = _rows()
    row = next(r for r in rows if r["id"] == unit)
    old = row["chief_email"]
    row["chief_email"], row["chief_name"] = "ny.chef@example.dk", "Ny Chef"
    r = cli("org", "import", _write(rows, tmp_path / "chief.csv"), "--now", "2027-05-12T09:00+02:00")
    assert f"{unit} chief: {old} -> ny.chef@example.dk" in r.stdout
    before = len(smtp.messages)
    cli("dispatch", "--now", "2027-05-12T16:00+02:00")
    got = _invitations(smtp, before)
    future = [e for e in _export(cli) if e["unit_id"] == unit and e["kind"] in ("learning_talk", "one_to_one")
              and e["start"] > "2027-05-12T09"]
    announced = [e for e in future if e["uid"] in invited]
    assert announced
    for e in announced:
        others = sorted(a["email"] for a in e["attendees"] if a["email"] != "ny.chef@example.dk")
        assert (e["uid"], "REQUEST", e["sequence"], "ny.chef@example.dk") in got
        assert (e["uid"], "CANCEL", e["sequence"], old) in got
        assert sorted(to for u, m, s, to in got if u == e["uid"] and m == "REQUEST" and to != "ny.chef@example.dk") \
            == others  # the update, at the new sequence, to everyone else
    texts = [m.message for m in smtp.messages[before:] if m.message["Subject"].startswith("Opdateret:")]
    assert texts and "fordi organisationen er opdateret" in texts[0].get_body(("plain",)).get_content()
    # Meetings not announced yet simply go to the new chief when their time comes.
    assert not any(u == e["uid"] for e in future if e not in announced for u, *_ in got)


def test_a_new_board_address_gets_the_pending_reminders(running, tmp_path, smtp):
    cli = running
    statement = next(e for e in sorted(_export(cli), key=lambda e: e["start"])
                     if e["kind"] == "board_statement_due" and e["start"] > "2027-09-01")
    unit, due = statement["unit_id"], dt.date.fromisoformat(statement["start"][:10])
    rows = _rows()
    row = next(r for r in rows if r["id"] == unit)
    old_board = row["board_email"]
    first = (due - dt.timedelta(days=21)).isoformat()
    cli("dispatch", "--now", f"{first}T09:00+02:00")
    assert any(r.message["X-Kvalitetsloop-Kind"] == "board_statement_reminder" and old_board in r.rcpt_tos
               for r in smtp.messages)
    row["board_email"] = "ny-bestyrelse@example.dk"
    cli("org", "import", _write(rows, tmp_path / "board.csv"), "--now", f"{first}T10:00+02:00")
    before = len(smtp.messages)
    for days in (10, 3):
        cli("dispatch", "--now", f"{(due - dt.timedelta(days=days)).isoformat()}T09:00+02:00")
    reminders = [r for r in smtp.messages[before:] if r.message["X-Kvalitetsloop-Kind"] == "board_statement_reminder"
                 and r.message["X-Kvalitetsloop-Event"] == statement["uid"]]
    assert [r.rcpt_tos for r in reminders] == [["ny-bestyrelse@example.dk"]] * 2


def test_a_new_unit_is_planned_into_the_running_loop_under_every_rule(running, tmp_path, smtp):
    cli = running
    rows = _rows()
    template = next(r for r in rows if r["id"] == "dt-010")
    rows.append(dict(template, id="dt-900", name="Nyt Dagtilbud", leader_name="Ny Leder",
                     leader_email="ny.leder@example.dk", board_email="bestyrelse-dt-900@example.dk",
                     pedagogical_leader_emails="ny.paed@example.dk", employee_rep_emails="ny.tr@example.dk"))
    r = cli("org", "import", _write(rows, tmp_path / "plus.csv"), "--now", "2027-06-01T09:00+02:00")
    assert f"plan it in with 'kvalitetsloop loop add-unit {LOOP} dt-900'" in r.stdout
    added = cli("loop", "add-unit", LOOP, "dt-900", "--now", "2027-06-01T09:00+02:00")
    assert "Planned dt-900 (Nyt Dagtilbud) into loop" in added.stdout
    events = _export(cli)
    mine = [e for e in events if e["unit_id"] == "dt-900"]
    talks = sorted((e for e in mine if e["kind"] == "learning_talk"), key=lambda e: e["number"])
    # Talk 1's window (until late June) still has room: four talks, each with its data package.
    assert [t["number"] for t in talks] == [1, 2, 3, 4]
    assert all(t["start"] > "2027-06-01" for t in talks)
    packages = {e["number"]: e for e in mine if e["kind"] == "data_package"}
    assert sorted(packages) == [1, 2, 3, 4]
    for t in talks:
        assert packages[t["number"]]["start"][:10] < t["start"][:10]
        assert t["details"]["window_start"] <= t["start"][:10] <= t["details"]["window_end"]
    assert len([e for e in mine if e["kind"] == "one_to_one"]) == 12
    # Nobody is booked twice: the new meetings fit around everyone's existing ones.
    from kvalitetsloop.frameworks import load_framework
    from tests.conftest import FRAMEWORKS
    fw = load_framework("aarhus", FRAMEWORKS).framework
    ledger = Ledger(fw)
    for e in events:
        if e["kind"] in ("learning_talk", "one_to_one", "network_meeting") and e["status"] != "cancelled":
            s, t = dt.datetime.fromisoformat(e["start"]).astimezone(CPH), dt.datetime.fromisoformat(e["end"]).astimezone(CPH)
            emails = [a["email"] for a in e["attendees"]]
            clash = ledger.conflict(emails, s.date(), minutes(s.time()), minutes(t.time()))
            assert clash is None or e["unit_id"] != "dt-900", (e["title"], clash.reason)
            ledger.book(emails, s.date(), minutes(s.time()), minutes(t.time()), e["uid"])
    # Its first talk is invited at the next dispatch, its package ordered at once.
    before = len(smtp.messages)
    cli("dispatch", "--now", "2027-06-01T16:00+02:00")
    new = [m.message for m in smtp.messages[before:]]
    assert any(m["X-Kvalitetsloop-Event"] == talks[0]["uid"] for m in new)
    assert any(m["X-Kvalitetsloop-Kind"] == "data_package_trigger" and "dt-900" in m.get_body(("plain",)).get_content()
               for m in new)
    # Twice is refused, and so are a unit of another area and one that does not exist.
    again = cli("loop", "add-unit", LOOP, "dt-900", "--now", "2027-06-01T10:00+02:00", check=False)
    assert again.returncode == 2 and "already takes part in the loop" in again.stderr
    school = cli("loop", "add-unit", LOOP, "sk-001", "--now", "2027-06-01T10:00+02:00", check=False)
    assert school.returncode == 2 and "skole" in school.stderr and "Traceback" not in school.stderr
    missing = cli("loop", "add-unit", LOOP, "dt-999", "--now", "2027-06-01T10:00+02:00", check=False)
    assert missing.returncode == 2 and "no unit 'dt-999'" in missing.stderr


def test_a_unit_added_late_gets_the_remaining_windows_or_is_told_why_not(running, tmp_path):
    cli = running
    rows = _rows()
    rows.append(dict(next(r for r in rows if r["id"] == "dt-010"), id="dt-901", name="Sent Hus",
                     leader_email="sent.leder@example.dk", board_email="bestyrelse-dt-901@example.dk"))
    cli("org", "import", _write(rows, tmp_path / "late.csv"), "--now", "2027-11-20T09:00+01:00")
    added = cli("loop", "add-unit", LOOP, "dt-901", "--now", "2027-11-20T09:00+01:00")
    assert "talk 1 is not planned: its window ended" in added.stdout
    talks = sorted(e["number"] for e in _export(cli) if e["unit_id"] == "dt-901" and e["kind"] == "learning_talk")
    assert talks[0] in (2, 3) and talks[-1] == 4
    rows.append(dict(rows[-1], id="dt-902", leader_email="sidst.leder@example.dk",
                     board_email="bestyrelse-dt-902@example.dk"))
    cli("org", "import", _write(rows, tmp_path / "last.csv"), "--now", "2029-01-10T09:00+01:00")
    too_late = cli("loop", "add-unit", LOOP, "dt-902", "--now", "2029-01-10T09:00+01:00", check=False)
    assert too_late.returncode == 2 and "no talk window of the loop" in too_late.stderr


def test_cancelling_a_loop_cancels_what_was_sent_and_stops_everything_else(running, smtp):
    cli = running
    sent = _invitations(smtp)
    events = {e["uid"]: e for e in _export(cli)}
    r = cli("loop", "cancel", LOOP, "--now", "2027-05-11T09:00+02:00")
    # Every invitation that went out is cancelled, once (meetings held before the cancel excepted).
    future = {(u, to) for u, m, _, to in sent if m == "REQUEST" and events[u]["start"] > "2027-05-11T09"}
    assert f"{len(future)} invitations already sent get a cancellation" in r.stdout
    before = len(smtp.messages)
    cli("dispatch", "--now", "2027-05-11T16:00+02:00")
    got = _invitations(smtp, before)
    assert sorted((u, to) for u, m, _, to in got if m == "CANCEL") == sorted(future)
    assert all(m == "CANCEL" for _, m, _, _ in got)
    assert "cancelled" in cli("loop", "list").stdout
    # Later: nothing at all about the loop.
    before = len(smtp.messages)
    for day in ("2027-06-14", "2027-09-01", "2027-10-04"):
        cli("dispatch", "--now", f"{day}T16:00+02:00")
    assert smtp.messages[before:] == []
    again = cli("loop", "cancel", LOOP, check=False)
    assert again.returncode == 2 and "is cancelled, not running" in again.stderr


def test_closing_a_loop_waits_for_its_last_meeting_then_stops_the_reminders(running, smtp):
    cli = running
    early = cli("loop", "close", LOOP, "--now", "2027-06-01T09:00+02:00", check=False)
    assert early.returncode == 2 and "meetings ahead" in early.stderr and "loop cancel" in early.stderr
    last = max(e["start"] for e in _export(cli) if e["kind"] in ("learning_talk", "one_to_one"))
    after = (dt.datetime.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    cli("loop", "close", LOOP, "--now", after)
    before = len(smtp.messages)
    end = dt.datetime.fromisoformat(after)
    for days in (1, 8, 15):
        cli("dispatch", "--now", (end + dt.timedelta(days=days)).isoformat())
    assert smtp.messages[before:] == []
    assert "closed" in cli("loop", "list").stdout


def test_a_new_leader_is_invited_to_the_leader_network_ahead_and_the_old_one_gets_a_cancellation(
        db_url, tmp_path, smtp, smtp_env):
    """Issue 10.1: "A changed chief or leader: future meetings move to the new person (CANCEL to
    the old, REQUEST to the new)". The leader networks' theme meetings [000: "Temaer via de
    faglige ledernetværk"] are the area's, not a unit's: they follow too. The demo's loop, started
    on 2026-11-02: the second theme meeting of the daycare network (February 2027) is announced
    on 6 January; dt-003's leader is replaced on 7 January."""
    smtp_env(smtp.port)
    cli = Cli(db_url, tmp_path)
    cli("org", "import", str(EXAMPLE_ORG), "--now", "2026-11-02T09:00+01:00")
    cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", "2026-11-02T09:00+01:00")
    cli("dispatch", "--now", "2027-01-06T16:00+01:00")
    network = next(e for e in _export(cli) if e["kind"] == "network_meeting" and e["number"] == 2
                   and "dt-003" in e["details"]["units"])
    assert (network["uid"], "REQUEST", 0) in {(u, m, s) for u, m, s, _ in _invitations(smtp)}
    rows = _rows()
    row = next(r for r in rows if r["id"] == "dt-003")
    old = row["leader_email"]
    row["leader_email"], row["leader_name"] = "ny.leder@example.dk", "Ny Leder"
    cli("org", "import", _write(rows, tmp_path / "leader.csv"), "--now", "2027-01-07T09:00+01:00")
    before = len(smtp.messages)
    cli("dispatch", "--now", "2027-01-07T16:00+01:00")
    got = [(m, to) for u, m, s, to in _invitations(smtp, before) if u == network["uid"]]
    assert sorted(got) == [("CANCEL", old), ("REQUEST", "ny.leder@example.dk")]
    after = next(e for e in _export(cli) if e["uid"] == network["uid"])
    emails = {a["email"] for a in after["attendees"]}
    assert "ny.leder@example.dk" in emails and old not in emails
    assert len(emails) == len(network["attendees"])  # nobody else taken off or added


def test_a_unit_removed_by_mistake_and_restored_is_planned_back_in_keeping_what_it_held(running, tmp_path):
    """A daycare removed in August after its first talk and restored the next day: `loop add-unit`
    plans it back in, names talk 1 as held rather than planning it again, and numbers its new
    one-to-ones on from those it held, so no two of its meetings share a title."""
    cli = running
    rows = _rows()
    cli("org", "import", _write([r for r in rows if r["id"] != "dt-010"], tmp_path / "uden.csv"), "--apply",
        "--now", "2027-08-20T09:00+02:00")
    cli("org", "import", _write(rows, tmp_path / "alle.csv"), "--now", "2027-08-21T09:00+02:00")
    out = " ".join(cli("loop", "add-unit", LOOP, "dt-010", "--now", "2027-08-21T09:00+02:00").stdout.split())
    assert "Planned dt-010" in out and "talk 1 is not planned: it took place on 2027-" in out
    live = [e for e in _export(cli) if e["unit_id"] == "dt-010" and e["status"] != "cancelled"]
    talks = sorted(e["number"] for e in live if e["kind"] == "learning_talk")
    assert talks == [1, 2, 3, 4]
    held = [e for e in live if e["kind"] == "one_to_one" and e["start"] < "2027-08-21"]
    new = [e for e in live if e["kind"] == "one_to_one" and e["start"] >= "2027-08-21"]
    assert held and new and min(e["number"] for e in new) == max(e["number"] for e in held) + 1
    titles = [e["title"] for e in live]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)


def test_a_unit_with_a_talk_cancelled_by_hand_still_takes_part(running):
    """`event cancel` of one talk is not a removal: the unit keeps its other meetings and deadlines
    ahead, is not listed outside the loop, and `loop add-unit` refuses to plan it a second time."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases.loop_changes import units_outside
    from tests.notifications.conftest import at

    cli = running
    talk = next(e for e in _export(cli) if e["unit_id"] == "dt-010" and e["kind"] == "learning_talk" and e["number"] == 4)
    # After talk 3, with talk 4 the only one left: only the unit's other events ahead keep it in.
    cli("event", "cancel", talk["uid"], "--now", "2028-06-01T09:00+02:00")
    assert units_outside(unit_of_work_for(cli.url), LOOP, at("2028-06-01T10:00")) == []
    again = cli("loop", "add-unit", LOOP, "dt-010", "--now", "2028-06-01T10:00+02:00", check=False)
    assert again.returncode == 2 and "dt-010 already takes part in the loop" in again.stderr
    assert not [e for e in _export(cli) if e["unit_id"] == "dt-010" and e["kind"] == "learning_talk"
                and e["number"] == 4 and e["status"] != "cancelled"]
