"""dispatch end to end: decided in the database, sent through yagmail's connection to a real SMTP
server, and checked in the bytes the server received."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re

import pytest
import sqlalchemy as sa

from tests.notifications.conftest import run_dispatch
from storage.db import engine_for
from tests.conftest import KVALITETSLOOP, Cli
from tests.notifications.conftest import CPH, LOOP_ID, at, settings_for

# Talk 1 invitations of the small loop are open on this day; data package 1 triggers are due.
FIRST = at("2027-04-09T09:00")


def _events(url):
    view = dispatch_view(url)
    return view.events


def dispatch_view(url):
    from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
    from kvalitetsloop.usecases import loops as loop_cases

    return loop_cases.view_loop(uow_for(url), LOOP_ID)


def _rows(url, **where):
    with engine_for(url).connect() as c:
        q = "select * from outbox" + (" where " + " and ".join(f"{k} = :{k}" for k in where) if where else "")
        return [r._mapping for r in c.execute(sa.text(q), where)]


def test_first_dispatch_sends_invitations_and_triggers_once_over_one_connection(small_loop, smtp):
    settings = settings_for(smtp.port)
    report = run_dispatch(small_loop, FIRST, settings)
    assert report.drain.total_sent == len(smtp.messages) > 0
    assert smtp.connections == 1
    kinds = {m.message["X-Kvalitetsloop-Kind"] for m in smtp.messages}
    assert {"invitation", "data_package_trigger"} <= kinds
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"<[0-9a-f]{32}@kvalitetsloop\.aarhus\.example\.dk>", i) for i in ids)
    for m in smtp.messages:
        msg = m.message
        assert m.rcpt_tos == [email.utils.parseaddr(msg["To"])[1]]
        if msg["X-Kvalitetsloop-Kind"] == "invitation":
            # From the organiser (the ORGANIZER), sent by the system address (RFC 5322 Sender):
            # replies and bounces reach the administration's mailbox.
            assert email.utils.parseaddr(msg["From"]) == ("Børn og Unge, Aarhus Kommune", "kvalitet@aarhus.example.dk")
            assert msg["Sender"] == "kvalitetsloop@aarhus.example.dk"
            assert m.mail_from == "kvalitet@aarhus.example.dk"
        else:
            assert email.utils.parseaddr(msg["From"])[1] == "kvalitetsloop@aarhus.example.dk"
            assert "Sender" not in msg
            assert m.mail_from == "kvalitetsloop@aarhus.example.dk"
        assert email.utils.parsedate_to_datetime(msg["Date"]) == FIRST
        assert msg["Content-Language"] == "da"
    rows = _rows(small_loop)
    assert {r["status"] for r in rows} == {"sent"}
    assert all(r["smtp_code"] == 250 and "queued" in r["smtp_response"] for r in rows)
    # Again at the same time, or a little later: nothing new is sent.
    again = run_dispatch(small_loop, FIRST + dt.timedelta(hours=1), settings)
    assert again.drain.total_sent == 0 and len(smtp.messages) == len(rows)
    assert smtp.connections == 1  # no connection is opened when there is nothing to send


def test_invitation_is_an_imip_message_with_the_same_file_attached(small_loop, smtp):
    run_dispatch(small_loop, FIRST, settings_for(smtp.port))
    inv = next(m for m in smtp.messages if m.message["X-Kvalitetsloop-Kind"] == "invitation")
    msg = inv.message
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    cal = alternative.get_payload()[2]
    assert cal.get_param("method") == "REQUEST" and cal.get_param("charset") == "UTF-8"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == cal.get_payload(decode=True)
    ics = cal.get_payload(decode=True).decode("utf-8")
    assert "METHOD:REQUEST" in ics and "SEQUENCE:0" in ics and "ORGANIZER" in ics
    # The ORGANIZER is the From of the email: the accept/decline goes back to that mailbox.
    organizer = next(l for l in ics.replace("\r\n ", "").splitlines() if l.startswith("ORGANIZER"))
    assert organizer.endswith(f"mailto:{email.utils.parseaddr(msg['From'])[1]}")
    assert f"mailto:{inv.rcpt_tos[0]}" in ics.replace("\r\n ", "")
    assert "Auto-Submitted" not in msg
    text = alternative.get_payload()[0].get_content()
    assert "Du er inviteret til" in text and "Læringssamtale 1" in text
    assert msg["Subject"].startswith("Invitation: Læringssamtale 1 af 4")
    assert len(msg.get_payload()) == 2  # no other attachments


def test_reminders_are_danish_auto_generated_and_escape_what_users_typed(small_loop, smtp, tmp_path):
    # A unit name with markup: it must arrive escaped in the HTML and on one line in the subject.
    with engine_for(small_loop).begin() as c:
        unit_id = c.execute(sa.text("select unit_id from event where kind='board_statement_due' and number=2 "
                                    "order by start limit 1")).scalar()
        c.execute(sa.text("update unit set name = :n where id = :u"), {"n": "Børnehuset <b>Ø&Å</b>\nBcc: x@evil.dk",
                                                                         "u": unit_id})
        start = c.execute(sa.text("select start from event where kind='board_statement_due' and number=2 "
                                  "and unit_id=:u"), {"u": unit_id}).scalar()
    due = dt.datetime.fromisoformat(str(start)).replace(tzinfo=dt.timezone.utc).astimezone(CPH).date()
    when = dt.datetime.combine(due - dt.timedelta(days=21), dt.time(9, 0), CPH)
    run_dispatch(small_loop, when, settings_for(smtp.port))
    rem = [m for m in smtp.messages if m.message["X-Kvalitetsloop-Kind"] == "board_statement_reminder"
           and m.rcpt_tos == [f"bestyrelse-{unit_id}@example.dk"]]
    assert len(rem) == 1
    msg = rem[0].message
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Subject"].startswith("Påmindelse: Bestyrelsens udtalelse til Børnehuset <b>Ø&Å</b> Bcc: x@evil.dk")
    assert "Bcc" not in msg or msg["Bcc"] is None
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "skal være modtaget senest" in plain and "21 dage" in plain
    assert "&lt;b&gt;Ø&amp;Å&lt;/b&gt;" in html and "<b>Ø" not in html
    link = re.search(r"https://kvalitet\.aarhus\.example\.dk/udtalelse/([A-Za-z0-9_-]{40,})", plain)
    assert link and link.group(0) in html
    # The capability is stored only as a hash, scoped to this board and deadline, with an expiry.
    import hashlib

    with engine_for(small_loop).connect() as c:
        cap = c.execute(sa.text("select * from capability where token_hash = :h"),
                        {"h": hashlib.sha256(link.group(1).encode()).hexdigest()}).one()._mapping
        assert cap["recipient"] == f"bestyrelse-{unit_id}@example.dk" and cap["purpose"] == "board_statement"
        assert c.execute(sa.text("select count(*) from capability where token_hash = :t"),
                         {"t": link.group(1)}).scalar() == 0


def test_dry_run_writes_what_tomorrow_would_send_and_sends_nothing(small_loop, smtp, tmp_path):
    out = tmp_path / "dry"
    report = run_dispatch(small_loop, FIRST, settings_for(smtp.port), dry_run_dir=out)
    files = sorted(out.glob("*.eml"))
    assert files and len(files) == len(report.dry_run_files)
    assert not smtp.messages and not _rows(small_loop)
    # What the dry run showed is what the real run sends.
    real = run_dispatch(small_loop, FIRST, settings_for(smtp.port))
    assert real.drain.total_sent == len(files)


def test_cli_dispatch_statement_package_and_outbox(small_loop, smtp, tmp_path, smtp_env):
    smtp_env(smtp.port)
    cli = Cli(small_loop, tmp_path)
    out = cli("dispatch", "--now", FIRST.isoformat()).stdout
    assert "sent over 1 SMTP connection" in out
    dry = cli("dispatch", "--now", (FIRST + dt.timedelta(days=1)).isoformat(), "--dry-run", "--out", str(tmp_path / "d"))
    assert "nothing was sent" in dry.stdout
    listing = cli("outbox", "list", "--status", "sent", "--limit", "5").stdout
    assert "sent" in listing and "250" in listing

    unit = _rows(small_loop, kind="data_package_trigger")[0]["context"]
    unit_id = json.loads(unit)["packages"][0]["unit_id"] if isinstance(unit, str) else unit["packages"][0]["unit_id"]
    r = cli("package", "ready", "--unit", unit_id, "--number", "1", "--url", "https://data.example.dk/p/1",
            "--now", (FIRST + dt.timedelta(days=2)).isoformat())
    assert "ready" in r.stdout
    cli("dispatch", "--now", (FIRST + dt.timedelta(days=2, hours=1)).isoformat())
    ready = [m for m in smtp.messages if m.message["X-Kvalitetsloop-Kind"] == "data_package_ready"]
    assert {m.rcpt_tos[0] for m in ready} >= {f"bestyrelse-{unit_id}@example.dk"}
    assert "https://data.example.dk/p/1" in ready[0].message.get_body(("plain",)).get_content()

    stmt = tmp_path / "udtalelse.txt"
    stmt.write_text("Bestyrelsen ønsker mere fokus på sprog.", encoding="utf-8")
    r = cli("statement", "submit", "--unit", unit_id, "--talk", "2", "--file", str(stmt),
            "--now", (FIRST + dt.timedelta(days=3)).isoformat())
    assert "reminders stop" in r.stdout

    # Mistakes: one sentence, exit code 2, no traceback.
    for args in (("statement", "submit", "--unit", "nope", "--talk", "2", "--file", str(stmt)),
                 ("statement", "submit", "--unit", unit_id, "--talk", "7", "--file", str(stmt)),
                 ("statement", "submit", "--unit", unit_id, "--talk", "2", "--file", str(tmp_path / "missing.txt")),
                 ("package", "ready", "--unit", unit_id, "--number", "1", "--url", "javascript:alert(1)"),
                 ("outbox", "retry", "999999"), ("outbox", "give-up", "999999"),
                 ("outbox", "list", "--status", "lost"), ("dispatch", "--now", "tomorrow"),
                 ("simulate", "nope", "--from", "2027-03-01", "--to", "2027-03-02")):
        bad = cli(*args, check=False)
        assert bad.returncode == 2, (args, bad.stdout, bad.stderr)
        assert "Traceback" not in bad.stderr and bad.stderr.startswith("Error: "), (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
