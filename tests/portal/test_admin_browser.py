"""An administrator's path in a real browser (Debian's Chromium via Playwright, no JavaScript):
log in, open the loop and its overdue list, open a unit, download the committee overview as PDF
and read its text. A wrong password first. Screenshots go to var/test-artifacts/<test>/."""

from __future__ import annotations

import datetime as dt
import re

import pypdf

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.usecases.admins import add_user
from tests.notifications.conftest import CPH, LOOP_ID
from tests.portal.test_browser import artifacts, browser  # noqa: F401 (fixtures)
from tests.reports.helpers import THEMES, record_followup, set_themes

USER, PASSWORD = "anna.admin@aarhus.example.dk", "Kvalitet-i-børnehøjde-2027"


def test_an_administrator_finds_the_overdue_and_downloads_the_committee_overview(portal, browser, artifacts):
    add_user(unit_of_work_for(portal.db), USER, PASSWORD, portal.clock.now)
    set_themes(portal.db)
    record_followup(portal.db, "dt-002", 1, dt.datetime(2027, 6, 20, 12, 0, tzinfo=CPH), decisions="Sprog først.",
                    focus_theme=[THEMES[0]], focus_title=["Højtlæsning på tværs af stuerne – også for de ældste"],
                    children_perspective="Børnemøder.")
    portal.clock.now = dt.datetime(2027, 9, 1, 9, 0, tzinfo=CPH)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK", java_script_enabled=False,
                              accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{portal.base}/admin/loop/{LOOP_ID}")
    page.wait_for_url(re.compile(r".*/admin/login\?next=.*"))
    page.get_by_label("Brugernavn").fill(USER)
    page.get_by_label("Adgangskode").fill("forkert-kodeord")
    page.get_by_role("button", name="Log ind").click()
    assert "Brugernavnet eller adgangskoden er forkert." in page.inner_text("main")
    page.get_by_label("Brugernavn").fill(USER)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(rf".*/admin/loop/{LOOP_ID}$"))
    assert page.get_by_role("heading", level=1).inner_text() == f"Loop {LOOP_ID}"
    page.screenshot(path=str(artifacts / "1-loop.png"), full_page=True)

    page.get_by_role("link", name=re.compile(r"frister er overskredet")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Forsinket"
    rows = page.locator("tbody tr")
    assert rows.count() > 0
    days = [int(rows.nth(i).locator("td").nth(4).inner_text()) for i in range(rows.count())]
    assert days == sorted(days, reverse=True)
    page.screenshot(path=str(artifacts / "2-forsinket.png"), full_page=True)
    rows.first.get_by_role("link").click()
    assert "De to år" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "3-enhed.png"), full_page=True)

    page.goto(f"{portal.base}/admin/loop/{LOOP_ID}/rapport/committee")
    assert "Højtlæsning på tværs af stuerne" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "4-udvalgsoversigt.png"), full_page=True)
    with page.expect_download() as dl:
        page.get_by_role("link", name="PDF").first.click()
    path = artifacts / "udvalgsoversigt.pdf"
    dl.value.save_as(str(path))
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages).split())
    assert "Aarhus Kommune" in text and f"Tema: {THEMES[0]}" in text
    assert "Højtlæsning på tværs af stuerne – også for de ældste" in text
    ctx.close()
