"""Operations alerts (issue 8, point 4): the ops email itself, and end to end on a real Prefect
server: `prefect deploy --all` makes the notify-ops automations; a dispatch run on a process worker
whose main SMTP server is down ends Failed with its sentence; the automation runs notify-ops, which
mails exactly one alert naming the failed run over the ops SMTP server; once the main server is
back, the next dispatch run delivers everything.

The processes (server, worker, sinks) are started and cleaned up with the helpers of
tests/test_prefect_server.py: every process group is killed when the test ends, passed or not.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from kvalitetsloop.settings import Settings
from kvalitetsloop.usecases import ops as ops_cases
from storage.db import dispose_all, engine_for
from notifications.mailsink import free_port, start_process, stop_process
from tests.test_prefect_server import (PREFECT, PrefectServer, _kill_group, database_with_invitations_due,
                                       _tail, _wait_for, processes)  # noqa: F401 (a fixture)
from tests.conftest import ROOT

OPS = "ops@aarhus.example.dk"


def _eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


# -- the email -------------------------------------------------------------------------------

def test_the_ops_smtp_server_defaults_to_the_main_one():
    s = Settings(smtp_host="mail.example", smtp_port=587, smtp_tls="starttls", smtp_password="x")
    assert s.ops_smtp() == {"host": "mail.example", "port": 587, "user": "kvalitetsloop", "password": "x",
                            "tls": "starttls"}
    s = Settings(smtp_host="mail.example", ops_smtp_host="relay.example", ops_smtp_port=25, ops_smtp_password="")
    assert s.ops_smtp()["host"] == "relay.example" and s.ops_smtp()["port"] == 25
    assert s.ops_smtp()["password"] == "" and s.ops_smtp()["tls"] == "none"


def test_a_failed_run_alert_says_what_when_where_and_what_to_do():
    at = dt.datetime(2027, 5, 4, 7, 0, 12, tzinfo=dt.timezone.utc)
    alert = ops_cases.run_failed_alert(
        "0b1c", "dispatch 2027-05-04 09:00", "Failed",
        "0 emails were sent, but 3 wait in the outbox for the next run and 0 failed for good "
        "('kvalitetsloop outbox list'); the reason: the SMTP server could not be reached", at,
        "http://prefect:4200/runs/flow-run/0b1c", "dispatch")
    alert.failing = [ops_cases.FailingRow(7, "pending", "invitation", "a@b.dk", "2027-05-04 08:00", 3, "refused")]
    settings = Settings(ops_email=OPS)
    subject, data = ops_cases.compose(alert, settings, at)
    assert subject == "kvalitetsloop: dispatch 2027-05-04 09:00 failed"
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg["To"] == OPS and msg["Subject"] == subject
    assert msg["Message-ID"] == ops_cases.message_id("flow-run.0b1c", settings.message_id_domain)
    text = _body(msg)
    assert "3 wait in the outbox for the next run" in text and "2027-05-04 09:00:12 CEST" in text
    assert "http://prefect:4200/runs/flow-run/0b1c" in text and "kvalitetsloop outbox list" in text
    assert "#7 pending invitation to a@b.dk" in text
    html = msg.get_body(("html",)).get_content()
    assert "&#39;kvalitetsloop outbox list&#39;" in html or "'kvalitetsloop outbox list'" in html


def test_an_outbox_alert_names_the_row_and_no_ops_address_is_an_error():
    alert = ops_cases.outbox_failed_alert("12", "invitation", "a@b.dk", "550 no such user", None)
    subject, data = ops_cases.compose(alert, Settings(ops_email=OPS), dt.datetime(2027, 5, 4, tzinfo=dt.timezone.utc))
    assert subject == "kvalitetsloop: outbox row 12 failed for good"
    assert "kvalitetsloop outbox retry 12" in _body(email.message_from_bytes(data, policy=policy.default))
    with pytest.raises(ops_cases.UserError, match="KVALITETSLOOP_OPS_EMAIL"):
        ops_cases.compose(alert, Settings(ops_email=""), dt.datetime(2027, 5, 4, tzinfo=dt.timezone.utc))


# -- end to end on a real Prefect server ------------------------------------------------------

def test_a_failed_dispatch_run_mails_ops_once_and_the_next_run_delivers_everything(processes, tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    url = database_with_invitations_due(tmp_path, now)

    server = PrefectServer(processes, tmp_path / "prefect")
    dispatch = server.deploy()  # the README's one command: prefect deploy --all
    notify = server.get("/deployments/name/notify-ops/notify-ops")
    assert "kvalitetsloop" not in notify["tags"]
    listed = server.cli("automation", "ls", env={"COLUMNS": "300"})
    assert "a flow run failed or crashed" in listed and "an outbox row failed for good" in listed, listed
    automations = server.post("/automations/filter", {})
    assert {a["name"] for a in automations} == {"kvalitetsloop: a flow run failed or crashed",
                                                "kvalitetsloop: an outbox row failed for good"}
    assert all(a["actions"][0]["type"] == "run-deployment" and a["actions"][0]["deployment_id"] == notify["id"]
               for a in automations), automations

    ops_mail, main_mail = tmp_path / "ops-mail", tmp_path / "main-mail"
    ops_sink, ops_port = start_process(ops_mail)
    main_sink = None
    try:
        env = {**server.env, "KVALITETSLOOP_HOME": str(ROOT), "KVALITETSLOOP_DATABASE_URL": url,
               "KVALITETSLOOP_SMTP_HOST": "127.0.0.1", "KVALITETSLOOP_SMTP_PORT": str(free_port()),  # down
               "KVALITETSLOOP_OPS_SMTP_PORT": str(ops_port), "KVALITETSLOOP_OPS_EMAIL": OPS,
               "KVALITETSLOOP_FLOW_SEND_RETRIES": "0", "PREFECT_WORKER_QUERY_SECONDS": "2"}
        worker_log = tmp_path / "worker.log"
        worker = processes.start([PREFECT, "worker", "start", "--pool", "kvalitetsloop"], env, worker_log)

        run = server.post(f"/deployments/{dispatch['id']}/create_flow_run",
                          {"parameters": {"now": now.isoformat()}, "idempotency_key": "failing-dispatch"})

        def finished(run_id: str):
            assert worker.poll() is None, f"the worker exited:\n{_tail(worker_log)}"
            r = server.get(f"/flow_runs/{run_id}")
            return r if r["state_type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        failed = _wait_for("the dispatch run ends", lambda: finished(run["id"]), 90, server, other_log=worker_log)
        assert failed["state_type"] == "FAILED", failed["state"]
        message = failed["state"]["message"]
        assert "wait in the outbox for the next run" in message and "cannot connect" in message, message

        def notify_runs(states=None):
            return server.flow_runs(notify["id"], states)

        done = _wait_for("the automation's notify-ops run completes",
                         lambda: notify_runs(["COMPLETED", "FAILED", "CRASHED"]), 60, server, other_log=worker_log)
        assert [r["state_type"] for r in done] == ["COMPLETED"], [r["state"] for r in done]
        assert done[0]["created_by"]["type"] == "AUTOMATION"
        emls = sorted(ops_mail.glob("*.eml"))
        assert len(emls) == 1, [p.name for p in emls]
        alert = _eml(emls[0])
        assert alert["To"] == OPS
        assert alert["Subject"] == f"kvalitetsloop: {failed['name']} failed", alert["Subject"]
        text = _body(alert)
        assert f"/runs/flow-run/{failed['id']}" in text and "wait in the outbox for the next run" in text

        # The main SMTP server is back: the next run delivers everything (and nobody is alerted).
        _kill_group(worker)
        main_sink, main_port = start_process(main_mail)
        worker = processes.start([PREFECT, "worker", "start", "--pool", "kvalitetsloop"],
                                 {**env, "KVALITETSLOOP_SMTP_PORT": str(main_port)}, worker_log)
        later = now + dt.timedelta(minutes=10)  # past the outbox's first backoff
        run = server.post(f"/deployments/{dispatch['id']}/create_flow_run",
                          {"parameters": {"now": later.isoformat()}, "idempotency_key": "dispatch-after-repair"})
        ok = _wait_for("the second dispatch run ends", lambda: finished(run["id"]), 90, server, other_log=worker_log)
        assert ok["state_type"] == "COMPLETED", ok["state"]
        assert len(notify_runs()) == 1  # a Completed run makes no alert
    finally:
        processes.stop_all()
        stop_process(ops_sink)
        if main_sink is not None:
            stop_process(main_sink)

    sent = sorted(main_mail.glob("*.eml"))
    with engine_for(url).connect() as c:
        statuses = dict(c.execute(sa.text("select status, count(*) from outbox group by status")).all())
    dispose_all()
    assert sent and statuses == {"sent": len(sent)}, statuses
    assert len(sorted(ops_mail.glob("*.eml"))) == 1
