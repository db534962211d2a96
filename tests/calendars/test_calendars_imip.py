"""A real iMIP receiver: `xandikos import-imip` applies REQUEST -> moved REQUEST -> CANCEL.

xandikos reads one RFC 5322 email on stdin, stores the text/calendar part in the principal's
schedule inbox and applies it to the principal's default calendar (REQUEST: create or update by
UID; CANCEL: mark STATUS:CANCELLED). Its calendars are folders of .ics files under git.
"""

from __future__ import annotations

import datetime as dt
import email.message
import email.policy
import shutil
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from calendars import changes


def _xandikos() -> list[str]:
    exe = shutil.which("xandikos", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "xandikos"]


def _deliver(root: Path, inv, n: int) -> None:
    """Wrap the iTIP body the way an iMIP email carries it and hand it to xandikos."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "kvalitet@aarhus.example.dk"
    msg["To"] = inv.recipients[0]
    msg["Subject"] = inv.summary
    msg["Message-ID"] = f"<imip-{n}@kvalitetsloop.test>"
    msg.set_content(inv.ics.decode("utf-8"), subtype="calendar", charset="utf-8", params={"method": inv.method})
    r = subprocess.run([*_xandikos(), "import-imip", "-d", str(root), "--autocreate", "--principal", "/user/"],
                       input=msg.as_bytes(), capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()


def _calendar(root: Path) -> list:
    """The VEVENTs in the principal's default calendar."""
    files = sorted((root / "user" / "calendars" / "calendar").glob("*.ics"))
    out = []
    for f in files:
        out += icalendar.Calendar.from_ical(f.read_bytes()).walk("VEVENT")
    return out


@pytest.mark.parametrize("kind,unit", [("learning_talk", "dt-001"), ("one_to_one", "dt-003")])
def test_request_then_moved_request_then_cancel_ends_moved_and_cancelled_once(tmp_path, loop06, kind, unit):
    meeting = loop06.one(kind, unit, 2)
    ctx = loop06.ctx
    new_start = meeting.start + dt.timedelta(days=1, hours=1)
    moved = meeting.with_changes(start=new_start, end=new_start + (meeting.end - meeting.start),
                                 sequence=meeting.sequence + 1, status="moved")
    cancelled = moved.with_changes(sequence=moved.sequence + 1, status="cancelled")

    [created] = changes.messages_for_change(meeting, "created", ctx)
    _deliver(tmp_path, created, 1)
    [ev] = _calendar(tmp_path)
    assert str(ev["UID"]) == meeting.uid and ev.decoded("DTSTART") == meeting.start

    [update] = changes.messages_for_change(moved, "moved", ctx.with_now(ctx.now + dt.timedelta(days=1)))
    _deliver(tmp_path, update, 2)
    [ev] = _calendar(tmp_path)  # updated in place, not a second copy
    assert ev.decoded("DTSTART") == new_start
    assert ev.decoded("DTEND") == moved.end
    assert int(ev["SEQUENCE"]) == moved.sequence
    assert str(ev.get("STATUS", "CONFIRMED")) == "CONFIRMED"

    [cancel] = changes.messages_for_change(cancelled, "cancelled", ctx.with_now(ctx.now + dt.timedelta(days=2)))
    _deliver(tmp_path, cancel, 3)
    [ev] = _calendar(tmp_path)
    assert str(ev["UID"]) == meeting.uid
    assert ev.decoded("DTSTART") == new_start, "cancelled where it was moved to"
    assert str(ev["STATUS"]) == "CANCELLED"
    # All three messages reached the inbox.
    assert len(list((tmp_path / "user" / "inbox").glob("*.ics"))) == 3
