"""The chief's answer to a self-owned daycare board's supervision report (issue 11, point 2): the
notice of its arrival links to a page where the chief reads the report and records whether a
follow-up meeting with the board is needed; a "yes" is planned and invited like any meeting.

The rule, in the adopted framework [seeds/000]:
    "Særligt for selvejende dagtilbud: Børn og Unge-chefen har ansvaret for at følge op på
    bestyrelsernes tilsyn med de selvejende dagtilbud. Børn og Unge-chefens opfølgning består af
    bestyrelsens skriftlige afrapportering samt data fra fællesfunktionerne. I de tilfælde hvor
    data giver anledning til yderligere opfølgning, afholder Børn- og Unge-chefen møde med
    bestyrelsen i det selvejende dagtilbud."
and in the council recommendation [seeds/003]:
    "Bestyrelserne for de selvejende dagtilbud afrapporterer deres tilsyn til Børn og Unge, som ved
    behov afholder opfølgende møde."
So the meeting is the chief's with the board; the leader is not named and not invited.

Real parts: the portal served by uvicorn, the emails through a real aiosmtpd server, the chief's
page in Debian's Chromium (screenshots in var/test-artifacts/<test>/), the calendar files read
with icalendar.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import icalendar
import sqlalchemy as sa

from storage.db import engine_for
from tests.conftest import Cli
from tests.notifications.conftest import CPH
from tests.portal.conftest import deadline_of, link_in
from tests.portal.test_browser import artifacts, browser  # noqa: F401 (fixtures)
from tests.portal.test_statement import form_fields

LOOP = "0-6-2027-04-28"
REPORT = {"basic": "Basistilsynet er gennemført; legepladsen er efterset.",
          "guidelines": "Retningslinjerne for søvn og hygiejne følges.",
          "pedagogical": "Læreplanen er evalueret; sprogarbejdet med de yngste halter."}


def _arrived(portal, pdf: tuple[str, bytes] = ("", b"")) -> tuple[str, str, str, dt.datetime]:
    """The first supervision report handed in by the board through its link two days before it is
    due, and the notice dispatched to the chief: (the chief's link, unit id, chief, the time)."""
    due, unit_id, uid = deadline_of(portal.db, "supervision_report_due", 1)
    reminded = dt.datetime.combine(due - dt.timedelta(days=7), dt.time(9, 0), CPH)
    portal.dispatch(reminded)
    board_mail = [m for m in portal.mails("supervision_report_reminder") if m["X-Kvalitetsloop-Event"] == uid][0]
    board_link = link_in(board_mail, "/tilsyn/")
    portal.clock.now = reminded + dt.timedelta(days=5, hours=1)
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        done = client.post(board_link, data={**form_fields(client.get(board_link).text), **REPORT},
                           files={"pdf": pdf})
        assert done.status_code == 200, done.text
    when = portal.clock.now + dt.timedelta(hours=1)
    portal.dispatch(when)
    notice = [m for m in portal.mails("supervision_report_received") if m["X-Kvalitetsloop-Event"] == uid]
    assert len(notice) == 1
    chief = notice[0]["To"].addresses[0].addr_spec
    plain = notice[0].get_body(("plain",)).get_content()
    assert chief.startswith("chief-") and "Læs afrapporteringen, og tag stilling til et opfølgningsmøde: http" in plain
    return link_in(notice[0], "/tilsynsopfoelgning/"), unit_id, chief, when


def _meetings(url: str) -> list[tuple]:
    with engine_for(url).connect() as c:
        return c.execute(sa.text("select uid, start, status, sequence from event where kind='supervision_meeting' "
                                 "order by id")).all()


def _answers(url: str) -> list[str]:
    with engine_for(url).connect() as c:
        return list(c.execute(sa.text("select content from submission where kind='supervision_followup' order by id"))
                    .scalars())


def _calendar(message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _invitations(portal, uid: str | None = None) -> list:
    return [m for m in portal.mails("invitation")
            if "Opfølgningsmøde om tilsyn" in str(m["Subject"]) and (uid is None or m["X-Kvalitetsloop-Event"] == uid)]


def test_the_chief_plans_a_follow_up_meeting_in_a_browser_and_both_are_invited(portal, browser, artifacts):
    link, unit_id, chief, when = _arrived(portal)
    board = f"bestyrelse-{unit_id}@example.dk"
    portal.clock.now = when + dt.timedelta(hours=1)

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="da-DK", java_script_enabled=False)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Opfølgning på tilsyn i ")
    main = page.inner_text("main")
    assert "sprogarbejdet med de yngste halter" in main and "Kommunale retningslinjer" in main
    page.screenshot(path=str(artifacts / "1-afrapportering.png"), full_page=True)
    page.get_by_label("Ja, på dette tidspunkt:").check()
    page.get_by_label("Dato").fill("2027-12-08")
    page.get_by_label("Klokkeslæt").fill("13:00")
    page.get_by_role("button", name="Gem svaret").press("Enter")
    page.wait_for_url(re.compile(r".*/kvittering$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Svaret er registreret"
    assert "onsdag den 8. december 2027 kl. 13.00–14.30" in page.locator("#svar").inner_text()
    page.screenshot(path=str(artifacts / "2-kvittering.png"), full_page=True)

    # The next dispatch invites the chief and the board (not the leader), like any meeting.
    portal.dispatch(portal.clock.now + dt.timedelta(minutes=5))
    invited = _invitations(portal)
    assert sorted(m["To"].addresses[0].addr_spec for m in invited) == sorted([chief, board])
    for message in invited:
        cal = _calendar(message)
        assert cal["METHOD"] == "REQUEST"
        ev = next(iter(cal.walk("VEVENT")))
        start = ev.decoded("DTSTART")
        assert start == dt.datetime(2027, 12, 8, 13, 0, tzinfo=CPH) and str(start.tzinfo) == "Europe/Copenhagen"
        assert ev.decoded("DTEND") == dt.datetime(2027, 12, 8, 14, 30, tzinfo=CPH)  # durations.supervision_meeting
        assert int(ev["SEQUENCE"]) == 0
        assert sorted(str(a).removeprefix("mailto:") for a in ev.get("ATTENDEE")) == sorted([chief, board])
        assert "følger op på bestyrelsens tilsyn" in str(ev["DESCRIPTION"])
    uid = invited[0]["X-Kvalitetsloop-Event"]

    # A later answer on the same page moves the same meeting: REQUEST, same UID, higher SEQUENCE.
    page.goto(link)
    assert "opfølgningsmøde onsdag den 8. december 2027 kl. 13.00" in page.locator("#svar").inner_text()
    page.get_by_label("Dato").fill("2027-12-09")
    page.get_by_label("Klokkeslæt").fill("10:00")
    page.get_by_role("button", name="Gem svaret").click()
    page.wait_for_url(re.compile(r".*/kvittering$"))
    page.screenshot(path=str(artifacts / "3-flyttet.png"), full_page=True)
    portal.dispatch(portal.clock.now + dt.timedelta(minutes=10))
    moved = _invitations(portal, uid)[2:]
    assert len(moved) == 2 and all(str(m["Subject"]).startswith("Flyttet:") for m in moved)
    ev = next(iter(_calendar(moved[0]).walk("VEVENT")))
    assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 1
    assert ev.decoded("DTSTART") == dt.datetime(2027, 12, 9, 10, 0, tzinfo=CPH)
    assert [m[0] for m in _meetings(portal.db)] == [uid]


def test_a_date_on_a_holiday_or_in_someone_elses_meeting_is_refused_with_one_sentence(portal, tmp_path):
    link, unit_id, chief, when = _arrived(portal)
    portal.clock.now = when + dt.timedelta(hours=1)
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
        refused = client.post(link, data={**form_fields(page.text), "needed": "ja", "date": "2027-12-24",
                                          "time": "10:00"})
        assert refused.status_code == 422
        sentence = re.search(r'<p class="error" id="meeting-error">([^<]+)</p>', refused.text).group(1)
        assert sentence == ("Mødet kan ikke holdes på det tidspunkt: 24.12.2027 er ikke en arbejdsdag for tilbuddet "
                            "(Juleaftensdag).")
        assert 'value="2027-12-24"' in refused.text  # what the chief chose is kept on the page
        # The chief's one-to-one that morning (08:00-09:30) leaves no room at 08:30.
        clash = client.post(link, data={**form_fields(page.text), "needed": "ja", "date": "2027-12-10",
                                        "time": "08:30"})
        assert clash.status_code == 422 and f"{chief} har et andet møde den 10.12.2027 kl. 08.00-09.30" in clash.text
    assert _meetings(portal.db) == [] and _answers(portal.db) == []

    # The command line says the same in English, exit code 2, nothing changed.
    cli = Cli(portal.db, tmp_path)
    no = cli("supervision", "answer", LOOP, unit_id, "--meeting-at", "2027-12-24T10:00", "--now",
             portal.clock.now.isoformat(), check=False)
    assert no.returncode == 2
    assert no.stderr.strip() == ("Error: the follow-up meeting is refused because 2027-12-24 is not a working day "
                                 "for the unit (Juleaftensdag).")
    assert _meetings(portal.db) == [] and _answers(portal.db) == []


def test_no_meeting_plans_nothing_and_a_later_no_cancels_the_meeting(portal, tmp_path):
    link, unit_id, chief, when = _arrived(portal)
    cli = Cli(portal.db, tmp_path)
    now = when + dt.timedelta(hours=1)
    said = cli("supervision", "answer", LOOP, unit_id, "--no-meeting", "--now", now.isoformat())
    assert said.stdout.strip() == f"No follow-up meeting for the supervision report of {unit_id}."
    assert _meetings(portal.db) == [] and _answers(portal.db) == ["Opfølgningsmøde med bestyrelsen: nej"]
    portal.dispatch(now + dt.timedelta(minutes=5))
    assert _invitations(portal) == []

    # The chief thinks again: a meeting, invited; then "no" once more cancels it for both.
    cli("supervision", "answer", LOOP, unit_id, "--meeting-at", "2027-12-08T13:00", "--now",
        (now + dt.timedelta(minutes=10)).isoformat())
    portal.dispatch(now + dt.timedelta(minutes=15))
    assert len(_invitations(portal)) == 2
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        portal.clock.now = now + dt.timedelta(minutes=20)
        page = client.get(link)
        assert 'id="needed-ja" name="needed" value="ja" checked' in page.text and 'value="13:00"' in page.text
        done = client.post(link, data={**form_fields(page.text), "needed": "nej"})
        assert done.status_code == 200 and "Der er ikke behov for et opfølgningsmøde" in done.text
    portal.dispatch(now + dt.timedelta(minutes=25))
    cancels = [m for m in _invitations(portal) if str(m["Subject"]).startswith("Aflyst:")]
    assert len(cancels) == 2 and all(_calendar(m)["METHOD"] == "CANCEL" for m in cancels)
    assert [(m[2], m[3]) for m in _meetings(portal.db)] == [("cancelled", 1)]


def test_a_replayed_or_cross_site_post_changes_nothing(portal):
    link, unit_id, chief, when = _arrived(portal)
    portal.clock.now = when + dt.timedelta(hours=1)
    answer = {"needed": "ja", "date": "2027-12-08", "time": "13:00"}
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        fields = form_fields(client.get(link).text)
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            crossed = client.post(link, data={**fields, **answer}, headers=headers)
            assert crossed.status_code == 403 and "kvalitetsloops egen side" in crossed.text
        forged = client.post(link, data={"form_id": fields["form_id"], "csrf": "0" * 64, **answer})
        assert forged.status_code == 403
        assert _meetings(portal.db) == [] and _answers(portal.db) == []
        first = client.post(link, data={**fields, **answer})
        # The same form posted again (a replay, or a second click) with another time: the receipt
        # of the first post, nothing stored or moved.
        again = client.post(link, data={**fields, **answer, "date": "2027-12-09"})
        assert first.status_code == again.status_code == 200
        assert "onsdag den 8. december 2027 kl. 13.00" in again.text
    meetings = _meetings(portal.db)
    assert len(meetings) == 1 and meetings[0][3] == 0 and len(_answers(portal.db)) == 1


def test_an_expired_link_of_the_chief_points_to_the_administration_not_the_chief(portal):
    """A link that no longer works names whom to ask: a board's names its chief, but the chief's
    own must not tell the chief to contact themselves."""
    link, unit_id, chief, when = _arrived(portal)
    portal.clock.now = when + dt.timedelta(days=400)
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
    assert "Linket kan ikke længere bruges" in page.text
    assert f"mailto:{chief}" not in page.text and "mailto:kvalitet@aarhus.example.dk" in page.text


def test_the_chief_opens_the_pdf_the_board_attached_from_the_report_page(portal):
    """The board may attach its report as a PDF; the chief's page links to it, and the link gives
    the very file (through the chief's own link: nobody else's works)."""
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    link, unit_id, chief, when = _arrived(portal, ("tilsyn 2027.pdf", pdf))
    portal.clock.now = when + dt.timedelta(hours=1)
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
        href = re.search(r'Vedhæftet: <a href="([^"]+)">tilsyn 2027.pdf</a>', page.text)
        assert href, page.text
        got = client.get(portal.base + href.group(1))
        assert got.status_code == 200 and got.content == pdf
        assert got.headers["content-type"] == "application/pdf"
        wrong = client.get(link.rsplit("/", 1)[0] + "/" + "A" * 43 + "/bilag")
        assert wrong.status_code != 200 and wrong.content != pdf
