"""Fixtures of the email tests: a real SMTP server (aiosmtpd on 127.0.0.1) that records what it
receives and can be told to fail, settings that point at it, and a small planned loop in SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from kvalitetsloop.settings import Settings
from tests.conftest import FRAMEWORKS, ROOT

CPH = ZoneInfo("Europe/Copenhagen")
LOOP_ID = "0-6-2027-04-28"
START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=CPH)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


@dataclass
class Recorder:
    """aiosmtpd handler: keeps every message; faults are set by the test."""

    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    # recipient -> "550 ..." answer to RCPT TO
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    # answers to give to the next DATA commands, in order (e.g. "451 ...", "421 ...")
    data_answers: list[str] = field(default_factory=list)
    # seconds to wait before answering the next DATA commands, in order
    data_delays: list[float] = field(default_factory=list)
    every_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse_rcpt.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            delay = self.data_delays.pop(0) if self.data_delays else self.every_delay
        if delay:
            await asyncio.sleep(delay)
        with self.lock:
            if self.data_answers:
                return self.data_answers.pop(0)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def smtp():
    rec = Recorder()
    from notifications.mailsink import free_port

    rec.port = free_port()
    controller = Controller(rec, hostname="127.0.0.1", port=rec.port)
    controller.start()
    try:
        yield rec
    finally:
        controller.stop()


@pytest.fixture
def smtp_env(monkeypatch):
    """Point the command line (run in-process by tests.conftest.Cli) at an SMTP port."""
    from kvalitetsloop.settings import get_settings

    def point(port: int, **extra: str) -> None:
        monkeypatch.setenv("KVALITETSLOOP_SMTP_PORT", str(port))
        monkeypatch.setenv("KVALITETSLOOP_SMTP_TLS", "none")
        for k, v in extra.items():
            monkeypatch.setenv(f"KVALITETSLOOP_{k.upper()}", str(v))
        get_settings.cache_clear()

    yield point
    monkeypatch.undo()
    get_settings.cache_clear()


def settings_for(port: int, **extra) -> Settings:
    values = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", smtp_password="", smtp_user="kvalitetsloop",
                  smtp_timeout=2.0, outbox_backoff_seconds=60, outbox_max_attempts=4, outbox_lease_seconds=300,
                  sender="kvalitetsloop@aarhus.example.dk", organiser="kvalitet@aarhus.example.dk",
                  organiser_name="Børn og Unge, Aarhus Kommune", data_team="data@aarhus.example.dk",
                  base_url="https://kvalitet.aarhus.example.dk", message_id_domain="kvalitetsloop.aarhus.example.dk",
                  frameworks_dir=FRAMEWORKS)
    values.update(extra)
    return Settings(**values)


def small_org_csv(units: int = 12, chiefs: int = 2) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "make_org.py"), "--units", str(units), "--chiefs",
                          str(chiefs)], capture_output=True, text=True, check=True)
    return out.stdout


def make_loop_db(path: Path, csv_text: str) -> str:
    from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
    from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases

    url = f"sqlite:///{path}"
    org_cases.import_organisation(uow_for(url), csv_text, START)
    loop_cases.start_loop(uow_for(url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), START, past="held")
    from storage.db import dispose_all

    dispose_all()
    return url


@pytest.fixture(scope="session")
def small_loop_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "small.sqlite"
    make_loop_db(path, small_org_csv())
    return path


@pytest.fixture
def small_loop(small_loop_template, tmp_path) -> str:
    """A fresh copy of a planned 0-6 loop of 12 units (7 daycares) in a SQLite file."""
    path = tmp_path / "loop.sqlite"
    shutil.copy(small_loop_template, path)
    return f"sqlite:///{path}"


def at(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=CPH)


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def run_dispatch(url: str, now: dt.datetime, settings: Settings, *, dry_run_dir: Path | None = None, transport=None):
    """Dispatch as the command line does: a unit of work, the settings' SMTP transport, the real clock."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases import dispatch
    from notifications.transport import YagTransport

    if dry_run_dir is not None:
        return dispatch.dry_run(unit_of_work_for(url), now, settings, dry_run_dir)
    return dispatch.dispatch(unit_of_work_for(url), now, settings, transport or YagTransport.from_settings(settings),
                             wall=wall_clock)
