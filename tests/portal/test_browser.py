"""A board member's path in a real browser (Debian's Chromium, driven by Playwright): the
reminder's link from the email the SMTP server received, the statement written in Danish, the
receipt; then no more reminders, and the chief sees the statement on the talk's page.
Screenshots of each page go to var/test-artifacts/<test>/."""

from __future__ import annotations

import datetime as dt
import json
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


def _labelled(page) -> None:
    """Every field a person fills in has a label (what a screen reader reads out)."""
    for field in page.locator("input:not([type=hidden]), textarea, select").all():
        fid = field.get_attribute("id")
        assert fid and page.locator(f'label[for="{fid}"]').count() == 1, fid


def test_a_leader_a_board_and_the_data_team_use_their_pages(portal, browser, artifacts):
    from tests.portal.test_followup import _followup_reminder
    from tests.portal.test_youth_supervision import reminded

    with engine_for(portal.db).begin() as c:
        c.execute(sa.text("update loop set themes = :t"), {"t": '["Sprog og kommunikation", "Trivsel og fællesskaber"]'})
    # The leader after talk 1: two focus areas, each within a theme, and the children's perspective.
    link, unit_id = _followup_reminder(portal, 1)
    page = browser.new_page(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page.goto(link)
    _labelled(page)
    page.get_by_label("Fokusområde 1", exact=True).fill("Sproglig opmærksomhed i hverdagens rutiner")
    page.get_by_label("Tema for fokusområde 1").select_option("Sprog og kommunikation")
    page.get_by_label("Fokusområde 2", exact=True).fill("Fællesskaber på tværs af stuerne")
    page.get_by_label("Tema for fokusområde 2").select_option("Trivsel og fællesskaber")
    page.get_by_label("Sådan inddrages børnenes perspektiv").fill("Børnene tegner og fortæller om deres dag; "
                                                                  "vi lytter efter, hvad de glæder sig over.")
    page.get_by_label("Beslutninger").fill("Alle stuer arbejder med dialogisk læsning.")
    page.screenshot(path=str(artifacts / "1-opfoelgning.png"), full_page=True)
    page.get_by_role("button", name="Send skemaet").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Tak – opfølgningen er registreret"
    page.screenshot(path=str(artifacts / "2-opfoelgning-kvittering.png"), full_page=True)

    # A self-owned daycare's board: the supervision report.
    page.goto(reminded(portal, "supervision_report_due", 21, "/tilsyn/")[0])
    _labelled(page)
    for label, text in (("Basistilsynet", "Ingen bemærkninger."), ("Kommunale retningslinjer", "Følges."),
                        ("Det pædagogiske tilsyn", "Læreplanen er evalueret sammen med forældrene.")):
        page.get_by_label(label, exact=True).fill(text)
    page.screenshot(path=str(artifacts / "3-tilsyn.png"), full_page=True)
    page.get_by_role("button", name="Send afrapporteringen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Tak – tilsynsafrapporteringen er modtaget"
    page.screenshot(path=str(artifacts / "4-tilsyn-kvittering.png"), full_page=True)

    # The data team marks a package ready from the link in its request.
    with engine_for(portal.db).connect() as c:
        trigger = min(json.loads(d)["trigger_date"] if isinstance(d, str) else d["trigger_date"] for d in
                      c.execute(sa.text("select details from event where kind='data_package' and number=2")).scalars())
    portal.dispatch(dt.datetime.combine(dt.date.fromisoformat(trigger), dt.time(9, 0), CPH))
    request = portal.mails("data_package_trigger")[-1]
    desk = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    desk.goto(link_in(request, "/datapakker/"))
    _labelled(desk)
    desk.screenshot(path=str(artifacts / "5-datapakker.png"), full_page=True)
    first = desk.locator("tbody tr").first
    unit = re.search(r"Meld (\S+) klar", first.inner_text()).group(1)
    number = first.locator("td").nth(1).inner_text().strip()
    first.get_by_label("Link til pakken").fill("https://lis.example.dk/pakke/2")
    first.get_by_role("button", name=f"Meld {unit} klar").click()
    assert f"Datapakke {unit}-{number} er meldt klar" in desk.inner_text("main")
    desk.screenshot(path=str(artifacts / "6-datapakker-klar.png"), full_page=True)
