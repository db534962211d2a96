"""cycle.due: what is due when, decided by a pure function from the plan, its history and what arrived."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from cycle.due import Change, DueConfig, LoopState, Submission, UnitFacts, due_actions
from cycle.organisation import parse_organisation
from cycle.planner import LoopSpec, plan_loop
from tests.notifications.conftest import CPH, LOOP_ID, START, at, small_org_csv

CONFIG = DueConfig(data_team="data@aarhus.example.dk")


@pytest.fixture(scope="module")
def plan(aarhus, calendar):
    org = parse_organisation(small_org_csv())
    events = plan_loop(org, aarhus, calendar, LoopSpec(LOOP_ID, "0-6", dt.date(2027, 4, 28))).events
    units = {u.id: UnitFacts(u.id, u.name, u.sector, u.chief.email, u.chief.name, u.self_owned, u.special_needs)
             for u in org.units}
    return events, units


def state(aarhus, events, changes=()):
    created = [Change(i, e.uid, 0, "created", {}, START) for i, e in enumerate(events)]
    return LoopState(LOOP_ID, "0-6", aarhus, events, created + list(changes), START)


def due(aarhus, plan, now, changes=(), subs=(), events=None):
    evs, units = plan
    return due_actions([state(aarhus, events or evs, changes)], units, subs, now, CONFIG)


def first(events, kind, number=None, unit=None):
    return next(e for e in events if e.kind == kind and (number is None or e.number == number)
                and (unit is None or e.unit_id == unit))


def day_of(e):
    return e.start.astimezone(CPH).date()


def morning(day, days=0):
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(8, 0), CPH)


def of_kind(actions, kind, uid=None):
    return [a for a in actions if a.kind == kind and (uid is None or a.event_uid == uid)]


def test_board_statement_reminders_follow_the_offsets_and_stop_when_it_arrives(aarhus, plan):
    bs = first(plan[0], "board_statement_due", 2)
    d = day_of(bs)
    assert not of_kind(due(aarhus, plan, morning(d, -21) - dt.timedelta(minutes=1)), "board_statement_reminder", bs.uid)
    keys = []
    for offset in (21, 10, 3):
        acts = of_kind(due(aarhus, plan, morning(d, -offset)), "board_statement_reminder", bs.uid)
        assert len(acts) == 1 and acts[0].context["days_before"] == offset
        assert acts[0].recipients == tuple(a.email for a in bs.attendees if a.role == "board")
        assert acts[0].auto_submitted and acts[0].context["link"]["purpose"] == "board_statement"
        keys.append(acts[0].key)
        # a day later the same step is still the one due (same key: sent once)
        later = of_kind(due(aarhus, plan, morning(d, -offset + 1)), "board_statement_reminder", bs.uid)
        assert [a.key for a in later] == [acts[0].key]
    assert len(set(keys)) == 3
    sub = Submission(bs.uid, "board_statement", morning(d, -12))
    assert not of_kind(due(aarhus, plan, morning(d, -10), subs=[sub]), "board_statement_reminder", bs.uid)
    end_of_day = dt.datetime.combine(d, dt.time(16, 0), CPH)
    assert not of_kind(due(aarhus, plan, end_of_day, subs=[sub]), "board_statement_escalation", bs.uid)


def test_a_missing_statement_is_escalated_to_leader_and_chief_at_the_end_of_its_due_date(aarhus, plan):
    bs = first(plan[0], "board_statement_due", 3)
    d = day_of(bs)
    before = dt.datetime.combine(d, dt.time(15, 59), CPH)
    assert not of_kind(due(aarhus, plan, before), "board_statement_escalation", bs.uid)
    acts = of_kind(due(aarhus, plan, dt.datetime.combine(d, dt.time(16, 0), CPH)), "board_statement_escalation", bs.uid)
    assert len(acts) == 1
    roles = {a.email: a.role for a in bs.attendees}
    assert sorted(roles[r] for r in acts[0].recipients) == ["chief", "leader"]
    # no reminder to the board after the deadline has passed
    assert not of_kind(due(aarhus, plan, morning(d, 1)), "board_statement_reminder", bs.uid)
    # a statement arriving late ends it
    late = Submission(bs.uid, "board_statement", morning(d, 1))
    assert not of_kind(due(aarhus, plan, morning(d, 2), subs=[late]), "board_statement_escalation", bs.uid)


def test_invitation_opens_at_the_lead_time_and_keeps_its_key(aarhus, plan):
    talk = first(plan[0], "learning_talk", 1)
    opens = talk.start - dt.timedelta(days=aarhus.invitations.lead_days)
    assert not of_kind(due(aarhus, plan, opens - dt.timedelta(minutes=1)), "invitation", talk.uid)
    acts = of_kind(due(aarhus, plan, opens), "invitation", talk.uid)
    assert len(acts) == 1
    a = acts[0]
    assert a.method == "REQUEST" and a.context["reason"] == "created" and not a.auto_submitted
    assert set(a.recipients) == {x.email for x in talk.attendees}
    again = of_kind(due(aarhus, plan, opens + dt.timedelta(days=5)), "invitation", talk.uid)
    assert [x.key for x in again] == [a.key]
    assert not of_kind(due(aarhus, plan, talk.start), "invitation", talk.uid)  # never for a meeting under way


def test_a_move_after_the_invitation_sends_an_update_at_the_next_sequence(aarhus, plan):
    evs, _ = plan
    talk = first(evs, "learning_talk", 2)
    opens = talk.start - dt.timedelta(days=28)
    moved_at = opens + dt.timedelta(days=2)
    new_start = talk.start + dt.timedelta(days=7)
    moved = talk.with_changes(start=new_start, end=new_start + (talk.end - talk.start), sequence=1, status="moved")
    events = [moved if e.uid == talk.uid else e for e in evs]
    change = Change(10_000, talk.uid, 1, "moved", {"start": new_start.isoformat(),
                                                   "previous_start": talk.start.isoformat()}, moved_at)
    before = of_kind(due(aarhus, plan, moved_at - dt.timedelta(hours=1)), "invitation", talk.uid)
    assert [a.context["sequence"] for a in before] == [0]
    after = of_kind(due(aarhus, plan, moved_at, [change], events=events), "invitation", talk.uid)
    assert [(a.method, a.context["sequence"], a.context["reason"]) for a in after] == [("REQUEST", 1, "moved")]
    assert after[0].key != before[0].key

    cancelled_at = moved_at + dt.timedelta(days=1)
    gone = moved.with_changes(sequence=2, status="cancelled")
    events2 = [gone if e.uid == talk.uid else e for e in evs]
    cancel = Change(10_001, talk.uid, 2, "cancelled", {}, cancelled_at)
    acts = of_kind(due(aarhus, plan, cancelled_at, [change, cancel], events=events2), "invitation", talk.uid)
    assert [(a.method, a.context["sequence"]) for a in acts] == [("CANCEL", 2)]


def test_a_meeting_moved_before_its_window_is_invited_once_at_its_new_time(aarhus, plan):
    evs, _ = plan
    talk = first(evs, "learning_talk", 3)
    new_start = talk.start + dt.timedelta(days=14)
    moved = talk.with_changes(start=new_start, end=new_start + (talk.end - talk.start), sequence=1, status="moved")
    change = Change(10_000, talk.uid, 1, "moved", {"start": new_start.isoformat(),
                                                   "previous_start": talk.start.isoformat()}, START + dt.timedelta(days=1))
    events = [moved if e.uid == talk.uid else e for e in evs]
    assert not of_kind(due(aarhus, plan, talk.start - dt.timedelta(days=27), [change], events=events), "invitation", talk.uid)
    acts = of_kind(due(aarhus, plan, new_start - dt.timedelta(days=28), [change], events=events), "invitation", talk.uid)
    assert [(a.context["sequence"], a.context["reason"]) for a in acts] == [(1, "created")]


def test_people_taken_off_get_a_cancel_and_people_added_a_request(aarhus, plan):
    evs, _ = plan
    talk = first(evs, "learning_talk", 2)
    opens = talk.start - dt.timedelta(days=28)
    old = next(a for a in talk.attendees if a.role == "employee_rep")
    from cycle.events import Attendee

    new = Attendee("ny.repr@example.dk", "employee_rep", "Ny Repræsentant")
    changed = talk.with_changes(attendees=tuple(a for a in talk.attendees if a != old) + (new,))
    events = [changed if e.uid == talk.uid else e for e in evs]
    when = opens + dt.timedelta(days=3)
    ch = Change(10_000, talk.uid, 0, "attendees", {"removed": [old.email], "added": [new.email]}, when)
    acts = of_kind(due(aarhus, plan, when, [ch], events=events), "invitation", talk.uid)
    by = {(a.method, a.context["reason"]): a for a in acts}
    assert by[("CANCEL", "removed")].recipients == (old.email,)
    assert by[("REQUEST", "added")].recipients == (new.email,)
    unchanged = by[("REQUEST", "created")]
    assert old.email not in unchanged.recipients and new.email not in unchanged.recipients
    # the unchanged attendees' key is the one they had before the change: no second invitation
    before = of_kind(due(aarhus, plan, opens, events=evs), "invitation", talk.uid)
    assert unchanged.key == before[0].key


def test_data_package_triggers_leave_on_their_trigger_day_in_one_email_per_day(aarhus, plan):
    evs, _ = plan
    packages = [e for e in evs if e.kind == "data_package" and e.number == 2]
    days = sorted({e.details["trigger_date"] for e in packages})
    day = dt.date.fromisoformat(days[0])
    assert not of_kind(due(aarhus, plan, morning(day) - dt.timedelta(minutes=1)), "data_package_trigger")
    acts = of_kind(due(aarhus, plan, morning(day)), "data_package_trigger")
    assert len(acts) == 1 and acts[0].recipients == ("data@aarhus.example.dk",)
    listed = {p["uid"] for p in acts[0].context["packages"]}
    assert listed == {e.uid for e in packages if e.details["trigger_date"] == days[0]}
    ready = [Submission(uid, "data_package_ready", morning(day, 1)) for uid in listed]
    notes = of_kind(due(aarhus, plan, morning(day, 1), subs=ready), "data_package_ready")
    assert {a.event_uid for a in notes} == listed
    assert all({"leader", "board"} >= {r.role for r in first(evs, "data_package", unit=None).attendees} for _ in notes)


def test_followup_form_reminders_every_three_days_after_the_talk_until_recorded(aarhus, plan):
    evs, _ = plan
    form = first(evs, "followup_form_due", 1)
    talk = next(e for e in evs if e.uid == form.parent_uid)
    t = day_of(talk)
    seen = []
    for days in range(0, 40):
        for a in of_kind(due(aarhus, plan, morning(t, days)), "followup_form_reminder", form.uid):
            if a.key not in seen:
                seen.append(a.key)
    offsets = [int(k.split("|")[-1]) for k in seen]
    assert offsets[0] == 1 and all(b - a == 3 for a, b in zip(offsets, offsets[1:]))
    assert day_of(form) + dt.timedelta(days=14) >= t + dt.timedelta(days=offsets[-1])
    sub = [Submission(form.uid, "followup_form", morning(t, 2))]
    assert not of_kind(due(aarhus, plan, morning(t, 4), subs=sub), "followup_form_reminder", form.uid)


def test_weekly_digest_on_monday_for_each_chief_with_meetings_or_missing_items(aarhus, plan):
    evs, units = plan
    talk = first(evs, "learning_talk", 1)
    d = day_of(talk)
    monday = d - dt.timedelta(days=d.weekday())
    acts = of_kind(due(aarhus, plan, morning(monday)), "weekly_digest")
    chiefs = {u.chief_email for u in units.values() if u.sector == "dagtilbud"}
    assert {a.recipients[0] for a in acts} <= chiefs and acts
    mine = next(a for a in acts if a.recipients[0] == next(x.email for x in talk.attendees if x.role == "chief"))
    assert any(m["title"] == talk.title for m in mine.context["meetings"])
    assert not of_kind(due(aarhus, plan, morning(monday) - dt.timedelta(minutes=1)), "weekly_digest")


def test_the_decision_is_pure(aarhus, plan):
    now = at("2027-08-20T10:00")
    assert due(aarhus, plan, now) == due(aarhus, plan, now)
    tree = ast.parse(Path("cycle/due.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
               {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert all(m.split(".")[0] not in {"storage", "notifications", "calendars", "smtplib", "yagmail", "sqlalchemy",
                                       "sqlmodel", "kvalitetsloop", "os", "pathlib"} for m in imported), imported
