"""A received invitation, a later update and a cancellation, fed to `xandikos import-imip`, move
and then cancel one event in a real calendar server's store."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from icalendar import Calendar

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for

from kvalitetsloop.usecases import events as event_cases, loops as loop_cases
from tests.notifications.conftest import run_dispatch
from tests.conftest import FRAMEWORKS
from tests.notifications.conftest import CPH, LOOP_ID, at, settings_for

XANDIKOS = Path(sys.executable).parent / "xandikos"
FIRST = at("2027-04-09T09:00")


def _import(store: Path, data: bytes) -> None:
    proc = subprocess.run([str(XANDIKOS), "import-imip", "-d", str(store), "--autocreate", "--principal", "/user/"],
                          input=data, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Skipping auto-submitted" not in proc.stderr


def _stored(store: Path, uid: str):
    for path in (store / "user" / "calendars" / "calendar").glob("*.ics"):
        cal = Calendar.from_ical(path.read_bytes())
        for ev in cal.walk("VEVENT"):
            if str(ev["UID"]) == uid:
                return ev
    return None


@pytest.mark.skipif(not XANDIKOS.exists(), reason="xandikos is not installed")
def test_request_update_cancel_move_and_cancel_the_event_in_xandikos(small_loop, smtp, tmp_path):
    settings = settings_for(smtp.port)
    run_dispatch(small_loop, FIRST, settings)
    chief_invites = [m for m in smtp.messages if m.message["X-Kvalitetsloop-Kind"] == "invitation"
                     and m.rcpt_tos[0].startswith("chief-")]
    first = chief_invites[0]
    uid = first.message["X-Kvalitetsloop-Event"]
    who = first.rcpt_tos[0]
    view = loop_cases.view_loop(uow_for(small_loop), LOOP_ID)
    talk = next(e for e in view.events if e.uid == uid)
    new_start = talk.start + dt.timedelta(days=7)
    event_cases.move_event(uow_for(small_loop), FRAMEWORKS, uid, new_start.isoformat(), FIRST + dt.timedelta(days=1), force=True)
    run_dispatch(small_loop, FIRST + dt.timedelta(days=1, hours=1), settings)
    event_cases.cancel_event(uow_for(small_loop), uid, FIRST + dt.timedelta(days=2))
    run_dispatch(small_loop, FIRST + dt.timedelta(days=2, hours=1), settings)

    mine = [m for m in smtp.messages if m.rcpt_tos == [who] and m.message["X-Kvalitetsloop-Event"] == uid]
    methods = [m.message.get_body(("calendar",)) for m in mine]
    assert len(mine) == 3, [m.message["Subject"] for m in mine]
    assert [p.get_param("method") for p in methods] == ["REQUEST", "REQUEST", "CANCEL"]
    assert mine[1].message["Subject"].startswith("Flyttet:") and mine[2].message["Subject"].startswith("Aflyst:")

    store = tmp_path / "xandikos"
    _import(store, mine[0].data)
    ev = _stored(store, uid)
    assert ev is not None and ev.decoded("DTSTART").astimezone(CPH) == talk.start.astimezone(CPH)
    assert int(ev["SEQUENCE"]) == 0
    _import(store, mine[1].data)
    ev = _stored(store, uid)
    assert ev.decoded("DTSTART").astimezone(CPH) == new_start.astimezone(CPH) and int(ev["SEQUENCE"]) == 1
    _import(store, mine[2].data)
    ev = _stored(store, uid)
    assert str(ev["STATUS"]).upper() == "CANCELLED"
    assert b"SEQUENCE:2" in methods[2].get_payload(decode=True)
    assert len(list((store / "user" / "calendars" / "calendar").glob("*.ics"))) == 1
