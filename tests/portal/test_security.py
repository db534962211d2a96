"""The links are capabilities and the forms take only what they should: each attack is refused
or harmless, and nothing is stored that should not be."""

from __future__ import annotations

import datetime as dt
import secrets

import httpx
import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH
from tests.portal.test_statement import form_fields, post_statement

EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def statements(url: str) -> list:
    with engine_for(url).connect() as c:
        return c.execute(sa.text("select s.content, f.attachment_name from submission s left join submission_form f "
                                 "on f.submission_id = s.id where s.kind='board_statement' order by s.id")).all()


def test_an_expired_link_says_whom_to_contact_and_takes_nothing(portal, board_reminder):
    link, unit_id, board, due = board_reminder
    with httpx.Client(timeout=30) as client:
        fields = form_fields(client.get(link).text)
        # The link of a statement before talk 2 ends with the talk's day at the latest.
        portal.clock.now = dt.datetime.combine(due + dt.timedelta(days=30), dt.time(9, 0), CPH)
        page = client.get(link)
        assert page.status_code == 410
        assert "Linket kan ikke længere bruges" in page.text and "Linket er udløbet." in page.text
        assert "chef-" in page.text or "chief-" in page.text  # the unit's chief, by address
        assert "kvalitet@aarhus.example.dk" in page.text
        late = client.post(link, data={**fields, "text": "for sent"}, files={"pdf": ("", b"")})
        assert late.status_code == 410
    assert statements(portal.db) == []


def test_guessed_and_near_miss_links_look_the_same_and_are_rate_limited(portal, board_reminder):
    link, *_ = board_reminder
    base = link.rsplit("/", 1)[0]
    token = link.rsplit("/", 1)[1]
    near = token[:-1] + ("A" if token[-1] != "A" else "B")
    with httpx.Client(timeout=30) as client:
        guessed = client.get(f"{base}/{secrets.token_urlsafe(32)}")
        nearly = client.get(f"{base}/{near}")
        assert guessed.status_code == nearly.status_code == 404
        assert guessed.text == nearly.text and "Linket findes ikke" in guessed.text
        codes = [client.get(f"{base}/{secrets.token_urlsafe(32)}").status_code for _ in range(1000)]
    # After the first few wrong links a client is told to wait; the real link waits too.
    assert codes.count(404) <= 20 and codes[-1] == 429 and codes.count(429) >= 975
    with httpx.Client(timeout=30) as client:
        assert client.get(link).status_code == 429
    assert statements(portal.db) == []


def test_a_link_of_another_unit_or_form_does_not_open_this_one(portal, board_reminder):
    link, unit_id, board, due = board_reminder
    others = [m for m in portal.smtp.messages if m.message["X-Kvalitetsloop-Kind"] == "board_statement_reminder"
              and m.rcpt_tos != [board]]
    assert others, "the small loop has more than one board reminded that day"
    from tests.portal.conftest import link_in

    other = link_in(others[0].message, "/udtalelse/")
    with httpx.Client(timeout=30) as client:
        theirs = form_fields(client.get(other).text)
        # The other board's form fields are bound to its link: posted to this one, refused.
        crossed = client.post(link, data={**theirs, "text": "fra en anden bestyrelse"}, files={"pdf": ("", b"")})
        assert crossed.status_code == 403
        # A statement link is not a follow-up form link.
        assert client.get(link.replace("/udtalelse/", "/opfoelgning/")).status_code == 404
    assert statements(portal.db) == []


def test_a_replayed_post_is_stored_once(portal, board_reminder):
    link, *_ = board_reminder
    with httpx.Client(timeout=30) as client:
        data = {**form_fields(client.get(link).text), "text": "Første og eneste udgave."}
        first = client.post(link, data=data, files={"pdf": ("", b"")})
        again = client.post(link, data=data, files={"pdf": ("", b"")})
        assert first.status_code == again.status_code == 303
    assert [r[0] for r in statements(portal.db)] == ["Første og eneste udgave."]


def test_a_cross_site_post_is_refused(portal, board_reminder):
    link, *_ = board_reminder
    with httpx.Client(timeout=30) as client:
        data = {**form_fields(client.get(link).text), "text": "sendt fra en anden side"}
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            answer = client.post(link, data=data, files={"pdf": ("", b"")}, headers=headers)
            assert answer.status_code == 403 and "kun sendes fra kvalitetsloops egen side" in answer.text
        # Without the form's CSRF token (a form built elsewhere): refused as well.
        assert client.post(link, data={"text": "uden token"}, files={"pdf": ("", b"")}).status_code == 403
    assert statements(portal.db) == []


def test_markup_and_header_text_in_a_statement_stay_text(portal, board_reminder):
    link, unit_id, board, due = board_reminder
    text = f"{EVIL}\r\nBcc: victim@evil.example\r\nSubject: hacked"
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        receipt = post_statement(client, link, text)
        assert receipt.status_code == 200
        for page in (receipt.text, client.get(link).text):
            assert "<script>alert" not in page and "<img src=x" not in page
            assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    portal.dispatch(portal.clock.now + dt.timedelta(minutes=1))
    mail = portal.mails("board_statement_receipt", board)[0]
    assert mail["Bcc"] is None and "hacked" not in mail["Subject"]
    assert [m.rcpt_tos for m in portal.smtp.messages if m.message["X-Kvalitetsloop-Kind"] == "board_statement_receipt"] \
        == [[board]]
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    assert "Bcc: victim@evil.example" in mail.get_body(("plain",)).get_content()  # as text in the body, no header
    assert statements(portal.db)[0][0] == text.replace("\r\n", "\n")


def test_an_oversized_body_and_a_fake_pdf_are_refused(portal, board_reminder):
    link, *_ = board_reminder
    with httpx.Client(timeout=60) as client:
        data = form_fields(client.get(link).text)
        huge = client.post(link, data={**data, "text": "x"}, files={"pdf": ("stor.pdf", b"%PDF-1.7\n" + b"0" * 7_000_000)})
        assert huge.status_code == 413
        long_text = client.post(link, data={**data, "text": "æ" * 20_001}, files={"pdf": ("", b"")})
        assert long_text.status_code == 422 and "for lang" in long_text.text
        fake = client.post(link, data={**form_fields(client.get(link).text), "text": "se bilag"},
                           files={"pdf": ("udtalelse.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")})
        assert fake.status_code == 422 and "ikke en PDF-fil" in fake.text
        real = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        ok = client.post(link, data={**form_fields(client.get(link).text), "text": "se bilag"},
                         files={"pdf": ("udtalelse.pdf", real, "application/pdf")})
        assert ok.status_code == 303
    assert statements(portal.db) == [("se bilag", "udtalelse.pdf")]


def test_a_form_opened_before_a_restart_still_posts_after_it(portal, board_reminder):
    """The CSRF key comes from the link secret, not from the process: a board member who had the
    page open while the portal restarted loses nothing."""
    from notifications.mailsink import free_port
    from portal.app import create_app
    from tests.portal.conftest import serve

    link, *_ = board_reminder
    with httpx.Client(timeout=30) as client:
        data = {**form_fields(client.get(link).text), "text": "Skrevet før genstarten."}
    port = free_port()
    server, thread = serve(create_app(portal.settings, portal.clock), port)
    try:
        with httpx.Client(timeout=30) as client:
            answer = client.post(link.replace(portal.base, f"http://127.0.0.1:{port}"), data=data,
                                 files={"pdf": ("", b"")}, headers={"Origin": portal.base})
            assert answer.status_code == 303
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert [r[0] for r in statements(portal.db)] == ["Skrevet før genstarten."]
