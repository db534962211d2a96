"""An administrator starts the demo's loop and updates the organisation in a real browser
(Debian's Chromium via Playwright, no JavaScript, a phone's screen), on an empty database on
2 November 2026: a file with a mistake is refused with its line and column and nothing is stored;
the good file is previewed (milestones, a row per chief) and started; then a file without two
units shows them and the events to be cancelled, and applying it takes them out of the loop; the
whole file again restores them, and the loop's page plans one back in after a preview.
Screenshots go to var/test-artifacts/<test>/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.usecases.admins import add_user
from notifications.mailsink import free_port
from storage.db import engine_for
from tests.conftest import ROOT
from tests.notifications.conftest import CPH, settings_for
from tests.portal.conftest import Clock, serve
from tests.portal.test_browser import artifacts, browser  # noqa: F401 (fixtures)

USER, PASSWORD = "anna.admin@aarhus.example.dk", "Kvalitet-i-børnehøjde-2027"
LOOP = "0-6-2027-04-28"
GONE = ("dt-002", "dt-003")


@pytest.fixture
def empty_portal(tmp_path):
    from portal.app import create_app

    url = f"sqlite:///{tmp_path / 'admin.sqlite'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = Clock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=CPH))
    server, thread = serve(create_app(settings_for(free_port(), database_url=url, base_url=base), clock), port)
    add_user(unit_of_work_for(url), USER, PASSWORD, clock.now)
    try:
        yield base, url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _rows(url: str, sql: str, **params) -> list:
    with engine_for(url).connect() as c:
        return c.execute(sa.text(sql), params).all()


def test_an_administrator_starts_a_loop_and_updates_the_organisation(empty_portal, browser, artifacts):
    base, url = empty_portal
    good = (ROOT / "examples" / "aarhus.csv").read_text(encoding="utf-8")
    lines = good.splitlines()
    # Line 4 of the file (dt-003): a leader's address without its @.
    bad = lines[:3] + [lines[3].replace("@example.dk", ".example.dk", 2)] + lines[4:]
    header = lines[0].split(",")
    smaller = [l for l in lines if not l.startswith(tuple(f"{u}," for u in GONE))]
    assert len(smaller) == len(lines) - 2

    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="da-DK",
                              java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{base}/admin")
    page.get_by_label("Brugernavn").fill(USER)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.get_by_role("link", name="Start et loop").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Start et loop"

    def choose(text: str, name: str):
        page.get_by_label("Organisationsfil").set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")})
        page.get_by_label("Ramme").select_option("aarhus")
        page.get_by_label("Område").select_option("0-6")
        page.get_by_label("Dato for byrådets møde").fill("2027-04-28")
        page.get_by_role("button", name="Se planen").click()

    choose("\n".join(bad) + "\n", "aarhus-med-fejl.csv")
    alert = page.get_by_role("alert").first.inner_text()
    assert "Filen aarhus-med-fejl.csv er ikke indlæst" in alert
    column = header[[i for i, (a, b) in enumerate(zip(lines[3].split(","), bad[3].split(","))) if a != b][0]]
    assert f"Linje 4, kolonne {column}: «chief-01.example.dk» er ikke en gyldig e-mailadresse" in alert
    page.screenshot(path=str(artifacts / "1-fejl-i-filen.png"), full_page=True)
    assert _rows(url, "select count(*) from unit")[0][0] == 0 and _rows(url, "select count(*) from loop")[0][0] == 0

    choose(good, "aarhus.csv")
    assert page.get_by_role("heading", name=f"Forhåndsvisning: loop {LOOP}").is_visible()
    main = page.inner_text("main")
    assert "Organisationen indlæses for første gang: 137 enheder." in main and "for 80 enheder" in main
    assert "Byrådets drøftelse af kvalitetsrapporten" in main and "temamøde 1 af 2" in main
    chiefs = page.locator("table").nth(1).locator("tbody tr")
    assert chiefs.count() == 5 and any("chief-01@example.dk" in row for row in chiefs.all_inner_texts())
    page.screenshot(path=str(artifacts / "2-forhaandsvisning.png"), full_page=True)
    assert _rows(url, "select count(*) from loop")[0][0] == 0  # a preview stores nothing
    page.get_by_role("button", name=f"Start loopet {LOOP}").click()
    page.wait_for_url(re.compile(rf".*/admin/loop/{LOOP}$"))
    assert page.get_by_role("heading", level=1).inner_text() == f"Loop {LOOP}"
    page.screenshot(path=str(artifacts / "3-loopet.png"), full_page=True)
    page.goto(f"{base}/admin")
    assert page.get_by_role("link", name=LOOP).is_visible()

    page.get_by_role("link", name="Opdatér organisationen").click()
    page.get_by_label("Organisationsfil").set_input_files(
        {"name": "aarhus-uden-to.csv", "mimeType": "text/csv", "buffer": ("\n".join(smaller) + "\n").encode()})
    page.get_by_role("button", name="Se, hvad der ændres").click()
    main = page.inner_text("main")
    assert "Enheder fjernet (2)" in main and ", ".join(GONE) in main
    future = _rows(url, "select count(*) from event where loop_id = :l and unit_id in ('dt-002', 'dt-003') "
                        "and status != 'cancelled'", l=LOOP)[0][0]
    assert future > 20 and f"Begivenheder, der aflyses ({future})" in main
    cancelled_rows = page.locator("table").filter(has_text="Hvornår").locator("tbody tr")
    assert cancelled_rows.count() == future
    page.screenshot(path=str(artifacts / "4-organisation-forhaandsvisning.png"), full_page=True)
    assert _rows(url, "select count(*) from unit")[0][0] == 137  # nothing applied yet
    page.get_by_role("button", name="Opdatér organisationen og fjern 2 enheder").click()
    assert "Organisationen er opdateret fra «aarhus-uden-to.csv»." in page.inner_text("main")
    page.screenshot(path=str(artifacts / "5-organisation-opdateret.png"), full_page=True)

    page.goto(f"{base}/admin/loop/{LOOP}/chef/chief-01@example.dk")
    units = page.locator("table").first.locator("tbody").inner_text()
    assert "Dagtilbud Troldehøjen" not in units and "Vuggestuen Mælkebøtten" not in units
    assert "Vuggestuen Rønnebærhuset" in units
    page.goto(f"{base}/admin/loop/{LOOP}/enhed/dt-002")
    assert "Enheden findes ikke." in page.inner_text("main")
    assert _rows(url, "select count(*) from event where loop_id = :l and unit_id in ('dt-002', 'dt-003') "
                      "and status != 'cancelled'", l=LOOP)[0][0] == 0

    # The two were removed by mistake: the whole file again brings them back into the
    # organisation, and the loop's page plans one back into the loop after a preview.
    page.goto(f"{base}/admin/organisation")
    page.get_by_label("Organisationsfil").set_input_files(
        {"name": "aarhus.csv", "mimeType": "text/csv", "buffer": good.encode("utf-8")})
    page.get_by_role("button", name="Se, hvad der ændres").click()
    assert "Enheder tilføjet (2)" in page.inner_text("main")
    page.get_by_role("button", name="Opdatér organisationen", exact=True).click()
    assert f"dt-002 er ny og ikke med i loopet {LOOP}." in page.inner_text("main")
    page.get_by_role("link", name="loopets side").first.click()
    main = page.inner_text("main")
    assert "Enheder uden for loopet (2)" in main and "Dagtilbud Troldehøjen" in main
    # The page fits the phone's width: its wide tables scroll sideways inside themselves.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Se planen for Dagtilbud Troldehøjen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Planlæg Dagtilbud Troldehøjen ind i loopet"
    main = page.inner_text("main")
    assert "heraf 4 læringssamtaler" in main and "Intet er gemt endnu." in main
    page.screenshot(path=str(artifacts / "6-planlaeg-enhed-forhaandsvisning.png"), full_page=True)
    planned = page.locator("table").first.locator("tbody tr").count()
    assert planned > 20
    assert _rows(url, "select count(*) from event where loop_id = :l and unit_id = 'dt-002' "
                      "and status != 'cancelled'", l=LOOP)[0][0] == 0  # a preview stores nothing
    page.get_by_role("button", name="Planlæg dt-002 ind i loopet").click()
    page.wait_for_url(re.compile(rf".*/admin/loop/{LOOP}/enhed/dt-002$"))
    assert "Dagtilbud Troldehøjen" in page.get_by_role("heading", level=1).inner_text()
    page.screenshot(path=str(artifacts / "7-enheden-planlagt.png"), full_page=True)
    assert _rows(url, "select count(*) from event where loop_id = :l and unit_id = 'dt-002' "
                      "and status != 'cancelled'", l=LOOP)[0][0] == planned
    page.goto(f"{base}/admin/loop/{LOOP}")
    assert "Enheder uden for loopet (1)" in page.inner_text("main")
    ctx.close()
