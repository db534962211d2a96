"""The demo's calendar replies: `./dev demo-replies`, after `./dev demo`.

The demo sent its invitations to a local mail sink (var/mail). Here each invited person answers
as their calendar program would (a METHOD:REPLY to the organiser, RFC 6047): most accept, some
answer tentatively, a few decline, some never answer. The answers are put in the organiser's
mailbox on a throwaway IMAP server (Dovecot on 127.0.0.1, notifications.imap_sandbox), and
`kvalitetsloop replies fetch` reads them, exactly as it would read the municipality's mailbox.
Then `report replies` and one unit's answers show what was recorded; the notices about declines
go to the demo's mail sink (var/mail) like its other emails.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import os
import ssl
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "var" / "demo.sqlite"
MAIL = ROOT / "var" / "mail"
LOOP = "0-6-2027-04-28"
NOW = "2027-08-10T10:00:00+02:00"
UNIT = "dt-003"
USER, PASSWORD = "kvalitet", "demo-kodeord"
KVALITETSLOOP = ROOT / ".venv" / "bin" / "kvalitetsloop"


def _answer(name: str) -> str | None:
    """A fixed answer per invitation file (the same on every run): 80 % accept, 8 % tentative,
    4 % decline, 8 % never answer."""
    n = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 100
    return "ACCEPTED" if n < 80 else "TENTATIVE" if n < 88 else "DECLINED" if n < 92 else None


def _invitations() -> list[tuple[str, bytes, dt.datetime]]:
    out = []
    for path in sorted(MAIL.glob("*.eml")):
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if msg["X-Kvalitetsloop-Kind"] != "invitation":
            continue
        part = next((p for p in msg.walk() if p.get_content_type() == "text/calendar"), None)
        if part is None or "METHOD:REQUEST" not in part.get_content():
            continue
        out.append((path.name, raw, email.utils.parsedate_to_datetime(msg["Date"])))
    return out


def main() -> int:
    from imap_tools import MailBox

    from notifications.imap_sandbox import SandboxError, reply_to, start_dovecot
    from notifications.mailsink import free_port, start_controller

    if not DB.exists() or not MAIL.is_dir():
        print("There is no demo to answer: run ./dev demo first (it writes var/demo.sqlite and var/mail).",
              file=sys.stderr)
        return 1
    invitations = _invitations()
    try:
        server = start_dovecot([USER], PASSWORD)
    except SandboxError as exc:
        print(f"{exc}.", file=sys.stderr)
        return 1
    # The notices about declines go to the demo's mail sink, like every email of the demo.
    port = free_port()
    sink = start_controller(MAIL, port=port)
    try:
        answers = {"ACCEPTED": 0, "TENTATIVE": 0, "DECLINED": 0, None: 0}
        context = ssl.create_default_context(cafile=str(server.ca_file))
        with MailBox("127.0.0.1", server.port, ssl_context=context).login(USER, PASSWORD) as box:
            for name, raw, sent in invitations:
                answer = _answer(name)
                answers[answer] += 1
                if answer is not None:
                    box.append(reply_to(raw, answer, sent + dt.timedelta(hours=2)), "INBOX")
        print(f"{len(invitations)} invitations in var/mail: {answers['ACCEPTED']} accepted, "
              f"{answers['TENTATIVE']} tentative, {answers['DECLINED']} declined, {answers[None]} not answered; "
              f"the answers are in the organiser's mailbox on a local IMAP server (port {server.port}).")
        env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": f"sqlite:///{DB}",
               "KVALITETSLOOP_IMAP_HOST": "127.0.0.1", "KVALITETSLOOP_IMAP_PORT": str(server.port),
               "KVALITETSLOOP_IMAP_USER": USER, "KVALITETSLOOP_IMAP_PASSWORD": PASSWORD,
               "KVALITETSLOOP_IMAP_CA_FILE": str(server.ca_file),
               "KVALITETSLOOP_SMTP_HOST": "127.0.0.1", "KVALITETSLOOP_SMTP_PORT": str(port),
               "KVALITETSLOOP_SMTP_TLS": "none"}
        for args in (["replies", "fetch", "--now", NOW], ["report", "replies", LOOP],
                     ["loop", "show", LOOP, "--unit", UNIT]):
            print(f"\n$ kvalitetsloop {' '.join(args)}", flush=True)
            proc = subprocess.run([str(KVALITETSLOOP), *args], env=env, capture_output=True, text=True)
            lines = proc.stdout.splitlines()
            # The fetch lists every answer it recorded (hundreds here): its summary is enough.
            shown = [l for l in lines if not l.startswith("  recorded:")] if args[0] == "replies" else lines
            print("\n".join(shown))
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr, end="")
                return 1
    finally:
        sink.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
