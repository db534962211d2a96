"""A board's statement through the link in its reminder: the page, the post, the receipt page,
the receipt email, no more reminders, versions, the statement in the talk's data basis (D)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH


def form_fields(html: str) -> dict:
    return {name: value for name, value in re.findall(r'name="(form_id|csrf)" value="([^"]+)"', html)}


def post_statement(client, link: str, text: str, files=None, fields=None):
    page = client.get(link)
    assert page.status_code == 200, page.text
    data = {**form_fields(page.text), "text": text, **(fields or {})}
    return client.post(link, data=data, files=files or {"pdf": ("", b"", "application/octet-stream")})


def test_a_board_writes_its_statement_gets_a_receipt_and_the_reminders_stop(portal, board_reminder):
    link, unit_id, board, due = board_reminder
    text = "Bestyrelsen ønsker mere fokus på sprog og på børnenes trivsel i overgangene; vi støtter fokusområderne."
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
        assert page.status_code == 200
        assert '<html lang="da">' in page.text and "Bestyrelsens udtalelse før læringssamtale 2" in page.text
        assert due.strftime("%Y") in page.text and '<label for="text">' in page.text
        answer = post_statement(client, link, text)
        assert answer.status_code == 200 and answer.url.path.endswith("/kvittering")
        assert "Tak – udtalelsen er modtaget" in answer.text and "trivsel i overgangene" in answer.text
    # The receipt email, with what they wrote.
    portal.dispatch(portal.clock.now + dt.timedelta(minutes=1))
    receipts = portal.mails("board_statement_receipt", board)
    assert len(receipts) == 1
    assert "udtalelse" in receipts[0]["Subject"] and "er modtaget" in receipts[0]["Subject"]
    assert "trivsel i overgangene" in receipts[0].get_body(("plain",)).get_content()
    # The next reminder of the series (10 days before the due date) is not sent.
    portal.dispatch(dt.datetime.combine(due - dt.timedelta(days=10), dt.time(9, 0), CPH))
    portal.dispatch(dt.datetime.combine(due - dt.timedelta(days=3), dt.time(9, 0), CPH))
    assert len(portal.mails("board_statement_reminder", board)) == 1
    with engine_for(portal.db).connect() as c:
        rows = c.execute(sa.text("select s.by, s.content, f.capability_hash from submission s join submission_form f "
                                 "on f.submission_id = s.id where s.kind='board_statement'")).all()
    assert len(rows) == 1 and rows[0][0] == board and rows[0][1] == text and len(rows[0][2]) == 64


def test_the_same_link_amends_until_the_deadline_and_keeps_every_version(portal, board_reminder):
    link, unit_id, board, due = board_reminder
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        post_statement(client, link, "Første udgave.")
        portal.clock.now += dt.timedelta(days=2)
        second = post_statement(client, link, "Anden udgave, rettet.")
        assert "udgave 2; de tidligere er gemt" in second.text
        # After the deadline the statement stands: the page shows it and takes no more.
        portal.clock.now = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9, 0), CPH)
        page = client.get(link)
        assert page.status_code == 200 and "kan ikke længere rettes" in page.text and "<form" not in page.text
        late = client.post(link, data={**form_fields(page.text), "text": "For sent."}, files={"pdf": ("", b"")})
        assert late.status_code in (403, 410)
    with engine_for(portal.db).connect() as c:
        rows = c.execute(sa.text("select content from submission where kind='board_statement' order by id")).scalars()
        assert list(rows) == ["Første udgave.", "Anden udgave, rettet."]
