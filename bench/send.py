"""Benchmark sending: 10,000 reminder emails to a local aiosmtpd sink in its own process.

    python bench/send.py [--count N]

Four ways, in the same run and against the same sink (which counts and discards):

* floor: prebuilt messages over one connection (YagTransport.deliver), no rendering: the limit
  of the loopback path;
* ours: rendered (Jinja2), built (email package) and sent over one reused connection;
* ours through the outbox: the same, drained from SQLite rows with one commit per row, as
  `kvalitetsloop dispatch` sends (render, build, send, record);
* yagmail's default: `yagmail.SMTP.send()` per email, which opens a new connection each time
  and builds its own MIME.

Target (shared/CORRECTIONS.md): ours >= 300 messages/s and >= 2.5x yagmail's default.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yagmail  # noqa: E402

from cycle.kinds import BOARD_STATEMENT  # noqa: E402
from notifications import mailsink  # noqa: E402
from notifications.mime import Envelope, build, new_message_id  # noqa: E402
from notifications.render import render  # noqa: E402
from notifications.transport import YagTransport  # noqa: E402
from bench.machine import describe

SENDER = "kvalitetsloop@aarhus.example.dk"
ORG = {"name": "Børn og Unge, Aarhus Kommune", "email": "kvalitet@aarhus.example.dk"}
NOW = dt.datetime(2027, 8, 4, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def machine() -> str:
    return f"{describe()}, yagmail {yagmail.__version__}"


def reminder_context(i: int) -> dict:
    unit = f"Børnehuset Ærtebjerg {i:05d}"
    return {
        "event": {"uid": f"{i}@bench", "kind": BOARD_STATEMENT.event_kind, "title": f"Udtalelse fra bestyrelsen: {unit}",
                  "number": 2, "start": "2027-08-25T00:00:00+02:00", "end": "2027-08-26T00:00:00+02:00",
                  "date": "2027-08-25"},
        "unit": {"id": f"dt-{i:05d}", "name": unit, "sector": "dagtilbud"},
        "due_date": "2027-08-25", "days_before": 21, "talk": {"start": "2027-09-01T09:00:00+02:00"},
    }


def recipient(i: int) -> tuple[str, str]:
    return f"bestyrelse-dt-{i:05d}@example.dk", f"Bestyrelsen for Børnehuset Ærtebjerg {i:05d}"


def ours_message(i: int) -> bytes:
    to, name = recipient(i)
    ctx = reminder_context(i)
    r = render("board_statement_reminder", ctx, to, name, ORG, link=f"https://kvalitet.aarhus.example.dk/udtalelse/{i:040d}")
    env = Envelope(SENDER, ORG["name"], to, name, r.subject, new_message_id("kvalitetsloop.aarhus.example.dk"), NOW,
                   headers={"X-Kvalitetsloop-Kind": "board_statement_reminder"})
    return build(env, r.text, r.html)


def transport(port: int) -> YagTransport:
    return YagTransport(host="127.0.0.1", port=port, user=SENDER, password="", tls="none", timeout=30,
                        envelope_from=SENDER)


def run_floor(port: int, n: int) -> float:
    prebuilt = [ours_message(i) for i in range(n)]
    t = transport(port)
    start = time.perf_counter()
    for i, data in enumerate(prebuilt):
        t.deliver([recipient(i)[0]], data)
    t.close()
    return n / (time.perf_counter() - start)


def run_ours(port: int, n: int) -> float:
    """As the sender sends: the next message rendered and built while this one is on the wire."""
    from notifications.sender import composed_ahead

    t = transport(port)
    start = time.perf_counter()
    for i, data in composed_ahead(list(range(n)), ours_message):
        t.deliver([recipient(i)[0]], data)
    t.close()
    return n / (time.perf_counter() - start)


def run_outbox(port: int, n: int) -> float:
    """Rows in a SQLite outbox, drained by notifications.sender (one commit per row)."""
    from kvalitetsloop.bootstrap import upgrade_database
    from kvalitetsloop.unit_of_work import SqlUnitOfWork
    from kvalitetsloop.settings import Settings
    from notifications import outbox
    from notifications.sender import drain
    from storage.db import engine_for
    from storage.models_notifications import OutboxRow

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        upgrade_database(url)
        rows = []
        for i in range(n):
            to, name = recipient(i)
            rows.append({"key": f"bench|{i}|{to}", "kind": "board_statement_reminder", "loop_id": "bench",
                         "event_uid": f"{i}@bench", "recipient": to, "subject": "Påmindelse",
                         "message_id": new_message_id("kvalitetsloop.aarhus.example.dk"),
                         "context": {**reminder_context(i), "names": {to: name}}, "ics": None, "method": None,
                         "status": "pending", "attempts": 0, "due_at": NOW, "created_at": NOW,
                         "next_attempt_at": NOW, "updated_at": NOW})
        with SqlUnitOfWork(url) as uow:
            s = uow.session
            outbox.insert_ignoring_duplicates(s, OutboxRow.__table__, rows, "key")
            uow.commit()
        settings = Settings(sender=SENDER, organiser=ORG["email"], organiser_name=ORG["name"], outbox_batch=500)
        start = time.perf_counter()
        report = drain(engine_for(url), transport(port), settings, NOW, lambda: dt.datetime.now(dt.timezone.utc))
        rate = report.total_sent / (time.perf_counter() - start)
        engine_for(url).dispose()
        return rate


def run_yagmail(port: int, n: int) -> float:
    yag = yagmail.SMTP(user=SENDER, host="127.0.0.1", port=port, smtp_ssl=False, smtp_starttls=False,
                       smtp_skip_login=True, soft_email_validation=False)
    start = time.perf_counter()
    for i in range(n):
        to, _ = recipient(i)
        ctx = reminder_context(i)
        yag.send(to=to, subject=f"Påmindelse: Bestyrelsens udtalelse til {ctx['unit']['name']}",
                 contents=f"Bestyrelsens skriftlige udtalelse for {ctx['unit']['name']} skal være modtaget senest "
                          f"onsdag den 25. august 2027.\nBrug linket: https://kvalitet.aarhus.example.dk/udtalelse/{i}")
    yag.close()
    return n / (time.perf_counter() - start)


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=10_000)
    args = p.parse_args(argv)
    n = args.count
    proc, port = mailsink.start_process(None, discard=True)
    try:
        print(f"machine: {machine()}")
        print(f"{n:,} reminder emails to an aiosmtpd sink in its own process on 127.0.0.1:{port}")
        size = len(ours_message(0))
        floor = run_floor(port, n)
        print(f"floor, prebuilt messages ({size:,} bytes), one connection: {floor:8.0f} msg/s")
        ours = run_ours(port, n)
        print(f"ours, rendered + built + sent, one connection:        {ours:8.0f} msg/s")
        drained = run_outbox(port, n)
        print(f"ours through the SQLite outbox (commit per row):      {drained:8.0f} msg/s")
        yag = run_yagmail(port, n)
        print(f"yagmail default, send() per email (connection each):  {yag:8.0f} msg/s")
        print(f"ratio ours / yagmail default: {ours / yag:.2f}x (outbox path {drained / yag:.2f}x); "
              f"ours is {ours / floor:.0%} of the floor")
    finally:
        mailsink.stop_process(proc)
    return (f"## Sending reminder emails (`bench/send.py`)\n\n"
            f"{n:,} board-statement reminders to an aiosmtpd sink in its own process (loopback).\n\n"
            f"| way | messages/s |\n| --- | ---: |\n"
            f"| floor: prebuilt messages, one connection | {floor:.0f} |\n"
            f"| ours: rendered + built + sent, one reused connection | {ours:.0f} |\n"
            f"| ours through the SQLite outbox, one commit per row | {drained:.0f} |\n"
            f"| yagmail default: `send()` per email, a connection each | {yag:.0f} |\n\n"
            f"Ratio ours / yagmail default: **{ours / yag:.2f}x** (outbox path {drained / yag:.2f}x); ours reaches "
            f"{ours / floor:.0%} of the floor. Target: >= 300 msg/s and >= 2.5x (shared/CORRECTIONS.md).\n")


if __name__ == "__main__":
    main(sys.argv[1:])
