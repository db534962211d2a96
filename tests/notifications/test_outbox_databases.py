"""The outbox on both databases: decided once however often dispatch runs, claimed atomically,
sent, and the command-line mail sink storing what it receives."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from tests.notifications.conftest import run_dispatch
from notifications.mailsink import free_port, wait_for_port
from storage.db import engine_for
from tests.conftest import KVALITETSLOOP
from tests.notifications.conftest import at, make_loop_db, settings_for, small_org_csv

FIRST = at("2027-04-09T09:00")


def _statuses(url):
    with engine_for(url).connect() as c:
        return dict(c.execute(sa.text("select status, count(*) from outbox group by status")).all())


def test_overlapping_dispatch_runs_send_each_email_once(db_url, smtp, tmp_path):
    from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
    from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases

    org_cases.import_organisation(uow_for(db_url), small_org_csv(), at("2027-03-01T09:00"))
    loop_cases.start_loop(uow_for(db_url), settings_for(smtp.port).frameworks_dir, "aarhus", "0-6", dt.date(2027, 4, 28),
                        at("2027-03-01T09:00"), past="held")
    settings = settings_for(smtp.port, outbox_batch=5)
    smtp.every_delay = 0.002
    errors = []

    def run():
        try:
            run_dispatch(db_url, FIRST, settings)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    counts = _statuses(db_url)
    assert set(counts) == {"sent"}
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == counts["sent"]


def test_the_mailsink_command_stores_what_dispatch_sends(small_loop, tmp_path):
    port = free_port()
    folder = tmp_path / "mail"
    proc = subprocess.Popen([str(KVALITETSLOOP), "mailsink", "--dir", str(folder), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port("127.0.0.1", port)
        report = run_dispatch(small_loop, FIRST, settings_for(port))
        deadline = time.monotonic() + 10
        while len(list(folder.glob("*.eml"))) < report.drain.total_sent and time.monotonic() < deadline:
            time.sleep(0.05)
        files = sorted(folder.glob("*.eml"))
        assert report.drain.total_sent > 0 and len(files) == report.drain.total_sent
        assert b"Message-ID: <" in files[0].read_bytes()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert "Mail sink listening on 127.0.0.1" in out
