"""The full path: `dispatch` sends a real invitation to the SMTP sink; the test answers it as a
calendar program would (the same UID, SEQUENCE and ATTENDEE, METHOD:REPLY, to the invitation's
From address); the reply is put in the organiser's IMAP mailbox; `replies fetch` records it; and
the Prefect flow does the same as the command."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from icalendar import Calendar

from notifications.imap_sandbox import reply_to

from tests.replies.test_replies_fetch import FIRST, LATER, ORGANISER, _answers, env, invited  # noqa: F401


def _reply_to(invitation, partstat: str, when: dt.datetime) -> tuple[bytes, str, str, int]:
    """The REPLY a calendar program sends for this invitation email: (bytes, uid, attendee, sequence)."""
    part = next(p for p in invitation.message.walk() if p.get_content_type() == "text/calendar")
    request = Calendar.from_ical(part.get_payload(decode=True))
    assert str(request["METHOD"]) == "REQUEST"
    event = next(c for c in request.walk() if c.name == "VEVENT")
    raw = reply_to(invitation.data, partstat, when)
    return raw, str(event["UID"]), invitation.rcpt_tos[0], int(event["SEQUENCE"])


def test_a_reply_to_a_real_invitation_is_recorded(invited, small_loop, smtp, mailbox):
    invitation = next(r for r in smtp.messages if r.message["X-Kvalitetsloop-Kind"] == "invitation")
    assert email.utils.parseaddr(invitation.message["From"])[1] == ORGANISER
    raw, uid, attendee, sequence = _reply_to(invitation, "ACCEPTED", LATER - dt.timedelta(hours=1))
    mailbox.append(raw)
    out = invited("replies", "fetch", "--now", LATER.isoformat()).stdout
    assert "1 answers recorded" in out
    assert _answers(small_loop) == {(uid, attendee): ("ACCEPTED", sequence)}
    row = next(l for l in invited("event", "show", uid).stdout.splitlines() if attendee in l)
    assert "deltager" in row


@pytest.fixture(scope="module")
def prefect_api():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield


def test_the_replies_flow_records_and_files_like_the_command(prefect_api, invited, small_loop, smtp, mailbox,
                                                            monkeypatch):
    from flows.replies import fetch_replies
    from kvalitetsloop.settings import get_settings

    invitation = next(r for r in smtp.messages if r.message["X-Kvalitetsloop-Kind"] == "invitation")
    raw, uid, attendee, sequence = _reply_to(invitation, "TENTATIVE", LATER - dt.timedelta(hours=1))
    mailbox.append(raw)
    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    get_settings.cache_clear()
    state = fetch_replies(now=LATER, return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["outcomes"] == {"applied": 1}
    assert _answers(small_loop) == {(uid, attendee): ("TENTATIVE", sequence)}
    assert mailbox.subjects() == [] and len(mailbox.subjects("Kvalitetsloop/Behandlet")) == 1
    # No mailbox configured (replies not set up yet): the scheduled run completes and reads nothing.
    monkeypatch.delenv("KVALITETSLOOP_IMAP_HOST")
    get_settings.cache_clear()
    idle = fetch_replies(now=LATER, return_state=True)
    assert idle.is_completed() and idle.result() == {"messages": 0, "not_configured": True}
    monkeypatch.setenv("KVALITETSLOOP_IMAP_HOST", "127.0.0.1")
    # The mailbox away: the run fails with the sentence (and the ops alert hook runs).
    monkeypatch.setenv("KVALITETSLOOP_IMAP_PASSWORD", "forkert")
    monkeypatch.setenv("KVALITETSLOOP_FLOW_SEND_RETRIES", "0")
    get_settings.cache_clear()
    failed = fetch_replies(now=LATER, return_state=True)
    assert failed.is_failed() and "refused the login" in failed.message
