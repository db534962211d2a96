"""A real IMAP server for the reply tests: Dovecot from Debian's packages (`dovecot-imapd`,
installed by ./dev test), started on 127.0.0.1 by notifications.imap_sandbox with a throwaway
configuration, a self-signed TLS certificate, and users in a file of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from notifications.imap_sandbox import Dovecot, SandboxError, start_dovecot

PASSWORD = "hemmeligt-kodeord"
# One user per test that asks for a mailbox, with room to spare; each has its own Maildir.
USERS = 500


@dataclass
class Server:
    dovecot: Dovecot
    pool: Iterator[str] = field(init=False)

    def __post_init__(self):
        self.pool = iter(self.dovecot.users)

    @property
    def port(self) -> int:
        return self.dovecot.port

    @property
    def ca_file(self):
        return self.dovecot.ca_file

    def add_user(self) -> str:
        """A new, empty mailbox: one of the users written before the server started (Dovecot
        reads its passwd-file at most once a second; see notifications.imap_sandbox)."""
        return next(self.pool)


@pytest.fixture(scope="session")
def dovecot():
    try:
        server = start_dovecot([f"kvalitet-{i:04d}-{uuid.uuid4().hex[:6]}" for i in range(USERS)], PASSWORD)
    except SandboxError as exc:
        pytest.fail(str(exc))
    try:
        yield Server(server)
    finally:
        server.stop()


@dataclass
class Mailbox:
    """One test's IMAP account on the Dovecot server, and how the tests put mail into it."""

    server: Server
    user: str

    def settings(self, **extra) -> dict:
        return {"imap_host": "127.0.0.1", "imap_port": self.server.port, "imap_user": self.user,
                "imap_password": PASSWORD, "imap_tls": "ssl", "imap_ca_file": self.server.ca_file,
                "imap_timeout": 10.0, **extra}

    def env(self) -> dict[str, str]:
        return {f"KVALITETSLOOP_{k.upper()}": str(v) for k, v in self.settings().items()}

    def _box(self):
        import ssl

        from imap_tools import MailBox

        ctx = ssl.create_default_context(cafile=str(self.server.ca_file))
        return MailBox("127.0.0.1", self.server.port, ssl_context=ctx, timeout=10).login(self.user, PASSWORD)

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self._box() as box:
            box.append(raw, folder)

    def subjects(self, folder: str = "INBOX") -> list[str]:
        with self._box() as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return [m.subject for m in box.fetch(mark_seen=False)]

    def folders(self) -> list[str]:
        with self._box() as box:
            return sorted(f.name for f in box.folder.list())


@pytest.fixture
def mailbox(dovecot) -> Mailbox:
    """An empty mailbox of the organiser's on the test's Dovecot server."""
    return Mailbox(dovecot, dovecot.add_user())


# The email tests' real SMTP server and small planned loop, shared with these tests.
from tests.notifications.conftest import small_loop, small_loop_template, smtp  # noqa: E402,F401
