"""The plan as the framework means it (issue 9): each test names the seed passage it encodes
(000 = the adopted Aarhus framework, 003 = the council minutes with the FU adjustments) or says
that the rule is a default the seeds do not give (docs/framework-sources.md quotes them all)."""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path

import pytest

from cycle.planner import LoopSpec, plan_loop
from cycle.workcalendar import WorkCalendar
from tests.conftest import EXAMPLE_ORG, framework_with
from tests.test_rules_aarhus import check_quotes

D = dt.date.fromisoformat
SEED_QUOTES = {
    "000": [
        "Der laves en oversigt over de lokale fokusområder, som afrapporteres til Børn og Unge-udvalget",
        "Der vil blive afholdt seks 1:1 ledelsesopfølgninger om året – tre opfølgninger mellem hver læringssamtale.",
        "Den første af de fire læringsamtaler finder sted hvert andet år i umiddelbar forlængelse af den politiske drøftelse",
        "Ved afslutning på den to-årige periode samles der systematisk op på det lokale arbejde med fokusområderne",
    ],
    "003": [
        "Der vil være minimum 6 årlige ledelsesopfølgninger mel-",
        "chefen og den lokale leder kan beslutte at afholde flere",
    ],
}
# The three plans of issue 9: the demo, a 6-18 loop and a 0-6 loop with a June council.
PLANS = (("0-6", D("2027-04-28")), ("6-18", D("2028-04-26")), ("0-6", D("2027-06-02")))


def test_cited_quotes_are_in_the_seeds():
    check_quotes(SEED_QUOTES)


@pytest.fixture(scope="module")
def plans(example_org, aarhus, calendar):
    return {(area, council): plan_loop(example_org, aarhus, calendar, LoopSpec(f"{area}-{council}", area, council)).events
            for area, council in PLANS}


def day(e) -> dt.date:
    return e.start.date()


def school_summers(periods) -> list[tuple[dt.date, dt.date]]:
    return [(p.start, p.end) for p in periods if p.calendar == "aarhus-skole" and p.name == "Sommerferie"]
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


# -- 2. The Danish summer ------------------------------------------------------------------------
# No seed passage: the seeds give no summer rule. A default of this system (frameworks/aarhus.yaml
# holidays.summer, docs/framework-sources.md): July is the holiday month for staff, leaders and
# parents; talks, one-to-ones and network meetings avoid the school summer holiday in every sector.

@pytest.mark.parametrize("area, council", PLANS)
def test_no_meeting_in_the_school_summer_holiday_in_any_sector(plans, holiday_periods, area, council):
    summers = school_summers(holiday_periods)
    events = plans[(area, council)]
    meetings = [e for e in events if e.is_meeting]
    assert {e.sector for e in meetings if e.sector} >= ({"dagtilbud"} if area == "0-6" else {"skole", "fu"})
    inside = [(e.title, day(e)) for e in meetings if any(a <= day(e) <= b for a, b in summers)]
    assert inside == []


def test_a_june_council_continues_talk_1_after_the_summer(plans, holiday_periods):
    """[000]: "Den første af de fire læringsamtaler finder sted hvert andet år i umiddelbar
    forlængelse af den politiske drøftelse": with the council on 2027-06-02 the window (1-8 weeks
    after) meets the summer holiday (2027-06-26 to 2027-08-08) and continues after it, for the
    daycares too."""
    talks1 = [e for e in plans[("0-6", D("2027-06-02"))] if e.kind == "learning_talk" and e.number == 1]
    assert len(talks1) == 80
    assert {e.details["window_end"] for e in talks1} == {"2027-09-10"}   # 2027-07-28 + 44 days of summer
    after = [e for e in talks1 if day(e) > D("2027-08-08")]
    before = [e for e in talks1 if day(e) < D("2027-06-26")]
    assert after and before and len(after) + len(before) == 80
    # Talk 2 takes the rest of the autumn, talks 3 and 4 the spring and autumn of 2028.
    talks2 = [e for e in plans[("0-6", D("2027-06-02"))] if e.kind == "learning_talk" and e.number == 2]
    assert all(D("2027-09-11") <= day(e) <= D("2027-12-15") for e in talks2)


def test_a_framework_can_narrow_the_daycares_summer_to_their_closing_weeks(aarhus_data, example_org, holiday_periods):
    """holidays.summer.closing_weeks {dagtilbud: [29, 30]}: daycare meetings avoid only weeks 29
    and 30 (the closing weeks the DOMAIN notes cite for an Aarhus daycare district); the schools
    keep the school summer holiday."""
    fw = framework_with(aarhus_data, holidays__summer={"calendar": "aarhus-skole", "closing_weeks": {"dagtilbud": [29, 30]}})
    cal = WorkCalendar(fw, holiday_periods)
    assert cal.closed_reason(D("2027-07-20"), "dagtilbud") == "Sommerlukning"
    assert cal.is_working_day(D("2027-07-06"), "dagtilbud")
    assert cal.closed_reason(D("2027-07-06"), "skole") == "Sommerferie"
    events = plan_loop(example_org, fw, cal, LoopSpec("x", "0-6", D("2027-06-02"))).events
    meetings = [e for e in events if e.is_meeting and e.sector == "dagtilbud"]
    assert not [e for e in meetings if day(e).isocalendar()[1] in (29, 30) and day(e).year == 2027]
    assert [e for e in meetings if D("2027-06-26") <= day(e) <= D("2027-07-18")]  # weeks 26-28 are open


# -- 3. The committee overview on a committee meeting ---------------------------------------------

@pytest.mark.parametrize("area, council", PLANS)
def test_the_committee_overview_falls_on_a_meeting_of_the_committee(plans, holiday_periods, calendar, area, council):
    """[000]: "Der laves en oversigt over de lokale fokusområder, som afrapporteres til Børn og
    Unge-udvalget": on the first meeting of the committee (frameworks/committees, importable)
    at least 10 working days after the last talk 1, never in July."""
    meetings = sorted(p.start for p in holiday_periods if p.calendar == "aarhus-boern-og-unge-udvalget")
    events = plans[(area, council)]
    (overview,) = [e for e in events if e.kind == "committee_overview"]
    last_first = max(day(e) for e in events if e.kind == "learning_talk" and e.number == 1)
    ready = calendar.add_working_days(last_first, 10)
    assert overview.due_date == min(m for m in meetings if m >= ready)
    assert overview.due_date.month != 7
    assert overview.details["committee_meeting"] == "Møde i Børn og Unge-udvalget"


def test_an_imported_committee_meeting_is_used(sqlite_cli, tmp_path):
    """The committee calendar is data imported like the holidays (calendar,name,start,end): an
    extra meeting on 2027-08-04 takes the demo's overview from 2027-08-11 to that day."""
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    csv = tmp_path / "udvalg.csv"
    csv.write_text("calendar,name,start,end\naarhus-boern-og-unge-udvalget,Ekstra møde i Børn og Unge-udvalget,"
                   "2027-08-04,2027-08-04\n", encoding="utf-8")
    sqlite_cli("holidays", "import", str(csv))
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    events = json.loads(sqlite_cli("loop", "export", "0-6-2027-04-28").stdout)["events"]
    (overview,) = [e for e in events if e["kind"] == "committee_overview"]
    assert overview["start"][:10] == "2027-08-04"


# -- 5. Six one-to-ones in each loop-year --------------------------------------------------------

@pytest.mark.parametrize("area, council", PLANS)
def test_at_least_six_one_to_ones_in_each_loop_year(plans, area, council):
    """[000]: "Der vil blive afholdt seks 1:1 ledelsesopfølgninger om året – tre opfølgninger
    mellem hver læringssamtale."; [003]: "Der vil være minimum 6 årlige ledelsesopfølgninger".
    Loop-years: council date to its anniversary, and on to the next council."""
    events = plans[(area, council)]
    anniversary = council.replace(year=council.year + 1)
    per_unit = collections.defaultdict(lambda: [0, 0])
    gaps = collections.defaultdict(collections.Counter)
    for e in events:
        if e.kind == "one_to_one":
            per_unit[e.unit_id][0 if day(e) < anniversary else 1] += 1
            gaps[e.unit_id][e.details["after_talk"]] += 1
    assert len(per_unit) == (80 if area == "0-6" else 57)
    assert {tuple(v) for v in per_unit.values()} == {(6, 6)}
    # Three between each pair of talks (and after the last), where the talks allow it: here always.
    assert {tuple(sorted(c.items())) for c in gaps.values()} == {((1, 3), (2, 3), (3, 3), (4, 3))}


# -- 7. Every deadline on a working day of its unit's calendar -----------------------------------

@pytest.mark.parametrize("area, council", PLANS)
def test_every_deadline_on_a_working_day_of_its_units_calendar(plans, calendar, area, council):
    """[000]: "Ved afslutning på den to-årige periode samles der systematisk op på det lokale
    arbejde med fokusområderne": the report-back, like every unit's deadline, falls on a day its
    unit works (not a daycare closing day such as 2028-12-29 for the June council)."""
    events = plans[(area, council)]
    deadlines = [e for e in events if e.all_day and e.unit_id]
    assert deadlines
    assert [(e.title, e.due_date) for e in deadlines if not calendar.is_working_day(e.due_date, e.sector)] == []
    report_backs = {e.due_date for e in deadlines if e.kind == "report_back_due"}
    assert D("2028-12-29") not in report_backs


# -- 4. Boards choose a statement or attendance for talks 2-4 ------------------------------------

SELF_OWNED_QUOTE = "For de selvejende dagtilbud gælder det, at bestyrelsen afholder de halvårslige læringsamtaler."
SEED_QUOTES["000"] += [SELF_OWNED_QUOTE,
                       "enten i form af en udtalelse eller ved deltagelse"]


def test_a_self_owned_daycares_board_gets_no_statement_deadlines(plans, example_org):
    """[000]: "For de selvejende dagtilbud gælder det, at bestyrelsen afholder de halvårslige
    læringsamtaler.": the board holds the talks, so it writes no statement for them."""
    units = example_org.by_id()
    events = plans[("0-6", D("2027-04-28"))]
    with_statements = {e.unit_id for e in events if e.kind == "board_statement_due"}
    self_owned = {u for u in with_statements | {e.unit_id for e in events if e.unit_id} if units[u].self_owned}
    assert len(self_owned) == 12 and not (with_statements & self_owned)
    assert len(with_statements) == 68


def test_a_framework_whose_boards_attend_by_default(aarhus_data, example_org, holiday_periods):
    """[000]: "enten i form af en udtalelse eller ved deltagelse": with
    board_statements.default_choice attendance, the boards are invited to talks 2-4 and have no
    statement deadlines."""
    fw = framework_with(aarhus_data, board_statements__default_choice="attendance")
    cal = WorkCalendar(fw, holiday_periods)
    events = plan_loop(example_org, fw, cal, LoopSpec("x", "0-6", D("2027-04-28"))).events
    assert not [e for e in events if e.kind == "board_statement_due"]
    units = example_org.by_id()
    for e in events:
        if e.kind == "learning_talk":
            assert units[e.unit_id].board.email in e.emails(), (e.unit_id, e.number)


def _about(path: Path) -> str | None:
    """The event an email is about (its X-Kvalitetsloop-Event header)."""
    import email

    return email.message_from_bytes(path.read_bytes())["X-Kvalitetsloop-Event"]


def _plain_text(path: Path) -> str:
    import email
    from email import policy

    text = email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    return " ".join(text.split())  # as one line: the template wraps its sentences


def _emails(folder: Path) -> dict[str, list]:
    """The dry run's messages by file name, each with its calendar METHOD (or None)."""
    import email

    out = {}
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        method = None
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_payload(decode=True).decode("utf-8")
                method = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("METHOD:")), None)
        out[path.name] = [method, str(email.header.make_header(email.header.decode_header(msg["Subject"])))]
    return out


def test_a_board_that_attends_gets_the_invitation_and_no_statement_reminders(sqlite_cli, tmp_path):
    """[000]: "På de efterfølgende læringsamtaler kan bestyrelsens perspektiv indgå i
    læringsamtalens refleksioner enten i form af en udtalelse eller ved deltagelse". The board of
    dt-004 chooses attendance for talk 2 (2027-09-21): the talk's invitation goes to it (REQUEST),
    its statement deadline is cancelled and its reminder stops; choosing statement again takes
    it off the talk (CANCEL) and the deadline is due again."""
    loop, board = "0-6-2027-04-28", "bestyrelse-dt-004@example.dk"
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    at = "2027-08-25T09:00:00+02:00"   # 21 days before the statement is due on 2027-09-14
    sqlite_cli("dispatch", "--dry-run", "--now", at, "--out", str(tmp_path / "before"))
    before = _emails(tmp_path / "before")
    assert [n for n in before if "board_statement_reminder" in n and board in n]
    assert not [n for n in before if n.endswith(f"invitation-{board}.eml")]

    out = sqlite_cli("board", "choose", loop, "dt-004", "attendance", "--talk", "2", "--now", at).stdout
    assert "bestyrelse-dt-004@example.dk added to the invitation" in out and "cancelled" in out
    events = json.loads(sqlite_cli("loop", "export", loop).stdout)["events"]
    talk = next(e for e in events if e["unit_id"] == "dt-004" and e["kind"] == "learning_talk" and e["number"] == 2)
    statement = next(e for e in events if e["unit_id"] == "dt-004" and e["kind"] == "board_statement_due" and e["number"] == 2)
    assert talk["details"]["board_choice"] == "attendance" and board in [a["email"] for a in talk["attendees"]]
    assert statement["status"] == "cancelled"
    sqlite_cli("dispatch", "--dry-run", "--now", "2027-08-25T10:00:00+02:00", "--out", str(tmp_path / "after"))
    after = _emails(tmp_path / "after")
    assert not [n for n in after if "board_statement_reminder" in n and board in n]
    (invitation,) = [v for n, v in after.items() if n.endswith(f"invitation-{board}.eml")]
    assert invitation[0] == "REQUEST" and "Læringssamtale 2 af 4" in invitation[1]
    # The same choice again changes nothing.
    again = sqlite_cli("board", "choose", loop, "dt-004", "attendance", "--talk", "2", "--now", at).stdout
    assert "nothing changed" in again

    # The board changes its mind: it writes a statement after all.
    sqlite_cli("board", "choose", loop, "dt-004", "statement", "--talk", "2", "--now", "2027-08-26T09:00:00+02:00")
    events = json.loads(sqlite_cli("loop", "export", loop).stdout)["events"]
    talk = next(e for e in events if e["unit_id"] == "dt-004" and e["kind"] == "learning_talk" and e["number"] == 2)
    statement = next(e for e in events if e["unit_id"] == "dt-004" and e["kind"] == "board_statement_due" and e["number"] == 2)
    assert board not in [a["email"] for a in talk["attendees"]] and talk["details"]["board_choice"] == "statement"
    assert statement["status"] == "planned" and statement["start"][:10] == "2027-09-14" and statement["sequence"] == 2


@pytest.mark.parametrize("args, message", [
    (("dt-004", "attendance", "--talk", "1"), "only for talks 2, 3, 4, not talk 1"),
    (("dt-001", "attendance", "--talk", "2"), "self-owned daycare whose board holds the talks itself"),
    (("dt-004", "maybe", "--talk", "2"), "'statement' or 'attendance', not 'maybe'"),
    (("dt-999", "attendance", "--talk", "2"), "there is no unit 'dt-999'"),
])
def test_a_board_choice_that_cannot_be_is_refused_in_one_sentence(sqlite_cli, args, message):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    before = sqlite_cli("loop", "export", "0-6-2027-04-28").stdout
    proc = sqlite_cli("board", "choose", "0-6-2027-04-28", *args, "--now", EARLY, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert sqlite_cli("loop", "export", "0-6-2027-04-28").stdout == before


def test_a_board_choice_for_a_past_talk_is_refused(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    proc = sqlite_cli("board", "choose", "0-6-2027-04-28", "dt-004", "attendance", "--talk", "2",
                      "--now", "2027-10-01T09:00:00+02:00", check=False)
    assert proc.returncode == 2 and "took place on 2027-09-21" in proc.stderr


# -- 6. FU participants in the framework's words; the youth representative each loop-year --------

SEED_QUOTES["000"] += ["FU-leder • FU-Viceleder • Fritidscenterledere • Ungdomsskolekoordinatorer"]
SEED_QUOTES["003"] += ["Der tilføjes ”afdelingslederrepræsentant”.", "Dvs. 1 årlig læringssamtale."]


def test_an_fu_talk_invites_the_fu_roles_by_their_names(sqlite_cli):
    """[000 table]: "FU-leder • FU-Viceleder • Fritidscenterledere • Ungdomsskolekoordinatorer"
    (the organisation file's leisure_centre_leader_emails and youth_school_coordinator_emails);
    the department-leader representative from [003]: "Der tilføjes ”afdelingslederrepræsentant”.";
    the youth representative at one talk a loop-year [003: "Dvs. 1 årlig læringssamtale."]."""
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "6-18", "--council-date", "2028-04-26", "--now", EARLY)
    ics = sqlite_cli("loop", "export", "6-18-2028-04-26", "--format", "ics").stdout.replace("\r\n ", "")
    talks = [v for v in ics.split("BEGIN:VEVENT")[1:] if "SUMMARY:Læringssamtale" in v and "FU " in v.split("SUMMARY:")[1][:80]]
    assert len(talks) == 12 * 4
    for text in talks:
        participants = text.split("Deltagere:")[1]
        for label in ("(FU-viceleder)", "(fritidscenterleder)", "(ungdomsskolekoordinator)",
                      "(afdelingslederrepræsentant)"):
            assert label in participants
        assert "(pædagogisk leder)" not in participants and "souschef" not in participants
    with_youth = [t for t in talks if "(ungerepræsentant)" in t.split("Deltagere:")[1]]
    assert len(with_youth) == 12 * 2   # one talk in each of the two loop-years


# -- 8. Ad hoc participants ---------------------------------------------------------------------

SEED_QUOTES["000"] += ["Ad hoc deltagere alt efter lokalt fokusområde"]


def test_an_ad_hoc_participant_gets_the_invitation_and_a_cancellation_when_removed(sqlite_cli, tmp_path, monkeypatch):
    """[000 table]: "Ad hoc deltagere alt efter lokalt fokusområde": `event attend UID --add EMAIL
    --name NAME` puts a person on one talk (a REQUEST goes to them); `--remove EMAIL` takes them
    off (a CANCEL goes to them, since their invitation was sent). A re-import of the organisation
    keeps them. Sent for real, to the project's own mail sink (aiosmtpd): a CANCEL goes only to
    whom an invitation went."""
    from kvalitetsloop.settings import get_settings
    from notifications.mailsink import free_port, start_controller

    port = free_port()
    sink = start_controller(tmp_path / "sent", port=port)
    monkeypatch.setenv("KVALITETSLOOP_SMTP_PORT", str(port))
    monkeypatch.setenv("KVALITETSLOOP_SMTP_TLS", "none")
    get_settings.cache_clear()
    try:
        _ad_hoc_participant(sqlite_cli, tmp_path)
    finally:
        sink.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


def _ad_hoc_participant(sqlite_cli, tmp_path) -> None:
    loop, guest = "0-6-2027-04-28", "sprogkonsulent@example.dk"
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    events = json.loads(sqlite_cli("loop", "export", loop).stdout)["events"]
    talk = next(e for e in events if e["unit_id"] == "dt-004" and e["kind"] == "learning_talk" and e["number"] == 2)
    out = sqlite_cli("event", "attend", talk["uid"], "--add", guest, "--name", "Sara Sprog", "--now", EARLY).stdout
    assert f"Added {guest}" in out
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)  # the guest stays
    events = json.loads(sqlite_cli("loop", "export", loop).stdout)["events"]
    talk = next(e for e in events if e["uid"] == talk["uid"])
    assert {"email": guest, "role": "guest", "name": "Sara Sprog"} in talk["attendees"]
    # When the talk's invitations go out (28 days before 2027-09-21), the guest gets one.
    sqlite_cli("dispatch", "--now", "2027-08-25T09:00:00+02:00")
    (invitation,) = [v for n, v in _emails(tmp_path / "sent").items() if n.endswith(f"-{guest}.eml")]
    assert invitation[0] == "REQUEST" and "Læringssamtale 2 af 4" in invitation[1]

    proc = sqlite_cli("event", "attend", talk["uid"], "--add", guest, "--now", EARLY, check=False)
    assert proc.returncode == 2 and "already takes part" in proc.stderr
    leader = next(a["email"] for a in talk["attendees"] if a["role"] == "leader")
    proc = sqlite_cli("event", "attend", talk["uid"], "--remove", leader, "--now", EARLY, check=False)
    assert proc.returncode == 2 and "by the organisation file" in proc.stderr

    # A second guest once the invitations are out: a REQUEST to them, an update to the others
    # [issue 9.8: "sends the new person a REQUEST and the others an update"].
    nurse = "sundhedsplejerske@example.dk"
    sent_before = set(_emails(tmp_path / "sent"))
    sqlite_cli("event", "attend", talk["uid"], "--add", nurse, "--now", "2027-08-25T10:00:00+02:00")
    sqlite_cli("dispatch", "--now", "2027-08-25T11:00:00+02:00")
    new = {n: v for n, v in _emails(tmp_path / "sent").items()
           if n not in sent_before and _about(tmp_path / "sent" / n) == talk["uid"]}
    assert sorted(n.split("-", 1)[1][:-4] for n in new) == sorted([a["email"] for a in talk["attendees"]] + [nurse])
    assert all(method == "REQUEST" for method, _ in new.values())
    assert [subject for n, (_, subject) in new.items() if n.endswith(f"-{nurse}.eml")][0].startswith("Invitation:")
    updates = [n for n, (_, subject) in new.items() if subject.startswith("Opdateret:")]
    assert len(updates) == len(talk["attendees"])
    assert "fordi en ad hoc-deltager er tilføjet" in _plain_text(tmp_path / "sent" / updates[0])

    sqlite_cli("event", "attend", talk["uid"], "--remove", guest, "--now", "2027-08-26T09:00:00+02:00")
    sqlite_cli("dispatch", "--now", "2027-08-26T10:00:00+02:00")
    to_guest = {n: v for n, v in _emails(tmp_path / "sent").items() if n.endswith(f"-{guest}.eml")}
    assert [method for method, _ in to_guest.values()] == ["REQUEST", "REQUEST", "CANCEL"]
    cancel = sorted(to_guest)[-1]
    assert "fordi du er taget af listen over ad hoc-deltagere" in _plain_text(tmp_path / "sent" / cancel)
    events = json.loads(sqlite_cli("loop", "export", loop).stdout)["events"]
    assert guest not in [a["email"] for a in next(e for e in events if e["uid"] == talk["uid"])["attendees"]]


def test_an_ad_hoc_participant_that_cannot_be_is_refused(sqlite_cli):
    sqlite_cli("org", "import", str(EXAMPLE_ORG), "--now", EARLY)
    sqlite_cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", EARLY)
    events = json.loads(sqlite_cli("loop", "export", "0-6-2027-04-28").stdout)["events"]
    deadline = next(e for e in events if e["kind"] == "data_package")
    talk = next(e for e in events if e["kind"] == "learning_talk")
    for args, message in ((("nope", "--add", "a@example.dk"), "there is no event"),
                          ((deadline["uid"], "--add", "a@example.dk"), "is a deadline, not a meeting"),
                          ((talk["uid"], "--add", "not-an-address"), "is not a valid email address"),
                          ((talk["uid"],), "give one person to add or one to remove")):
        proc = sqlite_cli("event", "attend", *args, "--now", EARLY, check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


# -- 8. The talk's outcome goes back to the board -----------------------------------------------

SEED_QUOTES["000"] += ["herunder tilbageløb fra læringsamtaler"]


@pytest.mark.parametrize("area, council", PLANS[:2])
def test_each_talks_followup_form_names_the_board_and_the_day_it_goes_back(plans, example_org, calendar, area, council):
    """[000]: "Bestyrelsen dagsordensætter ... den lokale omsætning af de temaer, som byrådet har
    besluttet, herunder tilbageløb fra læringsamtaler": the planner gives each follow-up form the
    board to send it to and the day, 5 working days after the form is due (frameworks/aarhus.yaml)."""
    units = example_org.by_id()
    forms = [e for e in plans[(area, council)] if e.kind == "followup_form_due"]
    assert len(forms) == 4 * (80 if area == "0-6" else 57)
    for f in forms:
        unit = units[f.unit_id]
        assert f.details["to_board"] == [unit.board.email]
        by = D(f.details["to_board_by"])
        assert calendar.is_working_day(by, unit.sector)
        assert len(calendar.working_days(f.due_date + dt.timedelta(days=1), by, unit.sector)) == 5


# -- docs/framework-sources.md quotes a passage for every Aarhus rule ----------------------------

def _aarhus_rows() -> list[list[str]]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "framework-sources.md").read_text(encoding="utf-8")
    section = text.split("## Aarhus", 1)[1].split("\n## ", 1)[0]
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| key") and not line.startswith("| ---")]


def test_every_aarhus_quote_in_the_docs_is_in_its_seed():
    """Each row's quote is in the seed it names (whitespace as in the seed: a quote across a line
    break or page break of 003 is found once the seed's runs of spaces and newlines are one)."""
    import re

    from tests.test_rules_aarhus import SEED_FILES, _seed_dir

    seeds = _seed_dir()
    if seeds is None:
        pytest.skip("the seed files are not available here")
    flat = {n: " ".join((seeds / f).read_text(encoding="utf-8").split()) for n, f in SEED_FILES.items()}
    rows = _aarhus_rows()
    quoted = 0
    for key, value, quote, seed in rows:
        names = re.findall(r"\b00[013]\b", seed)
        if not names:
            continue  # a default of this system: the row names its source instead of a seed
        for q in re.findall(r'"([^"]+)"', quote):
            assert any(" ".join(q.split()) in flat[n] for n in names), f"{key}: [{seed}] does not contain: {q}"
            quoted += 1
    assert quoted >= 60


def test_every_top_level_key_of_the_aarhus_framework_has_a_row(aarhus_data):
    keys = " ".join(r[0] for r in _aarhus_rows())
    missing = [k for k in aarhus_data if k not in ("name", "version", "sources", "municipality") and f"`{k}" not in keys]
    assert missing == []
