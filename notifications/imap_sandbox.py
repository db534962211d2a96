"""A throwaway IMAP server for the reply tests and the replies demo (`./dev demo-replies`):
Dovecot from Debian's packages (`dovecot-imapd`), started on 127.0.0.1 with a configuration of its
own in a temporary folder, a self-signed TLS certificate, and users in a file of its own. Nothing of
the system's Dovecot is used: no system folders, no system service. It runs as the current user;
where that is root, the mail processes run as `nobody`, because Dovecot refuses mail access as root.

Users are written before the server starts: Dovecot reads its passwd-file again at most once a
second, so a user added to a running server and logged in within that second was refused.
"""

from __future__ import annotations

import datetime as dt
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


class SandboxError(Exception):
    """The IMAP sandbox could not start (one sentence)."""


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
    config: Path
    port: int
    ca_file: Path
    users: list[str]
    password: str

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.config), "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        for _ in range(50):
            if not (self.folder / "run" / "master.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_dovecot(users: list[str], password: str) -> Dovecot:
    """Dovecot on a free port of 127.0.0.1 with IMAP over TLS, holding `users` (each with its own
    empty Maildir, all with `password`); SandboxError if it is not installed or does not start."""
    if not Path(DOVECOT).exists():
        raise SandboxError("Dovecot is not installed: apt-get install -y dovecot-imapd "
                           "(./dev test installs it)")
    from notifications.mailsink import free_port

    folder = Path(tempfile.mkdtemp(prefix="kvl-dovecot-"))
    os.chmod(folder, 0o755)
    me = os.getuid()
    mail_user = pwd.getpwuid(me) if me != 0 else pwd.getpwnam("nobody")
    home = folder / "home"
    home.mkdir()
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    ca = _certificate(folder)
    users_file = folder / "users"
    users_file.write_text("".join(f"{n}:{{PLAIN}}{password}::::::\n" for n in users), encoding="utf-8")
    os.chmod(users_file, 0o644)
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
  args = scheme=PLAIN username_format=%u {users_file}
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
    # (a pipe would never reach its end, and the caller would wait for ever).
    with open(folder / "start.log", "w") as out:
        started = subprocess.run([DOVECOT, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        raise SandboxError(f"Dovecot did not start: {(folder / 'start.log').read_text().strip()}")
    server = Dovecot(folder, config, port, ca, list(users), password)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise SandboxError(f"Dovecot did not listen on {port}")


def reply_to(invitation: bytes, partstat: str, when: dt.datetime, message_id_domain: str = "client.example.net") -> bytes:
    """The REPLY a calendar program mails for this invitation email (RFC 6047): the same UID,
    SEQUENCE and ATTENDEE (the invitation's recipient, from its To), METHOD:REPLY, to the
    invitation's From (the ORGANIZER). For the tests' full path and the replies demo."""
    import email
    import email.message
    import email.policy
    import email.utils
    import uuid

    from icalendar import Calendar, vCalAddress

    msg = email.message_from_bytes(invitation, policy=email.policy.default)
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    request = Calendar.from_ical(part.get_payload(decode=True))
    event = next(c for c in request.walk() if c.name == "VEVENT")
    me = email.utils.parseaddr(msg["To"])[1].lower()
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    mine = next(a for a in attendees if str(a).lower() == f"mailto:{me}")
    reply = Calendar()
    reply.add("PRODID", "-//kvalitetsloop//calendar client stand-in//DA")
    reply.add("VERSION", "2.0")
    reply.add("METHOD", "REPLY")
    answer = type(event)()
    for prop in ("UID", "SEQUENCE", "DTSTART", "DTEND", "ORGANIZER", "SUMMARY"):
        answer.add(prop, event[prop])
    attendee = vCalAddress(str(mine))
    attendee.params["CN"] = mine.params.get("CN", "")
    attendee.params["PARTSTAT"] = partstat
    answer.add("ATTENDEE", attendee)
    answer.add("DTSTAMP", when)
    reply.add_component(answer)
    out = email.message.EmailMessage()
    out["From"] = me
    out["To"] = email.utils.parseaddr(msg["From"])[1]  # the invitation's From is the ORGANIZER
    word = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}.get(partstat, partstat)
    out["Subject"] = f"{word}: {msg['Subject']}"
    out["Date"] = email.utils.format_datetime(when)
    out["Message-ID"] = f"<{uuid.uuid4().hex}@{message_id_domain}>"
    out.set_content(f"{word}.")
    out.add_alternative(reply.to_ical(), maintype="text", subtype="calendar", params={"method": "REPLY"})
    return out.as_bytes()
