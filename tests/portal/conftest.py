"""Fixtures of the portal tests: the portal served by uvicorn on a real port (127.0.0.1), on a
planned loop in a SQLite file, with the emails going to a real SMTP server (aiosmtpd); a clock
the test moves; the link a board gets in its first reminder."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from notifications.mailsink import free_port
from storage.db import engine_for
from tests.notifications.conftest import (CPH, run_dispatch, settings_for, small_loop,  # noqa: F401 (fixtures)
                                          small_loop_template, smtp)


class Clock:
    """The portal's clock; a test sets `now`."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Served:
    base: str
    db: str
    settings: object
    clock: Clock
    smtp: object

    def dispatch(self, when: dt.datetime):
        self.clock.now = when
        return run_dispatch(self.db, when, self.settings)

    def mails(self, kind: str, to: str | None = None) -> list:
        return [m.message for m in self.smtp.messages if m.message["X-Kvalitetsloop-Kind"] == kind
                and (to is None or m.rcpt_tos == [to])]


def serve(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    return server, thread


@pytest.fixture
def portal(small_loop, smtp):
    from portal.app import create_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings_for(smtp.port, database_url=small_loop, base_url=base)
    clock = Clock(dt.datetime(2027, 3, 1, 9, 0, tzinfo=CPH))
    server, thread = serve(create_app(settings, clock), port)
    try:
        yield Served(base, small_loop, settings, clock, smtp)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def deadline_of(url: str, kind: str, number: int) -> tuple[dt.date, str, str]:
    """The earliest deadline of `kind` and `number`: (local due date, unit id, event uid)."""
    with engine_for(url).connect() as c:
        start, unit_id, uid = c.execute(sa.text("select start, unit_id, uid from event where kind=:k and number=:n "
                                                "order by start, unit_id limit 1"), {"k": kind, "n": number}).one()
    due = dt.datetime.fromisoformat(str(start)).replace(tzinfo=dt.timezone.utc).astimezone(CPH).date()
    return due, unit_id, uid


def link_in(message, path: str) -> str:
    plain = message.get_body(("plain",)).get_content()
    found = re.search(r"(http://127\.0\.0\.1:\d+" + path + r"[A-Za-z0-9_-]+)", plain)
    assert found, plain
    return found.group(1)


@pytest.fixture
def board_reminder(portal):
    """Dispatch at the first board reminder before talk 2: (the link in it, unit id, board's address, due date)."""
    due, unit_id, uid = deadline_of(portal.db, "board_statement_due", 2)
    portal.dispatch(dt.datetime.combine(due - dt.timedelta(days=21), dt.time(9, 0), CPH))
    board = f"bestyrelse-{unit_id}@example.dk"
    mails = portal.mails("board_statement_reminder", board)
    assert len(mails) == 1
    return link_in(mails[0], "/udtalelse/"), unit_id, board, due
