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

import pytest

from tests.test_prefect_server import PREFECT, PrefectServer, Processes, _tail, processes  # noqa: F401 (the fixture)

pytestmark = pytest.mark.processes


def _states(server: PrefectServer, run_id: str) -> list[dict]:
    return sorted(server.get(f"/flow_run_states/?flow_run_id={run_id}"), key=lambda s: s["timestamp"])


def _first(states: list[dict], type_: str) -> dt.datetime:
    return next(dt.datetime.fromisoformat(s["timestamp"]) for s in states if s["type"] == type_)


def test_a_second_dispatch_waits_for_the_first(processes: Processes, tmp_path):
    # How long a run that found no slot waits before it asks again (default 30 s): short here.
    server = PrefectServer(processes, tmp_path / "prefect",
                           extra_env={"PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2"})
    env = server.env
    server.deploy()
    deployment = server.get("/deployments/name/dispatch/dispatch")
    assert deployment["global_concurrency_limit"]["limit"] == 1
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"

    # Two runs at once, before any worker is there: the worker sees both in one poll.
    # Each with its own idempotency key: a create asked again after a timeout makes no third run.
    runs = [server.post(f"/deployments/{deployment['id']}/create_flow_run", {"idempotency_key": f"test-run-{i}"})["id"]
            for i in range(2)]
    worker_log = tmp_path / "worker.log"
    worker = processes.start([PREFECT, "worker", "start", "--pool", "kvalitetsloop"], {
        **env, "PREFECT_WORKER_QUERY_SECONDS": "1",
        "KVALITETSLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'kvalitetsloop.sqlite'}",  # nothing is due
    }, worker_log)

    deadline = time.monotonic() + 60
    while True:
        states = {r: server.get(f"/flow_runs/{r}")["state_type"] for r in runs}
        if all(s in ("COMPLETED", "FAILED", "CRASHED") for s in states.values()):
            break
        assert worker.poll() is None, f"the worker exited:\n{_tail(worker_log)}"
        assert time.monotonic() < deadline, f"runs not finished: {states}\n--- worker ---\n{_tail(worker_log)}"
        time.sleep(0.5)
    assert set(states.values()) == {"COMPLETED"}, f"{states}\n--- worker ---\n{_tail(worker_log)}"

    history = {r: _states(server, r) for r in runs}
    waited = [r for r in runs if any(s["name"] == "AwaitingConcurrencySlot" for s in history[r])]
    assert len(waited) == 1, {r: [s["name"] for s in h] for r, h in history.items()}
    first = next(r for r in runs if r not in waited)
    # The waiting run ran only once the first had finished: never two at once.
    assert _first(history[waited[0]], "RUNNING") >= _first(history[first], "COMPLETED")
