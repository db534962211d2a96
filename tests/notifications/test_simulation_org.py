"""Two years of the demo loop while the organisation changes under it (issue 10, "Done when").

The simulation runs the demo's 0-6 loop day by day from the start to 2029-03-01 with a script:
two units removed and one added (planned in with add-unit) in June 2027, a chief replaced in
September, a board address changed on 1 October, and no dispatch at all from 11 October to
9 November 2027. The test then counts, on its own from the final plan and the mail the SMTP sink
received, what every person should have got: each current attendee of each meeting whose time
to be announced has come has its invitation at the meeting's last sequence (or it is listed as
skipped, for a meeting held while no dispatch ran); each cancelled meeting is cancelled to
exactly those who were invited; each person taken off a meeting gets its cancellation; nothing
twice; every data package is ordered, late after the pause ("bestilt for sent"), or listed."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
from collections import Counter, defaultdict
from email.header import decode_header, make_header
from email.utils import parseaddr, parsedate_to_datetime

import pytest
import sqlalchemy as sa
import yaml

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases
from storage.db import engine_for
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, Cli
from tests.notifications.conftest import CPH, START
from tests.notifications.test_org_changes import _calendar  # METHOD, UID and SEQUENCE of an invitation

LOOP = "0-6-2027-04-28"
LEAD = dt.timedelta(days=28)
END = dt.datetime(2029, 3, 1, 16, 0, tzinfo=CPH)
REMOVED = ("dt-001", "dt-002")
REMOVED_AT = dt.datetime(2027, 6, 1, 10, 0, tzinfo=CPH)
NEW_CHIEF, CHIEF_UNIT, CHIEF_AT = "ny.chef@example.dk", "dt-020", dt.datetime(2027, 9, 15, 10, 0, tzinfo=CPH)
NEW_BOARD, BOARD_UNIT, BOARD_AT = "ny-bestyrelse-dt-030@example.dk", "dt-030", dt.datetime(2027, 10, 1, 10, 0, tzinfo=CPH)
PAUSE = (dt.date(2027, 10, 11), dt.date(2027, 11, 9))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("simorg")
    url = f"sqlite:///{tmp / 'aarhus.sqlite'}"
    org_cases.import_organisation(uow_for(url), EXAMPLE_ORG.read_text(encoding="utf-8"), START)
    loop_cases.start_loop(uow_for(url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), START, past="held")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(EXAMPLE_ORG.read_text(encoding="utf-8")))}
    old_chief, old_board = rows[CHIEF_UNIT]["chief_email"], rows[BOARD_UNIT]["board_email"]
    template = rows["dt-010"]
    new_unit = {"id": "dt-900", "name": "Dagtilbud Nyhaven", "sector": "dagtilbud",
                "chief_email": template["chief_email"], "chief_name": template["chief_name"],
                "leader_name": "Nanna Nyhave", "leader_email": "nanna.nyhave@example.dk",
                "board_email": "bestyrelse-dt-900@example.dk", "employee_rep_emails": "tr-dt-900@example.dk"}
    script = {
        "defaults": {"board_statement": -2, "followup_form": -7, "data_package_ready": 0, "supervision_report": -3,
                     "report_back": -5},
        "organisation": [
            {"at": REMOVED_AT.isoformat(), "remove": list(REMOVED)},
            {"at": (REMOVED_AT + dt.timedelta(minutes=30)).isoformat(), "add": new_unit, "plan": True},
            {"at": CHIEF_AT.isoformat(), "change": {CHIEF_UNIT: {"chief_email": NEW_CHIEF, "chief_name": "Ny Chef"}}},
            {"at": BOARD_AT.isoformat(), "change": {BOARD_UNIT: {"board_email": NEW_BOARD}}},
        ],
        "pauses": [{"from": PAUSE[0].isoformat(), "to": PAUSE[1].isoformat()}],
    }
    path = tmp / "script.yaml"
    path.write_text(yaml.safe_dump(script, allow_unicode=True), encoding="utf-8")
    sink = tmp / "mail"
    out = Cli(url, tmp)("simulate", LOOP, "--from", "2027-03-01", "--to", END.date().isoformat(), "--sink", str(sink),
                        "--script", str(path))
    mails = [email.message_from_bytes(p.read_bytes()) for p in sorted(sink.glob("*.eml"))]
    events = loop_cases.view_loop(uow_for(url), LOOP).events
    with engine_for(url).connect() as c:
        outbox = [dict(r._mapping) for r in c.execute(sa.text(
            "select event_uid, recipient, kind, method, status, last_error, key from outbox"))]
    return dict(out=out.stdout, mails=mails, events=events, outbox=outbox, old_chief=old_chief, old_board=old_board)


def _when(msg) -> dt.datetime:
    return parsedate_to_datetime(msg["Date"]).astimezone(CPH)




def _invitations(mails) -> list[tuple[str, str, int, str, dt.datetime]]:
    out = []
    for m in mails:
        if m["X-Kvalitetsloop-Kind"] == "invitation":
            c = _calendar(m)
            out.append((c["UID"], c["METHOD"], int(c["SEQUENCE"]), parseaddr(m["To"])[1], _when(m)))
    return out


def test_the_simulation_applied_the_changes_and_counted_what_it_sent(simulated):
    assert "4 organisation changes" in simulated["out"]
    assert f"{len(simulated['mails'])} emails in" in simulated["out"]
    assert not [m for m in simulated["mails"] if PAUSE[0] <= _when(m).date() <= PAUSE[1]]


def test_no_invitation_goes_twice(simulated):
    seen = Counter((u, m, s, to) for u, m, s, to, _ in _invitations(simulated["mails"]))
    assert [k for k, n in seen.items() if n > 1] == []


def test_every_attendee_of_every_announced_meeting_has_its_last_invitation(simulated):
    got = {(u, m, s, to) for u, m, s, to, _ in _invitations(simulated["mails"])}
    skipped = {(r["event_uid"], r["recipient"]) for r in simulated["outbox"]
               if r["kind"] == "invitation" and r["status"] == "skipped"}
    checked = 0
    for e in simulated["events"]:
        if not e.is_meeting or e.status == "cancelled" or e.start <= START:
            continue
        created = REMOVED_AT if e.unit_id == "dt-900" else START
        if max(created, e.start - LEAD) > END:
            continue  # its time to be announced has not come within the simulation
        for a in e.attendees:
            checked += 1
            if (e.uid, "REQUEST", e.sequence, a.email) in got:
                continue
            # Only a meeting held during the month without dispatch may have gone unannounced, and
            # then it is listed as skipped.
            assert PAUSE[0] <= e.start.astimezone(CPH).date() <= PAUSE[1] + dt.timedelta(days=1), (e.title, a.email)
            assert (e.uid, a.email) in skipped, (e.title, a.email)
    assert checked > 3000


def test_each_cancelled_meeting_is_cancelled_to_exactly_those_invited(simulated):
    invs = _invitations(simulated["mails"])
    requested, cancelled = defaultdict(set), defaultdict(set)
    for u, m, s, to, _ in invs:
        (requested if m == "REQUEST" else cancelled)[u].add(to)
    gone = [e for e in simulated["events"] if e.is_meeting and e.status == "cancelled"]
    assert {e.unit_id for e in gone} == set(REMOVED)
    announced = 0
    for e in gone:
        assert cancelled[e.uid] == requested[e.uid], e.title
        announced += bool(requested[e.uid])
    assert announced >= 2  # their talk 1 had been announced before they were removed
    # Nothing else about a removed unit after its removal.
    later = [m for m in simulated["mails"] if _when(m) > REMOVED_AT
             and m["X-Kvalitetsloop-Event"] in {e.uid for e in simulated["events"] if e.unit_id in REMOVED}]
    assert all(m["X-Kvalitetsloop-Kind"] == "invitation" and _calendar(m)["METHOD"] == "CANCEL" for m in later)


def test_a_replaced_chief_is_taken_off_and_everyone_else_updated(simulated):
    invs = _invitations(simulated["mails"])
    old = simulated["old_chief"]
    requested = defaultdict(set)
    for u, m, s, to, _ in invs:
        if m == "REQUEST":
            requested[u].add(to)
    live = {e.uid: e for e in simulated["events"] if e.is_meeting and e.status != "cancelled"}
    # Everyone who was invited to a live meeting and is no longer on it got its cancellation.
    for uid, who in requested.items():
        e = live.get(uid)
        if e is None:
            continue
        for to in who - e.emails():
            assert (uid, "CANCEL", to) in {(u, m, t) for u, m, _, t, _ in invs}, (e.title, to)
    moved = [e for e in live.values() if e.unit_id == CHIEF_UNIT and e.start > CHIEF_AT]
    announced_before = [e for e in moved if e.start - LEAD < CHIEF_AT]
    assert moved and announced_before
    for e in moved:
        assert NEW_CHIEF in e.emails() and old not in e.emails() and e.sequence == 1
    for e in announced_before:
        assert (e.uid, "CANCEL", old) in {(u, m, t) for u, m, _, t, _ in invs}
        for a in e.attendees:  # the update: the new sequence to everyone, the new chief included
            assert (e.uid, "REQUEST", 1, a.email) in {(u, m, s, t) for u, m, s, t, _ in invs}


def test_the_new_board_address_gets_the_reminders_after_the_change(simulated):
    reminders = [m for m in simulated["mails"] if m["X-Kvalitetsloop-Kind"] == "board_statement_reminder"
                 and m["X-Kvalitetsloop-Event"] in {e.uid for e in simulated["events"] if e.unit_id == BOARD_UNIT}]
    after = [parseaddr(m["To"])[1] for m in reminders if _when(m) > BOARD_AT]
    assert after and set(after) == {NEW_BOARD}
    assert {parseaddr(m["To"])[1] for m in reminders if _when(m) < BOARD_AT} <= {simulated["old_board"]}


def test_the_added_unit_runs_its_loop(simulated):
    mine = [e for e in simulated["events"] if e.unit_id == "dt-900"]
    assert sorted(e.number for e in mine if e.kind == "learning_talk") == [1, 2, 3, 4]
    kinds = Counter(m["X-Kvalitetsloop-Kind"] for m in simulated["mails"]
                    if m["X-Kvalitetsloop-Event"] in {e.uid for e in mine})
    assert kinds["invitation"] >= 4 * 4 and kinds["followup_form_reminder"] and kinds["board_statement_reminder"]


def test_every_data_package_is_ordered_late_after_the_month_without_dispatch_or_listed(simulated):
    listed = defaultdict(list)
    for m in simulated["mails"]:
        if m["X-Kvalitetsloop-Kind"] != "data_package_trigger":
            continue
        body = next(p for p in m.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
        for line in body.splitlines():
            if line.startswith("- ") and "datapakke" in line:
                unit = line.split("(")[1].split(",")[0]
                subject = str(make_header(decode_header(m["Subject"])))  # compat32 leaves it encoded
                listed[(unit, int(line.split("datapakke ")[1].split(",")[0]))].append(subject)
    skipped = {r["event_uid"] for r in simulated["outbox"] if r["kind"] == "data_package_trigger"
               and r["status"] == "skipped"}
    in_pause = 0
    for e in simulated["events"]:
        if e.kind != "data_package" or e.status == "cancelled":
            continue
        trigger = dt.date.fromisoformat(e.details["trigger_date"])
        if trigger > END.date() or e.start <= START:
            continue
        subjects = listed.get((e.unit_id, e.number))
        assert subjects or e.uid in skipped, (e.unit_id, e.number)
        if subjects and PAUSE[0] <= trigger <= PAUSE[1]:
            in_pause += 1
            assert all("bestilt for sent" in s for s in subjects), subjects
    assert in_pause > 0
