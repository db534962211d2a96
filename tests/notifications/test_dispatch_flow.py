"""The dispatch flow under Prefect's test harness (a real, temporary Prefect API), as operations see
it: readable run names, a subflow per loop named by its phase and tagged, a task per phase and
sector, artifacts per loop and per run, events others can automate on, and a red run when the
SMTP server is away — with everything delivered by the next run once it is back."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa
from prefect.testing.utilities import prefect_test_harness

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
from kvalitetsloop.usecases import loops as loop_cases
from notifications.mailsink import free_port
from storage.db import engine_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
LOOP = "0-6-2027-04-28"


@pytest.fixture(scope="module")
def prefect_api():
    with prefect_test_harness(server_startup_timeout=300):
        yield


def _client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _read_events(prefix: str) -> list[dict]:
    with _client() as client:
        r = client._client.post("/events/filter", json={"filter": {"event": {"prefix": [prefix]}}, "limit": 50})
        r.raise_for_status()
        return r.json()["events"]


def _wait_for_events(prefix: str, count: int) -> list[dict]:
    events = []
    for _ in range(30):  # events reach the API asynchronously
        events = _read_events(prefix)
        if len(events) >= count:
            break
        time.sleep(1)
    return events


def _trigger_morning(url: str) -> dt.datetime:
    view = loop_cases.view_loop(uow_for(url), LOOP)
    day = min(dt.date.fromisoformat(e.details["trigger_date"]) for e in view.events if e.kind == "data_package")
    return dt.datetime.combine(day, dt.time(9, 0), view.tz)


def _statuses(url: str) -> dict[str, int]:
    with engine_for(url).connect() as c:
        return dict(c.execute(sa.text("select status, count(*) from outbox group by status")).all())


def test_dispatch_flow_sends_and_raises_data_package_events(prefect_api, small_loop, smtp, smtp_env, monkeypatch):
    from flows.dispatch import dispatch

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    smtp_env(smtp.port)
    now = _trigger_morning(small_loop)
    state = dispatch(now=now, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["sent"] == len(smtp.messages) > 0
    requested = result["data_packages_requested"]
    assert requested >= 1
    assert any(m.message["To"] == "data@aarhus.example.dk" for m in smtp.messages)
    events = _wait_for_events("kvalitetsloop.data-package.requested", requested)
    assert len(events) == requested
    assert all(e["resource"]["prefect.resource.id"].startswith("kvalitetsloop.unit.dt-") for e in events)
    assert {e["payload"]["loop_id"] for e in events} == {LOOP}
    assert {e["payload"]["now"] for e in events} == {now.isoformat()}
    assert all(e["related"][0]["prefect.resource.id"] == f"kvalitetsloop.loop.{LOOP}" for e in events)
    # A second run at the same time sends nothing more: the outbox keys hold.
    again = dispatch(now=now, return_state=True).result()
    assert again["sent"] == 0


def test_operations_see_the_loop_by_phase_with_tags_tasks_and_artifacts(prefect_api, small_loop, smtp, smtp_env,
                                                                        monkeypatch):
    from prefect.client.schemas.filters import TaskRunFilter

    from flows.dispatch import dispatch

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    smtp_env(smtp.port)
    now = _trigger_morning(small_loop)
    state = dispatch(now=now, return_state=True)
    assert state.is_completed(), state.message
    with _client() as client:
        parent = client.read_flow_run(state.state_details.flow_run_id)
        assert parent.name == f"dispatch {now:%Y-%m-%d %H:%M}"
        tasks = client.read_task_runs(task_run_filter=TaskRunFilter(
            flow_run_id={"any_": [parent.id]}))
        subflows = [client.read_flow_run(t.state.state_details.child_flow_run_id) for t in tasks
                    if t.state and t.state.state_details.child_flow_run_id]
        assert [f.name for f in subflows] == [f"loop {LOOP} · Læringssamtale 1 og lokale fokusområder"]
        loop_run = subflows[0]
        assert {"kvalitetsloop", f"loop:{LOOP}", "area:0-6", "framework:aarhus"} <= set(loop_run.tags)
        sends = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_id={"any_": [loop_run.id]}))
        names = {t.name for t in sends}
        # One task per phase and sector, in the framework's words; the data team's request among them.
        assert "Læringssamtale 1 og lokale fokusområder · dagtilbud" in names
        # This run's artifacts (the harness keeps the earlier tests' versions of the same keys).
        arts = {a.key: a for a in client.read_artifacts() if a.key and a.flow_run_id in (parent.id, loop_run.id)}
    assert {f"loop-{LOOP}-state", f"loop-{LOOP}-progress", "dispatch-report"} <= set(arts)
    phases = {row["fase"]: row for row in json.loads(arts[f"loop-{LOOP}-state"].data)}
    # On the first trigger day the leader networks' theme meetings are behind, talk 1 ahead.
    assert phases["Temaer via de faglige ledernetværk"]["gennemført"] == 2
    assert phases["Temaer via de faglige ledernetværk"]["kommende"] == 0
    assert phases["Læringssamtale 1 og lokale fokusområder"]["kommende"] > 0
    assert 0 < arts[f"loop-{LOOP}-progress"].data < 100
    report = json.loads(arts["dispatch-report"].data)
    assert {r["slags"] for r in report} >= {"data_package_trigger"} and all(r["fejlet"] == 0 for r in report)
    assert sum(r["sendt"] for r in report) == len(smtp.messages)


def test_smtp_down_fails_the_run_with_a_sentence_and_the_next_run_delivers_everything(
        prefect_api, small_loop, smtp, smtp_env, monkeypatch):
    from flows.dispatch import dispatch
    from kvalitetsloop.settings import get_settings

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    monkeypatch.setenv("KVALITETSLOOP_FLOW_SEND_RETRIES", "0")
    smtp_env(free_port())  # nobody listens there
    get_settings.cache_clear()
    now = _trigger_morning(small_loop)
    state = dispatch(now=now, return_state=True)
    assert state.is_failed()
    assert "wait in the outbox for the next run" in state.message and "0 emails were sent" in state.message
    waiting = _statuses(small_loop)
    assert set(waiting) == {"pending"} and waiting["pending"] > 0
    # The failure hook tells the ops automation at once, with the run's sentence and tags.
    failed = [e for e in _wait_for_events("kvalitetsloop.flow-run.failed", 1)
              if e["resource"]["prefect.resource.id"] == f"prefect.flow-run.{state.state_details.flow_run_id}"]
    assert len(failed) == 1
    assert "wait in the outbox" in failed[0]["resource"]["prefect.state-message"]
    assert "prefect.tag.kvalitetsloop" in {r["prefect.resource.id"] for r in failed[0]["related"]}
    # A run while the rows wait out their backoff tries nothing, and is red too: nothing went out.
    meanwhile = dispatch(now=now + dt.timedelta(seconds=30), return_state=True)
    assert meanwhile.is_failed()
    assert f"{waiting['pending']} that earlier runs could not send wait for their next try" in meanwhile.message
    smtp_env(smtp.port)  # the server is back
    get_settings.cache_clear()
    later = dispatch(now=now + dt.timedelta(minutes=15), return_state=True)
    assert later.is_completed(), later.message
    assert _statuses(small_loop) == {"sent": waiting["pending"]}
    assert len(smtp.messages) == waiting["pending"]


def test_a_task_retry_sends_what_a_busy_server_refused(prefect_api, small_loop, smtp, smtp_env, monkeypatch):
    """451 (try again later) for the first emails: the task raises, Prefect retries it after the
    backoff, and the run ends Completed with every email sent once."""
    from flows.dispatch import dispatch
    from kvalitetsloop.settings import get_settings

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    monkeypatch.setenv("KVALITETSLOOP_FLOW_SEND_RETRIES", "1")
    monkeypatch.setenv("KVALITETSLOOP_FLOW_SEND_RETRY_DELAY_SECONDS", "2")
    monkeypatch.setenv("KVALITETSLOOP_OUTBOX_BACKOFF_SECONDS", "1")
    smtp_env(smtp.port)
    get_settings.cache_clear()
    smtp.data_answers += ["451 4.3.0 Mailbox busy", "451 4.3.0 Mailbox busy"]
    state = dispatch(now=_trigger_morning(small_loop), return_state=True)
    assert state.is_completed(), state.message
    statuses = _statuses(small_loop)
    assert set(statuses) == {"sent"}
    assert len({m.message["Message-ID"] for m in smtp.messages}) == statuses["sent"]


def test_what_arrived_is_announced_once_as_prefect_events(prefect_api, small_loop, smtp, smtp_env, monkeypatch,
                                                          tmp_path):
    """A board statement and a ready data package, recorded on the command line, reach Prefect as
    `kvalitetsloop.statement.received` and `kvalitetsloop.data-package.ready` at the next dispatch
    run, once each."""
    from flows.dispatch import dispatch
    from tests.conftest import Cli

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    smtp_env(smtp.port)
    view = loop_cases.view_loop(uow_for(small_loop), LOOP)
    unit = sorted({e.unit_id for e in view.events if e.kind == "board_statement_due"})[0]
    statement = tmp_path / "udtalelse.txt"
    statement.write_text("Bestyrelsen ønsker mere fokus på sprog.", encoding="utf-8")
    cli = Cli(small_loop, tmp_path)
    at = "2027-09-01T10:00:00+02:00"
    cli("statement", "submit", "--unit", unit, "--talk", "2", "--file", str(statement), "--by",
        "formand@example.dk", "--now", at)
    cli("package", "ready", "--unit", unit, "--number", "2", "--url", "https://data.example.dk/p/2", "--now", at)
    now = dt.datetime.fromisoformat("2027-09-01T11:00:00+02:00")
    first = dispatch(now=now, return_state=True).result()
    assert first["arrivals_announced"] == 2
    assert dispatch(now=now + dt.timedelta(minutes=15), return_state=True).result()["arrivals_announced"] == 0
    statements = _wait_for_events("kvalitetsloop.statement.received", 1)
    ready = _wait_for_events("kvalitetsloop.data-package.ready", 1)
    assert [e["resource"]["prefect.resource.id"] for e in statements] == [f"kvalitetsloop.unit.{unit}"]
    assert [e["payload"]["url"] for e in ready] == ["https://data.example.dk/p/2"]
    assert {e["payload"]["loop_id"] for e in statements + ready} == {LOOP}


def test_the_loop_state_artifact_is_republished_when_the_state_changes(prefect_api, small_loop, smtp, smtp_env,
                                                                        monkeypatch):
    """A process that runs many dispatch runs publishes a loop's state only when it changed; the
    Artifacts page still shows each loop's latest state."""
    from flows.dispatch import dispatch

    monkeypatch.setenv("KVALITETSLOOP_DATABASE_URL", small_loop)
    smtp_env(smtp.port)
    now = _trigger_morning(small_loop)
    key = f"loop-{LOOP}-state"

    def versions() -> list:
        with _client() as client:
            return [a for a in client.read_artifacts() if a.key == key]

    def overdue_and_done(artifact) -> tuple[int, int]:
        rows = json.loads(artifact.data)
        return sum(r["forsinket"] for r in rows), sum(r["gennemført"] for r in rows)

    assert dispatch(now=now, return_state=True).is_completed()
    first = versions()
    # The same moment again: nothing changed, so no new version.
    assert dispatch(now=now + dt.timedelta(minutes=5), return_state=True).is_completed()
    assert len(versions()) == len(first)
    # Two months on, meetings have been held: a new version with the new figures.
    later = now + dt.timedelta(days=60)
    dispatch(now=later, return_state=True)
    newest = max(versions(), key=lambda a: a.created)
    assert len(versions()) == len(first) + 1
    assert overdue_and_done(newest) != overdue_and_done(max(first, key=lambda a: a.created))
