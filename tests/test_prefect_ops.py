"""Never two dispatches at once (issue 8): the shipped `dispatch` deployment has a concurrency limit
of 1, so on a real server with a real process worker a second run waits (Scheduled,
"AwaitingConcurrencySlot") while the first runs, and runs after it.

The outbox's database claim stays the real guard against sending twice; this limit only keeps a
second dispatch from starting. Every process runs in its own process group and is killed when the
test ends, passed or not.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

import httpx
import pytest

from notifications.mailsink import free_port
from tests.conftest import ROOT
from tests.test_prefect_server import Processes, _tail, processes  # noqa: F401 (the fixture)

pytestmark = pytest.mark.processes

PREFECT = Path(sys.executable).parent / "prefect"


def _states(api: str, run_id: str) -> list[dict]:
    r = httpx.get(f"{api}/flow_run_states/", params={"flow_run_id": run_id}, timeout=10)
    r.raise_for_status()
    return sorted(r.json(), key=lambda s: s["timestamp"])


def _first(states: list[dict], type_: str) -> dt.datetime:
    return next(dt.datetime.fromisoformat(s["timestamp"]) for s in states if s["type"] == type_)


def test_a_second_dispatch_waits_for_the_first(processes: Processes, tmp_path):
    import subprocess

    home = tmp_path / "prefect"
    home.mkdir()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KVALITETSLOOP_"))}
    env.update({
        "PREFECT_HOME": str(home), "PREFECT_PROFILES_PATH": str(home / "profiles.toml"), "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false", "DO_NOT_TRACK": "1",
        # How long a run that found no slot waits before it asks again (default 30 s): short here.
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2",
    })
    server_log = home / "server.log"
    server = processes.start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", port], env, server_log)
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, f"no server:\n{_tail(server_log)}"
        time.sleep(0.5)

    def prefect(*args: str, **extra: str) -> None:
        proc = subprocess.run([str(PREFECT), *args], cwd=ROOT, env={**env, **extra}, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"prefect {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"

    prefect("work-pool", "create", "kvalitetsloop", "--type", "process")
    prefect("--no-prompt", "deploy", "--all", KVALITETSLOOP_HOME=str(ROOT))
    deployment = httpx.get(f"{api}/deployments/name/dispatch/dispatch", timeout=10).json()
    assert deployment["global_concurrency_limit"]["limit"] == 1
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"

    # Two runs at once, before any worker is there: the worker sees both in one poll.
    runs = [httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run", json={}, timeout=10).json()["id"]
            for _ in range(2)]
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
