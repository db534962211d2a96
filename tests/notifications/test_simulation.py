"""The whole two-year Aarhus 0-6 loop (80 daycares of the 137-unit example) run day by day in
simulated time into a mail sink, with scripted boards: reminders stop when a statement arrives,
escalations fire when it does not, triggers leave at their lead time, invitations once per sequence."""

from __future__ import annotations

import datetime as dt
import email
from collections import Counter, defaultdict
from email.utils import parseaddr, parsedate_to_datetime

import pytest
import yaml

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for

from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, Cli
from tests.notifications.conftest import CPH, START

LOOP = "0-6-2027-04-28"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sim")
    url = f"sqlite:///{tmp / 'aarhus.sqlite'}"
    org_cases.import_organisation(uow_for(url), EXAMPLE_ORG.read_text(encoding="utf-8"), START)
    loop_cases.start_loop(uow_for(url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), START, past="held")
    plan = loop_cases.view_loop(uow_for(url), LOOP).events
    units = sorted({e.unit_id for e in plan if e.kind == "board_statement_due"})
    never, early, late = units[0:4], units[4:8], units[8:12]
    # One talk is moved ten days before it, after its invitation went out.
    moved_talk = next(e for e in plan if e.kind == "learning_talk" and e.number == 2 and e.unit_id == units[20])
    move_at = moved_talk.start - dt.timedelta(days=10)
    script = {
        "defaults": {"board_statement": -1, "followup_form": -8, "data_package_ready": 0, "supervision_report": -3,
                     "report_back": -3},
        "units": {**{u: {"board_statement": None} for u in never},
                  **{u: {"board_statement": -12} for u in early},
                  **{u: {"board_statement": {3: 2}} for u in late}},
        "moves": [{"at": move_at.isoformat(), "unit": units[20], "number": 2,
                   "start": (moved_talk.start + dt.timedelta(days=7)).isoformat()}],
    }
    path = tmp / "script.yaml"
    path.write_text(yaml.safe_dump(script, allow_unicode=True), encoding="utf-8")
    sink = tmp / "mail"
    out = Cli(url, tmp)("simulate", LOOP, "--from", "2027-03-01", "--to", "2029-03-01", "--sink", str(sink),
                        "--script", str(path))
    # compat32 parsing: the default policy would take longer than the simulation itself
    mails = [email.message_from_bytes(p.read_bytes()) for p in sorted(sink.glob("*.eml"))]
    events = loop_cases.view_loop(uow_for(url), LOOP).events
    return dict(url=url, out=out.stdout, mails=mails, events=events, never=never, early=early, late=late,
                moved=moved_talk.uid, move_at=move_at)


def _local_day(msg) -> dt.date:
    return parsedate_to_datetime(msg["Date"]).astimezone(CPH).date()


def _to(msg) -> str:
    return parseaddr(msg["To"])[1]


def _part(msg, content_type: str):
    return next(p for p in msg.walk() if p.get_content_type() == content_type)


def _text(msg) -> str:
    return _part(msg, "text/plain").get_payload(decode=True).decode("utf-8")


def _kind(msgs, kind):
    return [m for m in msgs if m["X-Kvalitetsloop-Kind"] == kind]


def test_the_simulation_prints_two_years_of_weeks(simulated):
    assert "Sent per week" in simulated["out"] and "2027-W" in simulated["out"] and "2029-W" in simulated["out"]


def test_each_board_gets_the_configured_reminders_until_it_submits_and_an_escalation_when_it_does_not(simulated):
    mails, events = simulated["mails"], simulated["events"]
    reminders = defaultdict(list)
    for m in _kind(mails, "board_statement_reminder"):
        reminders[m["X-Kvalitetsloop-Event"]].append((_local_day(m), _to(m)))
    escalations = defaultdict(list)
    for m in _kind(mails, "board_statement_escalation"):
        escalations[m["X-Kvalitetsloop-Event"]].append((_local_day(m), _to(m)))
    statements = [e for e in events if e.kind == "board_statement_due" and e.status != "cancelled"]
    # Talks 2-4 of the 68 units whose board writes statements; the 12 self-owned daycares' boards
    # hold the talks themselves and write none [000] (issue 9).
    assert len(statements) == 3 * 68
    moved_parent = simulated["moved"]
    for e in statements:
        if e.parent_uid == moved_parent:
            continue  # its deadline moved: its reminders start again at the new dates (checked in test_due)
        due = e.start.astimezone(CPH).date()
        offset = None if e.unit_id in simulated["never"] else -12 if e.unit_id in simulated["early"] \
            else 2 if (e.unit_id in simulated["late"] and e.number == 3) else -1
        submitted = None if offset is None else due + dt.timedelta(days=offset)
        board = next(a.email for a in e.attendees if a.role == "board")
        want = sorted(due - dt.timedelta(days=d) for d in (21, 10, 3)
                      if submitted is None or due - dt.timedelta(days=d) < submitted)
        got = sorted(reminders.get(e.uid, []))
        assert got == [(d, board) for d in want], (e.unit_id, e.number, got, want)
        leader_chief = sorted(a.email for a in e.attendees if a.role in ("leader", "chief"))
        if submitted is None or submitted > due:
            assert sorted(escalations.get(e.uid, [])) == [(due, x) for x in leader_chief], (e.unit_id, e.number)
        else:
            assert e.uid not in escalations


def test_each_data_package_trigger_leaves_at_its_lead_time(simulated):
    listed = defaultdict(list)
    for m in _kind(simulated["mails"], "data_package_trigger"):
        body = _text(m)
        for line in body.splitlines():
            if line.startswith("- ") and "datapakke" in line:
                unit = line.split("(")[1].split(",")[0]
                number = int(line.split("datapakke ")[1].split(",")[0])
                listed[(unit, number)].append(_local_day(m))
    packages = [e for e in simulated["events"] if e.kind == "data_package" and e.status != "cancelled"]
    assert len(packages) == 320
    moved_parent = simulated["moved"]
    for p in packages:
        days = listed[(p.unit_id, p.number)]
        planned = dt.date.fromisoformat(p.details["trigger_date"])
        if p.parent_uid == moved_parent:
            # requested once before its talk moved (it was ready when the talk moved: no new request)
            assert len(days) == 1 and days[0] < simulated["move_at"].astimezone(CPH).date()
            continue
        assert days == [planned], (p.unit_id, p.number, days, planned)


def _ics_fields(ics: str) -> dict[str, str]:
    """UID, SEQUENCE, METHOD and DTSTART of a one-event calendar (unfolded), without a full parse."""
    lines = ics.replace("\r\n ", "").splitlines()
    out = {}
    in_event = False
    for line in lines:
        in_event = in_event or line == "BEGIN:VEVENT"
        name, _, value = line.partition(":")
        if name == "DTSTART" or name.startswith("DTSTART;"):
            if not in_event:
                continue  # the VTIMEZONE's own DTSTART
        key = name.split(";")[0]
        if key in ("UID", "SEQUENCE", "METHOD", "DTSTART") and key not in out:
            out[key] = value
            if key == "DTSTART":
                out["TZID"] = name.split("TZID=")[1] if "TZID=" in name else ""
    return out


def test_each_invitation_goes_once_per_sequence_inside_the_lead_time(simulated):
    seen = Counter()
    for m in _kind(simulated["mails"], "invitation"):
        part = _part(m, "text/calendar")
        f = _ics_fields(part.get_payload(decode=True).decode("utf-8"))
        uid, seq, method = f["UID"], int(f["SEQUENCE"]), f["METHOD"]
        seen[(uid, seq, method, _to(m))] += 1
        assert part.get_param("method") == method
        if method == "REQUEST":
            sent = parsedate_to_datetime(m["Date"])
            start = dt.datetime.strptime(f["DTSTART"].rstrip("Z"), "%Y%m%dT%H%M%S")
            start = start.replace(tzinfo=CPH if f["TZID"] else dt.timezone.utc)
            assert start - dt.timedelta(days=28, hours=16) <= sent < start, (uid, sent, start)
    assert seen and max(seen.values()) == 1
    moved = [k for k in seen if k[0] == simulated["moved"]]
    assert {k[1] for k in moved} == {0, 1}  # the original and the update, each once per person
    talks = [e for e in simulated["events"] if e.kind in ("learning_talk", "one_to_one")
             and e.start > START + dt.timedelta(days=28)]
    invited = {k[0] for k in seen}
    assert all(e.uid in invited for e in talks)
