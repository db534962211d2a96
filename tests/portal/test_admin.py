"""The administration pages over HTTP on a real port: the login (argon2 hashes, a wrong password,
failed attempts limited, a cross-site post, a forged or expired session), the loop, the overdue
list, a unit, a chief, the reports as page, CSV and PDF, and the outbox's retry and give-up."""

from __future__ import annotations

import datetime as dt
import io
import re

import httpx
import pypdf
import pytest
import sqlalchemy as sa

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.usecases.admins import add_user
from storage.db import engine_for
from tests.notifications.conftest import CPH, LOOP_ID

USER, PASSWORD = "anna.admin@aarhus.example.dk", "Kvalitet-i-børnehøjde-2027"


@pytest.fixture
def admin(portal):
    add_user(unit_of_work_for(portal.db), USER, PASSWORD, portal.clock.now)
    return portal


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, html
    return found.group(1)


def login(client: httpx.Client, base: str, password: str = PASSWORD, user: str = USER) -> httpx.Response:
    page = client.get(f"{base}/admin/login")
    return client.post(f"{base}/admin/login", data={"form_id": _hidden(page.text, "form_id"),
                                                   "csrf": _hidden(page.text, "csrf"), "next": "/admin",
                                                   "username": user, "password": password})


def test_pages_need_a_login_and_a_wrong_password_is_refused(admin):
    with httpx.Client(timeout=30) as c:
        r = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/forsinket")
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
        r = login(c, admin.base, password="forkert-kodeord-123")
        assert r.status_code == 401 and "Brugernavnet eller adgangskoden er forkert." in r.text
        assert "kvl_admin" not in c.cookies
        r = login(c, admin.base)
        assert r.status_code == 303 and r.headers["location"] == "/admin"
        assert c.get(f"{admin.base}/admin").status_code == 200
    # A forged cookie (another name, the same signature) is no session.
    name, expires, nonce, sig = c.cookies["kvl_admin"].split("|")
    with httpx.Client(timeout=30, cookies={"kvl_admin": f"eve@example.dk|{expires}|{nonce}|{sig}"}) as other:
        assert other.get(f"{admin.base}/admin").status_code == 303


def test_failed_logins_are_limited_even_for_the_right_password_afterwards(admin):
    with httpx.Client(timeout=30) as c:
        for _ in range(5):
            assert login(c, admin.base, password="gæt-et-kodeord-0000").status_code == 401
        r = login(c, admin.base)
        assert r.status_code == 429 and "For mange forkerte forsøg" in r.text


def test_a_cross_site_login_post_or_one_without_the_token_is_refused(admin):
    with httpx.Client(timeout=30) as c:
        page = c.get(f"{admin.base}/admin/login")
        data = {"form_id": _hidden(page.text, "form_id"), "csrf": _hidden(page.text, "csrf"), "username": USER,
                "password": PASSWORD}
        r = c.post(f"{admin.base}/admin/login", data=data, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        r = c.post(f"{admin.base}/admin/login", data={**data, "csrf": "0" * 64})
        assert r.status_code == 403 and "kvl_admin" not in c.cookies


def test_a_session_expires_after_eight_hours(admin):
    with httpx.Client(timeout=30) as c:
        assert login(c, admin.base).status_code == 303
        assert c.get(f"{admin.base}/admin").status_code == 200
        admin.clock.now += dt.timedelta(hours=8, minutes=1)
        assert c.get(f"{admin.base}/admin").status_code == 303


def test_the_loop_the_overdue_list_a_unit_a_chief_and_the_reports(admin):
    admin.clock.now = dt.datetime(2027, 9, 1, 9, 0, tzinfo=CPH)
    with httpx.Client(timeout=60) as c:
        login(c, admin.base)
        loops = c.get(f"{admin.base}/admin")
        assert f'href="/admin/loop/{LOOP_ID}"' in loops.text
        loop = c.get(f"{admin.base}/admin/loop/{LOOP_ID}")
        assert loop.status_code == 200 and "Fase nu" in loop.text and "Det næste" in loop.text
        overdue = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/forsinket")
        # Nothing was submitted: every data package due before 1 September is overdue, with its days.
        with engine_for(admin.db).connect() as conn:
            starts = conn.execute(sa.text("select start from event where kind='data_package'")).scalars().all()
        due = [dt.datetime.fromisoformat(str(s)).replace(tzinfo=dt.timezone.utc).astimezone(CPH).date()
               for s in starts]
        passed = [d for d in due if d < admin.clock.now.date()]
        assert passed and overdue.text.count("Datapakke ") == len(passed)
        oldest = min(passed)
        assert f"<td>{oldest.isoformat()}</td><td>{(admin.clock.now.date() - oldest).days}</td>" in overdue.text
        unit = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/enhed/dt-001")
        assert unit.status_code == 200 and "De to år" in unit.text and unit.text.count("<tr>") > 20
        chief = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/chef/chief-01@example.dk")
        assert chief.status_code == 200 and "Denne uge" in chief.text
        assert c.get(f"{admin.base}/admin/loop/{LOOP_ID}/enhed/nope").status_code == 404
        assert 'src="/admin/loop/0-6-2027-04-28/aarshjul.svg?aar=1"' in loop.text
        wheel = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/aarshjul.svg?aar=1&enhed=dt-001")
        assert wheel.headers["content-type"].startswith("image/svg+xml") and "<title" in wheel.text
        page = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/rapport/meeting-cost")
        assert page.status_code == 200 and "Timer pr. chef" in page.text
        compared = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/rapport/meeting-cost?sammenlign=albertslund")
        assert compared.status_code == 200 and "Sparede timer" in compared.text
        assert c.get(f"{admin.base}/admin/loop/{LOOP_ID}/rapport/meeting-cost?sammenlign=../x").status_code == 404
        pdf = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/rapport/status?format=pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Status for loopet" in text and "Aarhus Kommune" in text
        csv_ = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/rapport/status?format=csv")
        assert csv_.headers["content-type"].startswith("text/csv") and "Pr. enhed" in csv_.text


def test_the_outbox_retries_and_gives_up_a_failed_email(admin):
    with engine_for(admin.db).begin() as conn:
        now = dt.datetime(2027, 3, 1, 8, 0)
        for i in (1, 2):
            conn.execute(sa.text(
                "insert into outbox (key, kind, recipient, subject, message_id, context, status, attempts, due_at, "
                "created_at, next_attempt_at, updated_at, last_error) values (:k, 'invitation', :r, 'Invitation', :m, "
                "'{}', 'failed', 8, :t, :t, :t, :t, '550 mailbox unavailable')"),
                {"k": f"k{i}", "r": f"leder{i}@example.dk", "m": f"<m{i}@x>", "t": now})
    with httpx.Client(timeout=30) as c:
        login(c, admin.base)
        page = c.get(f"{admin.base}/admin/udbakke?status=failed")
        assert "leder1@example.dk" in page.text and "550 mailbox unavailable" in page.text
        ids = re.findall(r'id="r(\d+)"', page.text)
        fields = {"form_id": _hidden(page.text, "form_id"), "csrf": _hidden(page.text, "csrf"), "status": "failed"}
        assert c.post(f"{admin.base}/admin/udbakke/{ids[0]}/prov-igen", data={**fields, "csrf": "x"}).status_code == 403
        assert c.post(f"{admin.base}/admin/udbakke/{ids[0]}/prov-igen", data=fields).status_code == 303
        assert c.post(f"{admin.base}/admin/udbakke/{ids[1]}/opgiv", data=fields).status_code == 303
    with engine_for(admin.db).connect() as conn:
        states = dict(conn.execute(sa.text("select recipient, status || ':' || attempts from outbox "
                                           "where key in ('k1','k2')")).all())
    retried = "leder1@example.dk" if states["leder1@example.dk"].startswith("pending") else "leder2@example.dk"
    assert sorted(states.values()) == ["given_up:8", "pending:0"] and states[retried] == "pending:0"


def test_the_year_wheel_downloads_as_a_png_as_well(admin):
    from PIL import Image

    with httpx.Client(timeout=60) as c:
        login(c, admin.base)
        loop = c.get(f"{admin.base}/admin/loop/{LOOP_ID}")
        assert f'href="/admin/loop/{LOOP_ID}/aarshjul.png?aar=1"' in loop.text
        r = c.get(f"{admin.base}/admin/loop/{LOOP_ID}/aarshjul.png?aar=1")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
        image = Image.open(io.BytesIO(r.content))
        assert image.size == (1600, 1600)
        # Drawn, not blank: the rings, marks and month names give many colours, and the rim's
        # milestone orange (#b35c00) is there.
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert len(colours) > 50
        assert any(abs(r - 0xb3) < 8 and abs(g - 0x5c) < 8 and b < 8 for _, (r, g, b) in colours)
        assert c.get(f"{admin.base}/admin/loop/{LOOP_ID}/aarshjul.gif?aar=1").status_code == 404
    with httpx.Client(timeout=30) as anonymous:
        assert anonymous.get(f"{admin.base}/admin/loop/{LOOP_ID}/aarshjul.png").status_code == 303


def test_a_comparison_that_takes_long_is_made_beside_the_page_which_reloads_until_it_is_ready(admin, monkeypatch):
    """Planning a national organisation under two frameworks takes seconds; the page answers at
    once that the comparison is under way (and reloads itself), then shows it; the downloads wait
    for it. Here the page waits no time at all, so even a municipality's comparison is 'under way'."""
    import time

    import kvalitetsloop.reports.compare
    import portal.routes_admin

    monkeypatch.setattr(portal.routes_admin, "WAIT_SECONDS", 0.0)
    made = []
    real = kvalitetsloop.reports.compare.compare_frameworks
    monkeypatch.setattr(kvalitetsloop.reports.compare, "compare_frameworks",
                        lambda *a, **k: made.append(1) or real(*a, **k))
    url = f"{admin.base}/admin/loop/{LOOP_ID}/rapport/meeting-cost?sammenlign=albertslund"
    with httpx.Client(timeout=60) as c:
        login(c, admin.base)
        t0 = time.monotonic()
        first = c.get(url)
        assert time.monotonic() - t0 < 1
        assert first.status_code == 200 and "Sparede timer" not in first.text
        assert "Sammenligningen med rammen albertslund beregnes" in first.text
        assert '<meta http-equiv="refresh" content="2">' in first.text
        for _ in range(100):
            page = c.get(url)
            if "beregnes" not in page.text:
                break
            time.sleep(0.1)
        assert "Sparede timer" in page.text and "refresh" not in page.text
        csv_ = c.get(url + "&format=csv")
        assert csv_.status_code == 200 and "Sparede timer" in csv_.text
    # Made once: the organisation was planned under both frameworks once for all these requests.
    assert len(made) == 1


def test_comparisons_are_made_once_per_state_and_their_errors_said_to_every_ask():
    import threading

    from portal.comparisons import Comparisons

    made, gate = [], threading.Event()

    def slow():
        made.append(1)
        gate.wait(5)
        return "the comparison"

    c = Comparisons()
    assert c.ask(("loop", "fw", 1), slow, wait=0.01) is None
    assert c.ask(("loop", "fw", 1), slow, wait=0.01) is None  # still under way: not started again
    gate.set()
    assert c.ask(("loop", "fw", 1), slow, wait=5) == "the comparison"
    assert len(made) == 1
    assert c.ask(("loop", "fw", 2), lambda: "new state", wait=5) == "new state"  # a new state: made again

    from kvalitetsloop.errors import UserError

    def mistaken():
        made.append(1)
        raise UserError("the framework 'x' has no area '0-6'")

    for _ in range(2):  # a mistake is the answer for this state: said to every ask, made once
        with pytest.raises(UserError, match="has no area"):
            c.ask(("loop", "other", 1), mistaken, wait=5)
    assert len(made) == 2

    tries = []

    def busy_then_fine():
        tries.append(1)
        if len(tries) == 1:
            raise RuntimeError("database is locked")
        return "made on the second try"

    with pytest.raises(RuntimeError, match="locked"):  # said to the ask that waited for it ...
        c.ask(("loop", "busy", 1), busy_then_fine, wait=5)
    assert c.ask(("loop", "busy", 1), busy_then_fine, wait=5) == "made on the second try"  # ... and tried again


def test_a_comparison_is_made_again_when_the_organisation_or_the_holidays_change(small_loop):
    """A comparison plans the whole organisation with the holidays: a unit added (which changes no
    planned event) or a closing week imported makes the kept one stale."""
    from pathlib import Path

    from kvalitetsloop.reports.compare import comparison_state
    from kvalitetsloop.usecases.organisation import import_holidays, import_organisation
    from tests.conftest import EXAMPLE_ORG, FRAMEWORKS

    state = lambda: comparison_state(unit_of_work_for(small_loop), Path(FRAMEWORKS), "albertslund")  # noqa: E731
    before = state()
    assert state() == before
    lines = EXAMPLE_ORG.read_text(encoding="utf-8").splitlines()
    new_unit = lines[1].replace("dt-001,", "dt-901,", 1)
    import_organisation(unit_of_work_for(small_loop), "\n".join([*lines, new_unit]) + "\n",
                        dt.datetime(2027, 3, 1, 9, 0, tzinfo=CPH))
    after_unit = state()
    assert after_unit != before
    import_holidays(unit_of_work_for(small_loop), "calendar,name,start,end\naarhus-dagtilbud,Lukkedag,2027-10-15,2027-10-15\n",
                    Path(FRAMEWORKS))
    assert state() != after_unit
