"""Extra one-to-ones for a unit (issue 9, point 5): [003] "Børn og Unge-chefen og den lokale leder
kan beslutte at afholde flere opfølgninger, hvis er lokalt er behov for det". `loop add-one-to-one
LOOP UNIT --at TIME` (checked like a moved meeting) or `--count N` (times the system finds before
the unit's next talk); the dispatch invites the chief and the leader like to any one-to-one."""

from __future__ import annotations

import email
import json
from email import policy

import pytest

from tests.conftest import EXAMPLE_ORG
from tests.test_rules_aarhus import check_quotes

LOOP = "0-6-2027-04-28"
EARLY = "2026-11-02T09:00:00+01:00"
JUNE = "2027-06-01T09:00:00+02:00"
CHIEF = "chief-01@example.dk"  # dt-004's chief
QUOTE = {"003": ["chefen og den lokale leder kan beslutte at afholde flere"]}


def test_the_quote_is_in_the_seed():
    check_quotes(QUOTE)


def _started(sqlite_cli) -> list[dict]:
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    return json.loads(sqlite_cli("loop", "export", LOOP).stdout)["events"]


def _one_to_ones(sqlite_cli, unit: str) -> list[dict]:
    events = json.loads(sqlite_cli("loop", "export", LOOP).stdout)["events"]
    return [e for e in events if e["unit_id"] == unit and e["kind"] == "one_to_one"]


@pytest.fixture
def sink(tmp_path, monkeypatch):
    """The project's own mail sink (aiosmtpd) on a free port, and settings that send to it."""
    from kvalitetsloop.settings import get_settings
    from notifications.mailsink import free_port, start_controller

    port = free_port()
    controller = start_controller(tmp_path / "sent", port=port)
    monkeypatch.setenv("KVALITETSLOOP_SMTP_PORT", str(port))
    monkeypatch.setenv("KVALITETSLOOP_SMTP_TLS", "none")
    get_settings.cache_clear()
    yield tmp_path / "sent"
    controller.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


def _received(folder) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def _calendar(msg) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return part.get_content().replace("\r\n ", "")


def test_an_extra_one_to_one_at_a_given_time_is_invited_to_and_counted(sqlite_cli, sink):
    """dt-004 has six one-to-ones in the first loop-year; the administration adds one on
    2027-06-16 10:00: the export marks it extra, the unit has seven in that loop-year, and the
    next dispatch sends the chief and the leader a REQUEST for it (a real SMTP server)."""
    events = _started(sqlite_cli)
    before = [e for e in events if e["unit_id"] == "dt-004" and e["kind"] == "one_to_one"]
    assert sum(1 for e in before if e["start"] < "2028-04-28") == 6
    out = sqlite_cli("loop", "add-one-to-one", LOOP, "dt-004", "--at", "2027-06-16T10:00", "--now", JUNE).stdout
    assert "Planned 1 extra one-to-one for dt-004" in out
    assert "dt-004 now has 7 one-to-ones in the loop-year 2027-04-28 to 2028-04-27." in out
    (extra,) = [e for e in _one_to_ones(sqlite_cli, "dt-004") if e["uid"] not in {b["uid"] for b in before}]
    assert extra["start"] == "2027-06-16T10:00:00+02:00" and extra["end"] == "2027-06-16T11:30:00+02:00"
    assert extra["details"]["extra"] is True and extra["details"]["after_talk"] == 1
    assert extra["number"] == 13 and extra["status"] == "planned"
    assert {a["role"] for a in extra["attendees"]} == {"chief", "leader"}
    leader = next(a["email"] for a in extra["attendees"] if a["role"] == "leader")

    sqlite_cli("dispatch", "--now", "2027-06-01T10:00:00+02:00")
    about = [m for m in _received(sink) if m["X-Kvalitetsloop-Event"] == extra["uid"]]
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in about) == sorted([CHIEF, leader])
    for m in about:
        ics = _calendar(m)
        assert "METHOD:REQUEST" in ics and f"UID:{extra['uid']}" in ics
        assert "DTSTART;TZID=Europe/Copenhagen:20270616T100000" in ics
        assert "Ekstra 1:1 ledelsesopfølgning for Dagtilbud Skovhøj, ud over de planlagte." in ics.replace("\\,", ",")
    # The status report counts it once held: the planned one of 2027-06-09 and the extra one.
    status = sqlite_cli("report", "status", LOOP, "--now", "2027-06-17T09:00:00+02:00", "--format", "csv").stdout
    (row,) = [line for line in status.splitlines() if line.startswith("Pr. enhed,dt-004,")]
    assert ",2 (6)," in row


def test_extra_one_to_ones_by_count_are_spread_before_the_next_talk(sqlite_cli):
    """--count 2 on 2027-06-01: two extra one-to-ones on working days between tomorrow and 14
    days before talk 2 (2027-09-21), none in the summer holiday, none on a day the unit already
    has a one-to-one, each keeping every rule a moved meeting keeps."""
    _started(sqlite_cli)
    planned_days = {e["start"][:10] for e in _one_to_ones(sqlite_cli, "dt-004")}
    out = sqlite_cli("loop", "add-one-to-one", LOOP, "dt-004", "--count", "2", "--now", JUNE).stdout
    assert "Planned 2 extra one-to-ones for dt-004" in out
    extras = [e for e in _one_to_ones(sqlite_cli, "dt-004") if e["details"].get("extra")]
    days = sorted(e["start"][:10] for e in extras)
    assert len(days) == 2 and days[0] != days[1]
    assert all("2027-06-02" <= d <= "2027-09-07" for d in days)
    assert not [d for d in days if "2027-06-26" <= d <= "2027-08-08"]   # the school summer holiday
    assert not set(days) & planned_days
    assert len({e["uid"] for e in extras}) == 2 and sorted(e["number"] for e in extras) == [13, 14]


@pytest.mark.parametrize("args, message", [
    (("dt-004", "--at", "2027-06-15T10:00"), "chief-01@example.dk has another meeting on 2027-06-15"),
    (("dt-004", "--at", "2027-07-15T10:00"), "2027-07-15 is not a working day for the unit (Sommerferie)"),
    (("dt-004", "--at", "2027-06-12T10:00"), "2027-06-12 is not a working day for the unit (lørdag)"),
    (("dt-004", "--at", "2028-05-25T10:00"), "2028-05-25 is not a working day for the unit (Kristi himmelfartsdag)"),
    (("dt-004", "--at", "2027-06-16T15:00"), "within working hours 08:00-16:00"),
    (("dt-004", "--at", "2027-05-20T11:00"), "has already passed"),
    (("dt-004", "--at", "2027-09-14T10:00"), "at least 14 days from a learning talk (talk 2 is on 2027-09-21)"),
    (("dt-004", "--at", "next week"), "is not an ISO time"),
    (("dt-004",), "give either --at with a time or --count"),
    (("dt-004", "--count", "0"), "--count must be between 1 and 12"),
    (("dt-999", "--count", "1"), "there is no unit 'dt-999'"),
    (("sk-001", "--count", "1"), "takes no part in the loop 0-6-2027-04-28"),
])
def test_an_extra_one_to_one_that_cannot_be_is_refused_and_changes_nothing(sqlite_cli, args, message):
    _started(sqlite_cli)
    before = sqlite_cli("loop", "export", LOOP).stdout
    proc = sqlite_cli("loop", "add-one-to-one", LOOP, *args, "--now", JUNE, check=False)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert sqlite_cli("loop", "export", LOOP).stdout == before


def test_no_extra_one_to_one_in_a_cancelled_loop(sqlite_cli):
    _started(sqlite_cli)
    sqlite_cli("loop", "cancel", LOOP, "--now", JUNE)
    proc = sqlite_cli("loop", "add-one-to-one", LOOP, "dt-004", "--count", "1", "--now", JUNE, check=False)
    assert proc.returncode == 2 and "the loop 0-6-2027-04-28 is cancelled, not running" in proc.stderr
