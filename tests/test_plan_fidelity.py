"""The plan as the framework means it (issue 9): each test names the seed passage it encodes
(000 = the adopted Aarhus framework, 003 = the council minutes with the FU adjustments) or says
that the rule is a default the seeds do not give (docs/framework-sources.md quotes them all)."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import EXAMPLE_ORG

D = dt.date.fromisoformat
LATE = "2027-03-01T09:00:00+01:00"   # after the 0-6 loop's theme meetings of December and February
EARLY = "2026-11-02T09:00:00+01:00"  # the demo's start: nothing of the loop lies behind it


# -- 1. Milestones before the loop's start --------------------------------------------------------
# No seed passage: a plan whose meetings lie in the past is a default of this system (issue 9, 1).

def test_a_loop_started_after_its_theme_meetings_is_refused_listing_them(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", LATE)
    proc = sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", LATE, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    message = proc.stderr + proc.stdout
    assert "lie before today (2027-03-01)" in message
    assert "2026-12-09 Fagligt ledernetværk, dagtilbud: temamøde 1 af 2" in message
    assert "2027-02-03 Fagligt ledernetværk, dagtilbud: temamøde 2 af 2" in message
    assert "--past held" in message
    assert "No loop" in sqlite_cli("loop", "list").stdout


def test_past_held_records_them_as_held_and_nothing_is_sent_for_them(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", LATE)
    out = sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", LATE,
                     "--past", "held").stdout
    assert "2 events before today recorded as held" in out
    events = json.loads(sqlite_cli("loop", "export", "0-6-2027-04-28").stdout)["events"]
    held = [e for e in events if e["status"] == "held"]
    assert sorted(e["start"][:10] for e in held) == ["2026-12-09", "2027-02-03"]
    assert all(e["kind"] == "network_meeting" for e in held)
    assert all(e["status"] == "planned" for e in events if e not in held)
    sent = sqlite_cli("dispatch", "--dry-run", "--now", LATE).stdout
    for e in held:
        assert e["uid"] not in sent


def test_the_demo_start_has_nothing_in_the_past(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    events = json.loads(sqlite_cli("loop", "export", "0-6-2027-04-28").stdout)["events"]
    assert min(e["start"][:10] for e in events) >= "2026-11-02"
    assert {e["status"] for e in events} == {"planned"}
