"""A real IMAP server for the reply tests: Dovecot from Debian's packages (`dovecot-imapd`,
installed by .ci/run), started on 127.0.0.1 with a throwaway configuration, a self-signed TLS
certificate, and users in a file of its own. Nothing of the system's Dovecot is used: no system
folders, no system service. The server runs as the current user; where that is root (CI), the
mail processes run as `nobody`, because Dovecot refuses mail access as root.
"""

from __future__ import annotations

import datetime as dt
import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "hemmeligt-kodeord"
USERS = 500


def _certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and its key; the certificate is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kvalitetsloop test IMAP")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                                       serialization.NoEncryption()))
    os.chmod(folder / "key.pem", 0o600)
    return folder / "cert.pem"


@dataclass
class Dovecot:
    folder: Path
    port: int
    ca_file: Path
    users: Path
    pool: Iterator[str]

    def add_user(self) -> str:
        """A new, empty mailbox: one of the users written before the server started.

        Users are not added to a running server: Dovecot reads its passwd-file again at most once a
        second, so a user written and logged in within the second of an earlier login was refused
        (CI saw "Authentication failed" for three tests)."""
        return next(self.pool)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="session")
def dovecot():
    if not Path(DOVECOT).exists():
        pytest.fail("Dovecot is not installed: apt-get install -y dovecot-imapd (.ci/run does it)")
    from notifications.mailsink import free_port

    folder = Path(tempfile.mkdtemp(prefix="kvl-dovecot-"))
    os.chmod(folder, 0o755)
    me = os.getuid()
    mail_user = pwd.getpwuid(me) if me != 0 else pwd.getpwnam("nobody")
    home = folder / "home"
    home.mkdir()
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    ca = _certificate(folder)
    users = folder / "users"
    # One user per test that asks for a mailbox, with room to spare; each has its own Maildir.
    names = [f"kvalitet-{i:04d}-{uuid.uuid4().hex[:6]}" for i in range(USERS)]
    users.write_text("".join(f"{n}:{{PLAIN}}{PASSWORD}::::::\n" for n in names), encoding="utf-8")
    os.chmod(users, 0o644)
    port = free_port()
    run_as = pwd.getpwuid(me).pw_name if me != 0 else "nobody"
    group = grp.getgrgid(mail_user.pw_gid).gr_name
    config = folder / "dovecot.conf"
    config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
ssl = required
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
default_internal_user = {run_as}
default_internal_group = {group}
default_login_user = {run_as}
first_valid_uid = {mail_user.pw_uid}
last_valid_uid = {mail_user.pw_uid}
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
""", encoding="utf-8")
    # Dovecot goes to the background and keeps the descriptors it was given: a file, not a pipe
    # (a pipe would never reach its end, and the test would wait for ever).
    with open(folder / "start.log", "w") as out:
        started = subprocess.run([DOVECOT, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        pytest.fail(f"Dovecot did not start: {(folder / 'start.log').read_text().strip()}")
    server = Dovecot(folder, port, ca, users, iter(names))
    try:
        _wait_for(port, server)
        yield server
    finally:
        subprocess.run([DOVECOT, "-c", str(config), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL)
        for _ in range(50):
            if not (folder / "run" / "master.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(port: int, server: Dovecot) -> None:
    import socket

    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Dovecot did not listen on {port}: {server.log()[-2000:]}")


@dataclass
class Mailbox:
    """One test's IMAP account on the Dovecot server, and how the tests put mail into it."""

    server: Dovecot
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
