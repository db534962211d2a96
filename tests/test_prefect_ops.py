"""Never two dispatches at once (issue 8): the shipped `dispatch` deployment has a concurrency limit
of 1, so on a real server with a real process worker a second run waits (Scheduled,
"AwaitingConcurrencySlot") while the first runs, and runs after it.

The outbox's database claim stays the real guard against sending twice; this limit only keeps a
second dispatch from starting. Every process runs in its own process group and is killed when the
test ends, passed or not.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from tests.test_prefect_server import PREFECT, PrefectServer, Processes, _tail, processes  # noqa: F401 (the fixture)

pytestmark = pytest.mark.processes


def _states(api: str, run_id: str) -> list[dict]:
    r = httpx.get(f"{api}/flow_run_states/", params={"flow_run_id": run_id}, timeout=10)
    r.raise_for_status()
    return sorted(r.json(), key=lambda s: s["timestamp"])


def _first(states: list[dict], type_: str) -> dt.datetime:
    return next(dt.datetime.fromisoformat(s["timestamp"]) for s in states if s["type"] == type_)


def _create_run(api: str, deployment_id: str) -> str:
    """A flow run of the deployment. Prefect's server on SQLite can answer a write with an error
    when its database is busy (seen once in a full suite: no "id" in the answer); ask again then."""
    for _ in range(10):
        r = httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run", json={}, timeout=10)
        if r.is_success:
            return r.json()["id"]
        time.sleep(1)
    r.raise_for_status()
    raise AssertionError(r.text)


def test_a_second_dispatch_waits_for_the_first(processes: Processes, tmp_path):
    # How long a run that found no slot waits before it asks again (default 30 s): short here.
    server = PrefectServer(processes, tmp_path / "prefect",
                           extra_env={"PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2"})
    api, env = server.api, server.env
    server.deploy()
    deployment = httpx.get(f"{api}/deployments/name/dispatch/dispatch", timeout=10).json()
    assert deployment["global_concurrency_limit"]["limit"] == 1
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"

    # Two runs at once, before any worker is there: the worker sees both in one poll.
    runs = [_create_run(api, deployment["id"]) for _ in range(2)]
    worker_log = tmp_path / "worker.log"
    worker = processes.start([PREFECT, "worker", "start", "--pool", "kvalitetsloop"], {
        **env, "PREFECT_WORKER_QUERY_SECONDS": "1",
        "KVALITETSLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'kvalitetsloop.sqlite'}",  # nothing is due
    }, worker_log)

    deadline = time.monotonic() + 60
    while True:
        states = {r: httpx.get(f"{api}/flow_runs/{r}", timeout=10).json()["state_type"] for r in runs}
        if all(s in ("COMPLETED", "FAILED", "CRASHED") for s in states.values()):
            break
        assert worker.poll() is None, f"the worker exited:\n{_tail(worker_log)}"
        assert time.monotonic() < deadline, f"runs not finished: {states}\n--- worker ---\n{_tail(worker_log)}"
        time.sleep(0.5)
    assert set(states.values()) == {"COMPLETED"}, f"{states}\n--- worker ---\n{_tail(worker_log)}"

    history = {r: _states(api, r) for r in runs}
    waited = [r for r in runs if any(s["name"] == "AwaitingConcurrencySlot" for s in history[r])]
    assert len(waited) == 1, {r: [s["name"] for s in h] for r, h in history.items()}
    first = next(r for r in runs if r not in waited)
    # The waiting run ran only once the first had finished: never two at once.
    assert _first(history[waited[0]], "RUNNING") >= _first(history[first], "COMPLETED")
