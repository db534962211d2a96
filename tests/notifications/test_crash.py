"""A sender killed (SIGKILL) at random points of a batch and restarted, many times: every row is
sent, and only a message in flight at a kill may arrive twice, with the same Message-ID."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter

import sqlalchemy as sa

from kvalitetsloop.unit_of_work import SqlUnitOfWork
from kvalitetsloop.usecases import dispatch
from storage.db import engine_for
from tests.conftest import KVALITETSLOOP
from tests.notifications.conftest import at, settings_for


def _decide_many(url, settings, times):
    """Fill the outbox as dispatch runs at these times would, without sending."""
    cache = dispatch.DispatchCache()
    uow = SqlUnitOfWork(url)
    for now in times:
        with uow:
            data = dispatch._load(uow, settings, cache)
            decision = dispatch._decide(uow, data, now, settings)
            uow.outbox.add_decided(decision.rows)
            uow.commit()
        data.keys.update(r["key"] for r in decision.rows)


def test_sender_killed_at_random_points_loses_nothing(small_loop, smtp, tmp_path):
    settings = settings_for(smtp.port)
    start = at("2027-04-05T16:00")
    _decide_many(small_loop, settings, [start + dt.timedelta(days=7 * i) for i in range(40)])
    end = start + dt.timedelta(days=7 * 40)
    with engine_for(small_loop).connect() as c:
        total = c.execute(sa.text("select count(*) from outbox")).scalar()
    assert total > 300
    smtp.every_delay = 0.004  # a batch takes a few seconds, so kills land in the middle of it
    env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": small_loop, "KVALITETSLOOP_SMTP_PORT": str(smtp.port),
           "KVALITETSLOOP_SMTP_TLS": "none", "KVALITETSLOOP_OUTBOX_LEASE_SECONDS": "0",
           "KVALITETSLOOP_OUTBOX_BATCH": "25"}
    rng = random.Random(20270405)
    kills = 0
    for attempt in range(60):
        proc = subprocess.Popen([str(KVALITETSLOOP), "dispatch", "--now", end.isoformat()], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills < 8:
            # Kill at a random point of the batch: shortly after this run's first message arrives
            # (timing from the process start would spend the kills on start-up on a fast machine).
            seen = len(smtp.messages)
            deadline = time.monotonic() + 60
            while len(smtp.messages) == seen and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.15))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
        break
    else:
        raise AssertionError("the sender never finished")
    assert kills >= 5
    with engine_for(small_loop).connect() as c:
        rows = [r._mapping for r in c.execute(sa.text("select status, message_id from outbox"))]
    # Deciding once a week leaves earlier reminder steps superseded: listed as skipped, never sent.
    skipped = {r["message_id"] for r in rows if r["status"] == "skipped"}
    rows = [r for r in rows if r["status"] != "skipped"]
    assert not skipped & {m.message["Message-ID"] for m in smtp.messages}
    assert Counter(r["status"] for r in rows) == Counter({"sent": len(rows)})
    received = Counter(m.message["Message-ID"] for m in smtp.messages)
    assert set(received) == {r["message_id"] for r in rows}  # every row arrived, nothing else did
    repeats = sum(n - 1 for n in received.values())
    assert repeats <= kills, (repeats, kills)
    # A repeat is the same message: same Message-ID, same bytes, except that a web form's link
    # carries a token made when the email is composed and stored only as its hash
    # (notifications.links): each copy's link works.
    with engine_for(small_loop).connect() as c:
        stored = {r[0] for r in c.execute(sa.text("select token_hash from capability"))}
    for mid, n in received.items():
        if n > 1:
            # Each copy as its headers and every part's decoded content (a link may be folded
            # differently in the encoded bytes).
            copies = ["\n".join([*(f"{k}: {v}" for k, v in m.message.items()),
                                  *(str(p.get_content()) for p in m.message.walk() if not p.is_multipart())])
                      for m in smtp.messages if m.message["Message-ID"] == mid]
            tokens = [set(re.findall(r"/[a-z]+/([A-Za-z0-9_-]{43})\b", copy)) for copy in copies]
            differing = set.union(*tokens) - set.intersection(*tokens)
            assert all(hashlib.sha256(t.encode()).hexdigest() in stored for t in differing)
            assert len({re.sub("|".join(differing) or "^$", "LINK", copy) for copy in copies}) == 1
