"""A board chooses, on its statement page, to attend the talk instead of writing [000: "På de
efterfølgende læringsamtaler kan bestyrelsens perspektiv indgå i læringsamtalens refleksioner enten
i form af en udtalelse eller ved deltagelse"], and changes its mind again: in a real browser
(Debian's Chromium, no JavaScript, a phone's window), with the emails a real SMTP server receives."""

from __future__ import annotations

import datetime as dt
import email
import re
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH
from tests.portal.test_browser import artifacts, browser  # noqa: F401 (fixtures)


def _talk_and_deadline(db: str, unit_id: str) -> tuple[list[str], str]:
    """Talk 2's active attendees' roles and its statement deadline's status."""
    with engine_for(db).connect() as c:
        roles = c.execute(sa.text(
            "select a.role from event e join attendee a on a.event_id = e.id where e.kind='learning_talk' "
            "and e.number=2 and e.unit_id=:u and a.active order by a.role"), {"u": unit_id}).scalars().all()
        status = c.execute(sa.text("select status from event where kind='board_statement_due' and number=2 "
                                   "and unit_id=:u"), {"u": unit_id}).scalar_one()
    return list(roles), status


def _method(message) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True).decode("utf-8")
            return re.search(r"^METHOD:(\w+)", text, re.M).group(1)
    return None


def test_a_board_chooses_to_attend_on_its_page_and_back_to_a_statement(portal, board_reminder, browser, artifacts):
    link, unit_id, board, due = board_reminder
    portal.clock.now = dt.datetime.combine(due - dt.timedelta(days=21), dt.time(11, 0), CPH)
    assert "board" not in _talk_and_deadline(portal.db, unit_id)[0]

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="da-DK", java_script_enabled=False)
    page.goto(link)
    assert page.get_by_label("Vi skriver en udtalelse", exact=False).is_checked()
    page.screenshot(path=str(artifacts / "1-valg.png"), full_page=True)
    page.get_by_label("Vi deltager i læringssamtalen").check()
    page.get_by_role("button", name="Gem valget").click()
    page.wait_for_load_state()
    assert "I har valgt at deltage i læringssamtalen" in page.inner_text("main")
    assert page.get_by_role("button", name="Send udtalelsen").count() == 0  # nothing to write now
    page.screenshot(path=str(artifacts / "2-deltagelse.png"), full_page=True)
    roles, status = _talk_and_deadline(portal.db, unit_id)
    assert "board" in roles and status == "cancelled"

    # The next dispatch invites the board to the talk; the reminders about the statement stop.
    portal.dispatch(portal.clock.now + dt.timedelta(hours=1))
    portal.dispatch(dt.datetime.combine(due - dt.timedelta(days=10), dt.time(9, 0), CPH))
    assert len(portal.mails("board_statement_reminder", board)) == 1
    (invitation,) = portal.mails("invitation", board)
    assert _method(invitation) == "REQUEST" and "Læringssamtale 2" in str(email.header.make_header(
        email.header.decode_header(invitation["Subject"])))

    # The board changes its mind: the statement is due again, its invitation is cancelled, and
    # the reminders come back: the one of that very day (ten days before the deadline), and
    # the one three days before.
    page.goto(link)
    page.get_by_label("Vi skriver en udtalelse", exact=False).check()
    page.get_by_role("button", name="Gem valget").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Send udtalelsen").count() == 1
    roles, status = _talk_and_deadline(portal.db, unit_id)
    assert "board" not in roles and status != "cancelled"
    portal.dispatch(portal.clock.now + dt.timedelta(hours=1))
    assert [_method(m) for m in portal.mails("invitation", board)] == ["REQUEST", "CANCEL"]
    portal.dispatch(dt.datetime.combine(due - dt.timedelta(days=3), dt.time(9, 0), CPH))
    days = [parsedate_to_datetime(m["Date"]).astimezone(CPH).date() for m in portal.mails("board_statement_reminder", board)]
    assert days == [due - dt.timedelta(days=d) for d in (21, 10, 3)]


def test_a_post_without_a_choice_gets_one_sentence_and_changes_nothing(portal, board_reminder):
    import httpx

    link, unit_id, _, due = board_reminder
    portal.clock.now = dt.datetime.combine(due - dt.timedelta(days=21), dt.time(11, 0), CPH)
    with httpx.Client() as client:
        html = client.get(link).text
        form = re.search(r'action="[^"]*/valg".*?name="form_id" value="([^"]+)".*?name="csrf" value="([^"]+)"', html, re.S)
        posted = client.post(f"{link}/valg", data={"form_id": form.group(1), "csrf": form.group(2)},
                             headers={"Origin": portal.base})
    assert posted.status_code == 422
    assert "Vælg, om bestyrelsen skriver en udtalelse eller deltager i samtalen." in posted.text
    roles, status = _talk_and_deadline(portal.db, unit_id)
    assert status == "planned" and "board" not in roles
