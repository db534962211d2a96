"""`replies fetch` against a real Dovecot (TLS) holding replies shaped as Outlook, Gmail and Apple
send them, for invitations the loop really sent to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
import sqlalchemy as sa

from storage.db import engine_for
from tests.conftest import Cli
from tests.notifications.conftest import CPH, at, settings_for
from tests.replies import messages as m

# Talk 1 invitations of the small loop go out on this day (tests/notifications).
FIRST = at("2027-04-09T09:00")
LATER = at("2027-04-14T10:30")
ORGANISER = "kvalitet@aarhus.example.dk"


@pytest.fixture
def env(monkeypatch, mailbox, smtp):
    """The command line pointed at the test's mailbox and SMTP server."""
    from kvalitetsloop.settings import get_settings

    for k, v in mailbox.env().items():
        monkeypatch.setenv(k, v)
    for k, v in {"SMTP_PORT": smtp.port, "SMTP_TLS": "none", "SMTP_PASSWORD": "", "ORGANISER": ORGANISER,
                 "SENDER": "kvalitetsloop@aarhus.example.dk", "BASE_URL": "https://kvalitet.aarhus.example.dk"}.items():
        monkeypatch.setenv(f"KVALITETSLOOP_{k}", str(v))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def invited(small_loop, smtp, tmp_path, env):
    """The small loop after its first dispatch: talk 1 invitations sent to the SMTP server."""
    cli = Cli(small_loop, tmp_path)
    cli("dispatch", "--now", FIRST.isoformat())
    assert any(r.message["X-Kvalitetsloop-Kind"] == "invitation" for r in smtp.messages)
    return cli


def _talk(url: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """A learning talk whose invitation was sent, and its attendees: email -> (role, name)."""
    with engine_for(url).connect() as c:
        uid = c.execute(sa.text("select e.uid from event e join outbox o on o.event_uid = e.uid "
                                "where e.kind = 'learning_talk' and o.kind = 'invitation' and o.status = 'sent' "
                                "order by e.start, e.uid limit 1")).scalar()
        rows = c.execute(sa.text("select a.email, a.role, a.name from attendee a join event e on e.id = a.event_id "
                                 "where e.uid = :u and a.active"), {"u": uid}).all()
    return uid, {r.email: (r.role, r.name) for r in rows}


def _by_role(people: dict, role: str) -> str:
    return next(e for e, (r, _) in people.items() if r == role)


def _answers(url: str) -> dict[tuple[str, str], tuple[str, int]]:
    with engine_for(url).connect() as c:
        return {(r.event_uid, r.attendee): (r.partstat, r.sequence)
                for r in c.execute(sa.text("select * from calendar_reply"))}


def _current(url: str, uid: str, who: str) -> tuple[str, str | None]:
    """An attendee's answer to the meeting as it is now, and the latest answer recorded."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases.replies import event_answers

    a = next(a for a in event_answers(unit_of_work_for(url), uid).attendees if a.email == who)
    return a.answer, a.recorded.partstat if a.recorded else None


def _log(url: str) -> list[tuple]:
    with engine_for(url).connect() as c:
        return [tuple(r) for r in c.execute(sa.text("select message_key, item, outcome, reason, event_uid, attendee, "
                                                    "partstat, sequence from reply_message order by id"))]


def test_outlook_gmail_apple_and_a_wrapped_reply_are_recorded_and_a_second_fetch_changes_nothing(
        invited, small_loop, mailbox, smtp):
    uid, people = _talk(small_loop)
    chief, leader = _by_role(people, "chief"), _by_role(people, "leader")
    others = [e for e, (r, _) in people.items() if r not in ("chief", "leader")]
    w = at("2027-04-12T08:15")
    mailbox.append(m.outlook_reply(uid, 0, chief, people[chief][1], "ACCEPTED", w, comment="Jeg kommer"))
    mailbox.append(m.gmail_reply(uid, 0, leader, people[leader][1], "ACCEPTED", w))
    mailbox.append(m.apple_reply(uid, 0, others[0], people[others[0]][1], "TENTATIVE", w))
    mailbox.append(m.wrapped(m.gmail_reply(uid, 0, others[1], people[others[1]][1], "DECLINED", w), "sek@example.dk", w))
    mailbox.append(m.plain_mail(leader, w))

    first = invited("replies", "fetch", "--now", LATER.isoformat())
    assert "Read 5 messages in INBOX: 4 answers recorded, 0 stale, 0 kept aside" in first.stdout
    assert "1 other messages left where they were" in first.stdout
    assert _answers(small_loop) == {(uid, chief): ("ACCEPTED", 0), (uid, leader): ("ACCEPTED", 0),
                                    (uid, others[0]): ("TENTATIVE", 0), (uid, others[1]): ("DECLINED", 0)}
    # Filed: the replies in the done folder, the ordinary email still in the inbox.
    assert mailbox.subjects() == ["Spørgsmål om datapakken"]
    assert len(mailbox.subjects("Kvalitetsloop/Behandlet")) == 4

    shown = invited("event", "show", uid).stdout
    assert "Svar: 2 deltager, 1 måske, 1 afbud" in shown
    assert "Jeg kommer" in shown

    log, answers = _log(small_loop), _answers(small_loop)
    sent_before = len(smtp.messages)
    second = invited("replies", "fetch", "--now", (LATER + dt.timedelta(minutes=15)).isoformat())
    assert "Read 1 messages in INBOX: 0 answers recorded" in second.stdout
    assert _log(small_loop) == log and _answers(small_loop) == answers
    assert len(smtp.messages) == sent_before

    # The same message again in the inbox (a fetch that recorded it but died before moving it, or
    # a copy): its key is known, nothing is applied twice, it is only filed.
    mailbox.append(m.gmail_reply(uid, 0, leader, people[leader][1], "DECLINED", w,
                                 message_id="<same-message@client.example.net>"))
    invited("replies", "fetch", "--now", (LATER + dt.timedelta(minutes=30)).isoformat())
    mailbox.append(m.gmail_reply(uid, 0, leader, people[leader][1], "DECLINED", w,
                                 message_id="<same-message@client.example.net>"))
    again = invited("replies", "fetch", "--now", (LATER + dt.timedelta(minutes=45)).isoformat())
    assert "1 recorded before and only filed now" in again.stdout
    assert len(_log(small_loop)) == len(log) + 1


def test_a_reply_to_an_older_sequence_does_not_overwrite_and_a_move_asks_again(invited, small_loop, mailbox):
    uid, people = _talk(small_loop)
    chief = _by_role(people, "chief")
    consultant = _by_role(people, "consultant")
    w = at("2027-04-12T08:15")
    # Accepted the first time; then the talk moves (sequence 1) and the update asks again.
    mailbox.append(m.outlook_reply(uid, 0, consultant, "", "ACCEPTED", w))
    invited("replies", "fetch", "--now", LATER.isoformat())
    with engine_for(small_loop).connect() as c:
        start = c.execute(sa.text("select start from event where uid = :u"), {"u": uid}).scalar()
    old = dt.datetime.fromisoformat(str(start)).replace(tzinfo=dt.timezone.utc).astimezone(CPH)
    invited("event", "move", uid, "--start", (old + dt.timedelta(days=1)).replace(hour=9).isoformat(), "--force",
            "--now", LATER.isoformat())
    shown = invited("event", "show", uid).stdout
    row = next(l for l in shown.splitlines() if consultant in l)
    assert "ikke svaret (tidligere" in row  # the move asked again; the earlier answer is shown beside
    assert _current(small_loop, uid, consultant) == ("NEEDS-ACTION", "ACCEPTED")

    # The new answer (sequence 1) arrives, then a late copy of an answer to sequence 0.
    mailbox.append(m.outlook_reply(uid, 1, consultant, "", "DECLINED", w + dt.timedelta(days=2)))
    mailbox.append(m.gmail_reply(uid, 0, consultant, "", "ACCEPTED", w + dt.timedelta(days=3)))
    out = invited("replies", "fetch", "--now", (LATER + dt.timedelta(days=3)).isoformat()).stdout
    assert "1 answers recorded, 1 stale" in out
    assert _answers(small_loop)[(uid, consultant)] == ("DECLINED", 1)
    stale = [r for r in _log(small_loop) if r[2] == "stale"]
    assert len(stale) == 1 and stale[0][3].startswith("an answer to sequence 1 given 2027-04-14")
    # The chief has not answered the new time.
    assert _answers(small_loop).get((uid, chief)) is None


def test_unknown_meetings_and_strangers_are_kept_aside_and_listed_never_applied(invited, small_loop, mailbox):
    uid, people = _talk(small_loop)
    w = at("2027-04-12T08:15")
    mailbox.append(m.gmail_reply("no-such-meeting@example.net", 0, "someone@example.dk", "Someone", "ACCEPTED", w))
    mailbox.append(m.apple_reply(uid, 0, "stranger@example.dk", "En fremmed", "ACCEPTED", w))
    out = invited("replies", "fetch", "--now", LATER.isoformat()).stdout
    assert "0 answers recorded, 0 stale, 2 kept aside" in out
    assert _answers(small_loop) == {}
    assert len(mailbox.subjects("Kvalitetsloop/Til gennemsyn")) == 2 and mailbox.subjects() == []
    listed = invited("replies", "list").stdout
    assert "no meeting has the UID no-such-meeting@example.net" in listed
    assert "stranger@example.dk is not invited" in listed


def test_a_malformed_reply_is_moved_aside_with_its_reason(invited, small_loop, mailbox):
    mailbox.append(m.malformed_reply("leader@example.dk", at("2027-04-12T08:15")))
    out = invited("replies", "fetch", "--now", LATER.isoformat()).stdout
    assert "1 rejected" in out
    assert mailbox.subjects("Kvalitetsloop/Afvist") == ["Accepted: Møde"] and mailbox.subjects() == []
    listed = invited("replies", "list", "--show", "rejected").stdout
    assert "its calendar part cannot be parsed" in listed
    assert _answers(small_loop) == {}


def test_a_required_participant_declining_tells_the_administration_and_the_chief_the_same_day(
        invited, small_loop, mailbox, smtp):
    uid, people = _talk(small_loop)
    chief, leader = _by_role(people, "chief"), _by_role(people, "leader")
    consultant = _by_role(people, "consultant")
    w = at("2027-04-14T10:05")
    before = len(smtp.messages)
    # A consultant's decline is recorded but told to nobody; the leader's is told at once.
    mailbox.append(m.apple_reply(uid, 0, consultant, "", "DECLINED", w))
    mailbox.append(m.gmail_reply(uid, 0, leader, people[leader][1], "DECLINED", w, comment="Jeg er på kursus"))
    out = invited("replies", "fetch", "--now", LATER.isoformat()).stdout
    assert "Sent 2 of 2 notices" in out
    notices = [r for r in smtp.messages[before:] if r.message["X-Kvalitetsloop-Kind"] == "reply_declined"]
    assert sorted(r.rcpt_tos[0] for r in notices) == sorted([ORGANISER, chief])
    msg = notices[0].message
    assert email.utils.parsedate_to_datetime(msg["Date"]).date() == LATER.date()  # the same day
    assert msg["Subject"].startswith("Afbud: Læringssamtale 1")
    text = msg.get_body(("plain",)).get_content()
    assert f"{people[leader][1]} (leder) har meldt afbud til" in text
    assert "Kommentar fra" in text and "Jeg er på kursus" in text
    assert f"kvalitetsloop event move {uid} --start " in text
    # A second fetch sends nothing again.
    invited("replies", "fetch", "--now", (LATER + dt.timedelta(hours=1)).isoformat())
    assert len([r for r in smtp.messages if r.message["X-Kvalitetsloop-Kind"] == "reply_declined"]) == 2


def test_a_counter_proposal_is_recorded_and_shown_to_the_administration(invited, small_loop, mailbox, smtp):
    uid, people = _talk(small_loop)
    chief = _by_role(people, "chief")
    w = at("2027-04-14T10:05")
    proposed = (at("2027-05-20T12:00"), at("2027-05-20T14:30"))
    mailbox.append(m.outlook_reply(uid, 0, chief, people[chief][1], "NEEDS-ACTION", w, comment="Kan vi rykke den?",
                                   method="COUNTER", proposed=proposed))
    out = invited("replies", "fetch", "--now", LATER.isoformat()).stdout
    assert "1 counter-proposals" in out
    listed = invited("replies", "list", "--show", "counters").stdout
    assert "proposed: 2027-05-20 10:00 - 12:30 UTC" in listed and "comment: Kan vi rykke den?" in listed
    notice = [r for r in smtp.messages if r.message["X-Kvalitetsloop-Kind"] == "reply_counter"]
    assert [r.rcpt_tos for r in notice] == [[ORGANISER]]
    text = notice[0].message.get_body(("plain",)).get_content()
    assert "torsdag den 20. maj 2027 kl. 12.00 til 14.30" in text
    assert f"kvalitetsloop event move {uid} --start 2027-05-20T12:00" in text
    assert _answers(small_loop) == {}  # a proposal is not an answer


def test_the_chiefs_digest_lists_declined_and_unanswered_meetings(invited, small_loop, mailbox, smtp):
    uid, people = _talk(small_loop)
    chief, leader = _by_role(people, "chief"), _by_role(people, "leader")
    mailbox.append(m.gmail_reply(uid, 0, leader, people[leader][1], "DECLINED", at("2027-04-14T10:05")))
    invited("replies", "fetch", "--now", LATER.isoformat())
    before = len(smtp.messages)
    invited("dispatch", "--now", at("2027-04-19T09:00").isoformat())  # Monday: the weekly digest
    digest = next(r for r in smtp.messages[before:] if r.message["X-Kvalitetsloop-Kind"] == "weekly_digest"
                  and r.rcpt_tos == [chief])
    text = digest.message.get_body(("plain",)).get_content()
    assert "Møder de næste uger med afbud eller uden svar" in text
    line = next(l for l in text.splitlines() if f"afbud: {people[leader][1]}" in l)
    assert "Læringssamtale 1" in line and "ikke svaret:" in line


def test_loop_show_unit_and_report_replies_show_the_answers(invited, small_loop, mailbox):
    uid, people = _talk(small_loop)
    leader = _by_role(people, "leader")
    mailbox.append(m.gmail_reply(uid, 0, leader, people[leader][1], "ACCEPTED", at("2027-04-12T08:15")))
    invited("replies", "fetch", "--now", LATER.isoformat())
    with engine_for(small_loop).connect() as c:
        unit = c.execute(sa.text("select unit_id from event where uid = :u"), {"u": uid}).scalar()
    shown = invited("loop", "show", "0-6-2027-04-28", "--unit", unit).stdout
    assert "Svar på invitationer" in shown and "deltager" in shown and leader in shown
    report = invited("report", "replies", "0-6-2027-04-28").stdout
    total = next(l for l in report.splitlines() if "i alt" in l)
    numbers = [int(x) for x in total.replace("│", " ").split() if x.isdigit()]
    meetings, invitees, accepted, tentative, declined, unanswered = numbers
    assert accepted == 1 and declined == 0 and meetings > 0 and invitees == accepted + tentative + declined + unanswered


def test_mailbox_mistakes_are_one_sentence(invited, mailbox, monkeypatch, tmp_path):
    from kvalitetsloop.settings import get_settings

    monkeypatch.setenv("KVALITETSLOOP_IMAP_PASSWORD", "forkert")
    get_settings.cache_clear()
    wrong = invited("replies", "fetch", "--now", LATER.isoformat(), check=False)
    assert wrong.returncode == 2 and "refused the login" in wrong.stderr and "Traceback" not in wrong.stderr
    monkeypatch.delenv("KVALITETSLOOP_IMAP_CA_FILE")
    get_settings.cache_clear()
    untrusted = invited("replies", "fetch", check=False)
    assert untrusted.returncode == 2 and "TLS certificate this machine does not trust" in untrusted.stderr
    monkeypatch.setenv("KVALITETSLOOP_IMAP_PORT", "1")
    get_settings.cache_clear()
    away = invited("replies", "fetch", check=False)
    assert away.returncode == 2 and "cannot be reached" in away.stderr
    monkeypatch.setenv("KVALITETSLOOP_IMAP_TLS", "none")
    get_settings.cache_clear()
    bad = invited("replies", "fetch", check=False)
    assert bad.returncode == 2 and bad.stderr.strip() == \
        "Error: KVALITETSLOOP_IMAP_TLS is 'none' but must be one of ssl or starttls."
