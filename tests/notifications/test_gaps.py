"""Nothing due is dropped when dispatch does not run for a while (issue 10.3, 10.2 of the build).

The same loop is dispatched every day, and every 7 and every 30 days, over the same months,
into a real SMTP server. Every email the daily run sends is, in each gapped run, either sent
(late if need be; a late data-package order says "bestilt for sent") or listed as skipped with
its reason; nothing is sent twice."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter

import pytest
import sqlalchemy as sa

from storage.db import dispose_all, engine_for
from tests.notifications.conftest import at, run_dispatch, settings_for

FIRST, LAST = dt.date(2027, 3, 29), dt.date(2027, 7, 9)


def _days(gap: int) -> list[dt.date]:
    days = [FIRST + dt.timedelta(days=i) for i in range(0, (LAST - FIRST).days + 1, gap)]
    return days if days[-1] == LAST else days + [LAST]


def _outbox(url: str) -> list[dict]:
    with engine_for(url).connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.text(
            "select key, kind, status, subject, last_error, message_id from outbox"))]


@pytest.fixture(scope="module")
def runs(small_loop_template, tmp_path_factory):
    """Outbox rows and SMTP messages of one run per gap (1, 7 and 30 days), each on its own copy."""
    from aiosmtpd.controller import Controller

    from notifications.mailsink import free_port
    from tests.notifications.conftest import Recorder

    out = {}
    for gap in (1, 7, 30):
        path = tmp_path_factory.mktemp(f"gap{gap}") / "loop.sqlite"
        shutil.copy(small_loop_template, path)
        url = f"sqlite:///{path}"
        rec = Recorder()
        port = free_port()
        controller = Controller(rec, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            settings = settings_for(port)
            skipped_said = 0
            for day in _days(gap):
                report = run_dispatch(url, at(f"{day.isoformat()}T16:00"), settings)
                assert report.drain.failed == report.drain.retrying == 0
                skipped_said += len(report.skipped)
        finally:
            controller.stop()
        out[gap] = dict(rows=_outbox(url), messages=[m.message for m in rec.messages], said=skipped_said)
        dispose_all()
    return out


def test_daily_dispatch_skips_nothing_on_the_way(runs):
    """Daily dispatch is the reference: after its first run it sends what falls due and lists
    nothing as skipped."""
    first_day = {r["key"] for r in runs[1]["rows"] if r["status"] == "skipped"}
    assert all(r["status"] == "sent" for r in runs[1]["rows"] if r["key"] not in first_day)


@pytest.mark.parametrize("gap", [1, 7, 30])
def test_after_any_gap_every_email_of_the_daily_run_is_sent_or_listed_as_skipped(runs, gap):
    daily = {r["key"] for r in runs[1]["rows"] if r["status"] == "sent"}
    rows = runs[gap]["rows"]
    sent = {r["key"] for r in rows if r["status"] == "sent"}
    skipped = {r["key"]: r["last_error"] for r in rows if r["status"] == "skipped"}
    lost = sorted(daily - sent - set(skipped))
    assert not lost, lost[:10]
    assert all(why for why in skipped.values())  # each with its reason
    assert {r["status"] for r in rows} <= {"sent", "skipped"}
    # What the gapped run sent, the server got once each; nothing it skipped was sent.
    got = Counter(m["Message-ID"] for m in runs[gap]["messages"])
    assert sorted(got.values()) == [1] * len(sent)
    assert set(got) == {r["message_id"] for r in rows if r["status"] == "sent"}
    # The command said how many it skipped, and the outbox lists them.
    assert runs[gap]["said"] == len(skipped)
    if gap > 1:
        assert sent <= daily | {k for k in sent if k.startswith("data_package_trigger|")}


def test_a_month_without_dispatch_orders_the_data_packages_late_and_says_so(runs):
    rows = runs[30]["rows"]
    triggers = [r for r in rows if r["kind"] == "data_package_trigger" and r["status"] == "sent"]
    late = [r for r in triggers if "bestilt for sent" in r["subject"]]
    assert late, [r["subject"] for r in triggers]
    msg = next(m for m in runs[30]["messages"] if "bestilt for sent" in m["Subject"])
    body = msg.get_body(("plain",)).get_content()
    assert "udsendelsen har ikke kørt siden" in body and "datapakke" in body
    # A reminder whose deadline passed during the month is listed, not silently lost.
    reasons = Counter(r["last_error"] for r in rows if r["status"] == "skipped")
    assert any("passed" in why or "replaced" in why or "took place" in why for why in reasons), reasons


def test_the_issue_case_orders_every_package_due_during_the_gap(small_loop, smtp):
    """Issue 10.3: a dispatch on 2027-04-20 after none since early April sent 2 of the due orders."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases.loops import view_loop

    settings = settings_for(smtp.port)
    run_dispatch(small_loop, at("2027-04-01T16:00"), settings)
    run_dispatch(small_loop, at("2027-04-20T16:00"), settings)
    events = view_loop(unit_of_work_for(small_loop), "0-6-2027-04-28").events
    due = {(e.unit_id, e.number) for e in events if e.kind == "data_package"
           and "2027-04-01" < e.details["trigger_date"] <= "2027-04-20"}
    assert due
    listed = set()
    for m in smtp.messages:
        msg = m.message
        if msg["X-Kvalitetsloop-Kind"] != "data_package_trigger":
            continue
        for line in msg.get_body(("plain",)).get_content().splitlines():
            if line.startswith("- ") and "datapakke" in line:
                listed.add((line.split("(")[1].split(",")[0], int(line.split("datapakke ")[1].split(",")[0])))
    assert due <= listed
