"""A board member's path in a real browser (Debian's Chromium, driven by Playwright): the
reminder's link from the email the SMTP server received, the statement written in Danish, the
receipt; then no more reminders, and the chief sees the statement on the talk's page.
Screenshots of each page go to var/test-artifacts/<test>/."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import engine_for
from tests.conftest import ROOT, Cli
from tests.notifications.conftest import CPH, smtp_env  # noqa: F401 (fixture)
from tests.portal.conftest import deadline_of, link_in

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STATEMENT = ("Bestyrelsen på Æblegården støtter fokusområdet om sprog. Forældrene ønsker, at børnenes "
             "trivsel følges tæt i overgangen til skole – især for de yngste. Vi bør mødes igen før sommerferien.")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("KVALITETSLOOP_REQUIRE_CHROMIUM") == "1":
            pytest.fail("the browser tests are mandatory here but chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def artifacts(request) -> Path:
    path = ROOT / "var" / "test-artifacts" / re.sub(r"[^\w.-]", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def test_a_board_member_answers_the_reminder_on_a_phone(portal, browser, artifacts, smtp_env, tmp_path):
    smtp_env(portal.smtp.port, base_url=portal.base)
    cli = Cli(portal.db, tmp_path)
    due, unit_id, _ = deadline_of(portal.db, "board_statement_due", 2)
    first = dt.datetime.combine(due - dt.timedelta(days=21), dt.time(9, 0), CPH)
    cli("dispatch", "--now", first.isoformat())
    board = f"bestyrelse-{unit_id}@example.dk"
    reminders = portal.mails("board_statement_reminder", board)
    assert len(reminders) == 1
    link = link_in(reminders[0], "/udtalelse/")
    portal.clock.now = first + dt.timedelta(hours=2)

    # A phone-sized window: the board member opens the link from the email.
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="da-DK", java_script_enabled=False)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_role("heading", level=1).inner_text() == "Bestyrelsens udtalelse før læringssamtale 2"
    page.screenshot(path=str(artifacts / "1-udtalelse.png"), full_page=True)
    # Found by its label, typed, and sent with the keyboard.
    page.get_by_label("Udtalelse", exact=True).fill(STATEMENT)
    page.get_by_role("button", name="Send udtalelsen").press("Enter")
    page.wait_for_url(re.compile(r".*/kvittering$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Tak – udtalelsen er modtaget"
    assert "Æblegården" in page.locator(".quote").inner_text() and "trivsel følges tæt" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "2-kvittering.png"), full_page=True)

    # The next dispatch sends no reminder for that deadline (the receipt, yes).
    cli("dispatch", "--now", (first + dt.timedelta(hours=3)).isoformat())
    cli("dispatch", "--now", dt.datetime.combine(due - dt.timedelta(days=10), dt.time(9, 0), CPH).isoformat())
    assert len(portal.mails("board_statement_reminder", board)) == 1
    receipt = portal.mails("board_statement_receipt", board)
    assert len(receipt) == 1 and "Æblegården" in receipt[0].get_body(("plain",)).get_content()

    # The chief opens the talk (their personal link) and sees the statement as data D.
    with engine_for(portal.db).connect() as c:
        talk_uid, chief = c.execute(sa.text(
            "select e.uid, a.email from event e join attendee a on a.event_id = e.id where e.kind='learning_talk' "
            "and e.number=2 and e.unit_id=:u and a.role='chief'"), {"u": unit_id}).one()
    personal = cli("link", "person", chief).stdout.split()[1]
    page = browser.new_page(viewport={"width": 1024, "height": 900}, java_script_enabled=False)
    page.goto(personal)
    page.locator(f'a[href$="/samtale/{talk_uid}"]').click()
    basis_d = page.locator("section", has=page.get_by_role("heading", name="D. Input fra forældre og bestyrelse"))
    assert "Æblegården støtter fokusområdet om sprog" in basis_d.inner_text()
    page.screenshot(path=str(artifacts / "3-samtalens-datagrundlag.png"), full_page=True)
