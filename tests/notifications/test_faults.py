"""Faults of the SMTP side: nothing is lost, retries are visible, the rest of a batch goes on."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa

from tests.notifications.conftest import run_dispatch
from notifications.mailsink import free_port
from storage.db import engine_for
from tests.conftest import Cli
from tests.notifications.conftest import at, settings_for

FIRST = at("2027-04-09T09:00")


def _rows(url):
    with engine_for(url).connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.text("select * from outbox order by id"))]


def _all_sent_exactly_once(url, smtp):
    rows = _rows(url)
    assert rows and all(r["status"] == "sent" for r in rows), Counter(r["status"] for r in rows)
    got = Counter(m.message["Message-ID"] for m in smtp.messages)
    assert set(got) == {r["message_id"] for r in rows}
    return rows, got


def test_server_down_then_back(small_loop, smtp, tmp_path, smtp_env):
    down = settings_for(free_port())
    report = run_dispatch(small_loop, FIRST, down)
    rows = _rows(small_loop)
    assert report.drain.total_sent == 0 and report.drain.stopped
    assert {r["status"] for r in rows} == {"pending"} and {r["attempts"] for r in rows} == {1}
    assert all("cannot connect" in r["last_error"] for r in rows)
    next_try = {r["next_attempt_at"] for r in rows}
    assert len(next_try) == 1  # backoff: one minute after the failed try
    # the operator sees it
    smtp_env(down.smtp_port)
    cli = Cli(small_loop, tmp_path)
    failed_run = cli("dispatch", "--now", (FIRST + dt.timedelta(seconds=30)).isoformat(), check=False)
    # Nothing was tried (the rows wait out their backoff), but nothing was delivered either: exit 1,
    # with when the next try is.
    assert failed_run.returncode == 1 and "wait for the next try at" in failed_run.stderr
    listing = cli("outbox", "list", "--status", "pending", "--limit", "3").stdout
    assert "cannot connect" in listing and "pending" in listing
    # second failure doubles the wait
    run_dispatch(small_loop, FIRST + dt.timedelta(minutes=1), down)
    assert {r["attempts"] for r in _rows(small_loop)} == {2}
    # server back: everything goes, once
    report = run_dispatch(small_loop, FIRST + dt.timedelta(minutes=3), settings_for(smtp.port))
    assert report.drain.total_sent == len(rows)
    _, got = _all_sent_exactly_once(small_loop, smtp)
    assert set(got.values()) == {1}


def test_421_and_451_are_retried_and_the_batch_goes_on(small_loop, smtp):
    smtp.data_answers += ["451 4.3.0 Mailbox busy", "421 4.3.2 Shutting down"]
    settings = settings_for(smtp.port)
    report = run_dispatch(small_loop, FIRST, settings)
    rows = _rows(small_loop)
    waiting = [r for r in rows if r["status"] == "pending"]
    assert len(waiting) == 2 and {r["smtp_code"] for r in waiting} == {451, 421}
    assert report.drain.total_sent == len(rows) - 2 and smtp.connections == 2  # reconnected after the 421
    for r in waiting:
        assert r["attempts"] == 1 and str(r["next_attempt_at"]) > FIRST.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")
    run_dispatch(small_loop, FIRST + dt.timedelta(minutes=2), settings)
    _, got = _all_sent_exactly_once(small_loop, smtp)
    assert set(got.values()) == {1}


def test_550_for_one_recipient_fails_that_row_at_once_and_the_rest_are_sent(small_loop, smtp, tmp_path, smtp_env):
    victim = "chief-01@example.dk"
    smtp.refuse_rcpt[victim] = "550 5.1.1 <chief-01@example.dk>: Recipient address rejected"
    report = run_dispatch(small_loop, FIRST, settings_for(smtp.port))
    rows = _rows(small_loop)
    bad = [r for r in rows if r["recipient"] == victim]
    assert bad and all(r["status"] == "failed" and r["smtp_code"] == 550 and r["attempts"] == 1 for r in bad)
    assert all(r["status"] == "sent" for r in rows if r["recipient"] != victim)
    assert report.drain.failed == len(bad) and smtp.connections == 1
    # the operator retries one after the address is fixed, and gives up another
    del smtp.refuse_rcpt[victim]
    cli = Cli(small_loop, tmp_path)
    smtp_env(smtp.port)
    assert "failed" in cli("outbox", "list", "--status", "failed").stdout
    later = (FIRST + dt.timedelta(hours=1)).isoformat()
    cli("outbox", "retry", str(bad[0]["id"]), "--now", later)
    if len(bad) > 1:
        cli("outbox", "give-up", str(bad[1]["id"]), "--now", later)
    cli("dispatch", "--now", later)
    after = {r["id"]: r for r in _rows(small_loop)}
    assert after[bad[0]["id"]]["status"] == "sent"
    assert after[bad[0]["id"]]["status"] == "sent"
    if len(bad) > 1:
        assert after[bad[1]["id"]]["status"] == "given_up"
    assert cli("outbox", "retry", str(bad[0]["id"]), check=False).returncode == 2  # already sent


def test_a_timeout_is_retried_and_a_late_acceptance_repeats_with_the_same_message_id(small_loop, smtp):
    smtp.data_delays += [3.0, 3.0]
    settings = settings_for(smtp.port, smtp_timeout=1.0)
    report = run_dispatch(small_loop, FIRST, settings)
    rows = _rows(small_loop)
    waiting = [r for r in rows if r["status"] == "pending"]
    # two timeouts in a row: the server is taken to be away, every unsent row waits with one try counted
    assert report.drain.stopped and "connection lost" in waiting[0]["last_error"]
    assert report.drain.total_sent == 0 and len(waiting) == len(rows)
    import time

    time.sleep(3.5)  # the slow server finally accepts the two messages it was holding
    run_dispatch(small_loop, FIRST + dt.timedelta(minutes=5), settings)
    rows, got = _all_sent_exactly_once(small_loop, smtp)
    repeated = [mid for mid, n in got.items() if n > 1]
    assert len(repeated) <= 2 and all(n <= 2 for n in got.values())


def test_a_row_that_cannot_be_rendered_fails_visibly_and_the_batch_goes_on(small_loop, smtp, tmp_path, smtp_env):
    """One broken row (here: the unit it names has vanished from its context) must not stop the
    emails of every other unit: it fails with the reason, the rest is sent, the run says so."""
    down = settings_for(free_port())
    run_dispatch(small_loop, FIRST, down)  # decide, but nothing can be sent yet
    rows = _rows(small_loop)
    broken = next(r for r in rows if r["kind"] == "invitation")
    with engine_for(small_loop).begin() as c:
        c.execute(sa.text("update outbox set context = :ctx where id = :id"), {"ctx": "{}", "id": broken["id"]})
    smtp_env(smtp.port)
    cli = Cli(small_loop, tmp_path)
    run = cli("dispatch", "--now", (FIRST + dt.timedelta(minutes=5)).isoformat(), check=False)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "cannot be rendered" in run.stderr
    after = {r["id"]: r for r in _rows(small_loop)}
    assert after[broken["id"]]["status"] == "failed"
    assert "cannot be rendered" in after[broken["id"]]["last_error"]
    others = [r for i, r in after.items() if i != broken["id"]]
    assert others and all(r["status"] == "sent" for r in others)
    assert len(smtp.messages) == len(others)
    listing = cli("outbox", "list", "--status", "failed").stdout
    assert "cannot be rendered" in listing
