"""Publishing to a real CalDAV server (Radicale, started here) and reading everything back."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import httpx
import icalendar
import pytest

from calendars.caldav_publish import PublishError, publish

USER, PASSWORD = "kvalitet", "hemmeligt"
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """Radicale on 127.0.0.1, no authentication, storage in a temporary folder."""
    folder = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    config = folder / "config"
    config.write_text(f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n"
                      f"[storage]\nfilesystem_folder = {folder / 'data'}\n[logging]\nlevel = warning\n")
    log = open(folder / "radicale.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)], stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("Radicale did not start: " + (folder / "radicale.log").read_text())
            time.sleep(0.1)
    # The user's principal exists on any real server; Radicale makes it at the user's first login.
    httpx.request("PROPFIND", f"http://127.0.0.1:{port}/{USER}/", auth=(USER, PASSWORD), headers={"Depth": "0"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def read_collection(url: str) -> dict[str, tuple[str, bytes]]:
    """Every resource of the collection: href -> (etag, calendar data), by one REPORT."""
    body = (b'<?xml version="1.0" encoding="utf-8"?>'
            b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            b'<D:prop><D:getetag/><C:calendar-data/></D:prop>'
            b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>'
            b'</C:calendar-query>')
    r = httpx.request("REPORT", url, content=body, auth=(USER, PASSWORD), timeout=120,
                      headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    assert r.status_code == 207, r.text
    out = {}
    for resp in ET.fromstring(r.content).iter(DAV + "response"):
        href = resp.findtext(DAV + "href")
        etag = resp.findtext(f".//{DAV}getetag")
        data = resp.findtext(f".//{CALDAV}calendar-data")
        out[href] = (etag, data.encode("utf-8"))
    return out


def by_uid(resources):
    out = {}
    for href, (etag, data) in resources.items():
        [ev] = icalendar.Calendar.from_ical(data).walk("VEVENT")
        assert str(ev["UID"]) not in out, "one resource per event, never a duplicate"
        out[str(ev["UID"])] = (href, etag, ev)
    return out


def test_publish_a_loop_then_move_and_cancel_and_publish_again(radicale, small_loop):
    url = f"{radicale}/{USER}/kvalitetsloop-0-6/"
    events = small_loop.events
    ctx = small_loop.ctx

    # 1. A whole loop into a collection that does not exist yet.
    report = publish(events, url, ctx, user=USER, password=PASSWORD)
    assert (report.created, report.updated, report.unchanged, report.cancelled) == (len(events), 0, 0, 0)
    first = by_uid(read_collection(url))
    assert set(first) == {e.uid for e in events}
    for e in events:
        _, _, ev = first[e.uid]
        assert int(ev["SEQUENCE"]) == e.sequence
        assert ev.decoded("DTSTART") == (e.start.date() if e.all_day else e.start)
        assert str(ev["STATUS"]) == "CONFIRMED"
        atts = ev.get("ATTENDEE", [])
        atts = atts if isinstance(atts, list) else [atts]
        if e.is_meeting:
            assert {str(a)[7:] for a in atts} == e.emails()
            # The server must not send invitations of its own: kvalitetsloop emails them.
            assert all(a.params["SCHEDULE-AGENT"] == "CLIENT" for a in atts)
            assert ev["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"
        else:
            assert atts == []

    # 2. The same again, later: nothing changes on the server, not even an ETag.
    later = ctx.with_now(ctx.now + dt.timedelta(days=3))
    report = publish(events, url, later, user=USER, password=PASSWORD)
    assert (report.created, report.updated, report.unchanged, report.cancelled) == (0, 0, len(events), 0)
    second = by_uid(read_collection(url))
    assert {u: (h, t) for u, (h, t, _) in second.items()} == {u: (h, t) for u, (h, t, _) in first.items()}

    # 3. Move a talk, cancel a one-to-one: the same two resources change, nothing else.
    talk = small_loop.one("learning_talk", "dt-005", 2)
    one = small_loop.one("one_to_one", "dt-001", 4)
    new_start = talk.start + dt.timedelta(days=7)
    moved = talk.with_changes(start=new_start, end=new_start + (talk.end - talk.start),
                              sequence=talk.sequence + 1, status="moved")
    cancelled = one.with_changes(sequence=one.sequence + 1, status="cancelled")
    changed = [moved if e.uid == talk.uid else cancelled if e.uid == one.uid else e for e in events]
    report = publish(changed, url, ctx.with_now(ctx.now + dt.timedelta(days=10)), user=USER, password=PASSWORD)
    assert (report.created, report.updated, report.unchanged, report.cancelled) == (0, 1, len(events) - 2, 1)
    assert report.uids["updated"] == [talk.uid] and report.uids["cancelled"] == [one.uid]
    third = by_uid(read_collection(url))
    assert len(third) == len(events)
    href, etag, ev = third[talk.uid]
    assert href == first[talk.uid][0], "a moved event updates the same resource"
    assert etag != first[talk.uid][1]
    assert ev.decoded("DTSTART") == new_start and int(ev["SEQUENCE"]) == talk.sequence + 1
    assert ev.decoded("DTSTAMP") == ctx.now + dt.timedelta(days=10)
    href, _, ev = third[one.uid]
    assert href == first[one.uid][0]
    assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) == one.sequence + 1
    for uid, (h, t, _) in third.items():
        if uid not in (talk.uid, one.uid):
            assert (h, t) == first[uid][:2], "untouched events keep their ETag"

    # 4. And once more: all unchanged, the cancelled one stays cancelled.
    report = publish(changed, url, ctx.with_now(ctx.now + dt.timedelta(days=11)), user=USER, password=PASSWORD)
    assert (report.created, report.updated, report.unchanged, report.cancelled) == (0, 0, len(events), 0)


def test_an_unreachable_server_is_one_clear_error(small_loop):
    with pytest.raises(PublishError, match="127.0.0.1"):
        publish(small_loop.events[:1], f"http://127.0.0.1:{_free_port()}/x/y/", small_loop.ctx)
