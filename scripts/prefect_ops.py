"""Bring Prefect up for kvalitetsloop on this machine, and down again (README, "Prefect").

    ./dev prefect up       server, work pool, deployments (prefect.yaml), one worker; prints the UI URL
    ./dev prefect down     stop the worker and the server that `up` started
    ./dev prefect status   what runs, and where the logs are

`up` is idempotent: a healthy server or a live worker it started before is kept, the pool is made
only when missing, and the deployments are (re)applied each time. Everything it starts runs in its
own process group in the background, with its pid and log in var/prefect/ (PREFECT_HOME too, so
no profile of yours is touched). The environment is passed on:

    PREFECT_SERVER_DATABASE_CONNECTION_URL   Prefect's own database (default: SQLite in var/prefect/;
                                             production: postgresql+asyncpg://...)
    KVALITETSLOOP_*                          our settings, for the deployments and the worker
    PREFECT_WORKER_QUERY_SECONDS             how often the worker asks for runs (default here: 1)
    KVALITETSLOOP_PREFECT_PORT               the server's port on 127.0.0.1 (default 4200)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "var" / "prefect"
BIN = Path(sys.executable).parent
PREFECT = BIN / "prefect"
POOL = "kvalitetsloop"


def _port() -> int:
    return int(os.environ.get("KVALITETSLOOP_PREFECT_PORT", "4200"))


def api_url() -> str:
    return f"http://127.0.0.1:{_port()}/api"


def environment() -> dict[str, str]:
    """The caller's environment plus what every process started here needs."""
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str(STATE),
        "PREFECT_PROFILES_PATH": str(STATE / "profiles.toml"),
        "PREFECT_API_URL": api_url(),
        "PREFECT_CLI_PROMPT": "false",
        "KVALITETSLOOP_HOME": str(ROOT),
    })
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "1")
    env.setdefault("KVALITETSLOOP_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'kvalitetsloop.sqlite'}")
    return env


def _pid(name: str) -> int | None:
    """The pid in var/prefect/NAME.pid if that process still runs and is a prefect process."""
    try:
        pid = int((STATE / f"{name}.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"prefect" in cmdline else None


def healthy(timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url()}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _start(name: str, args: list[str], env: dict[str, str]) -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / f"{name}.log", "ab") as log:
        proc = subprocess.Popen([str(PREFECT), *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (STATE / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def _tail(name: str, lines: int = 30) -> str:
    try:
        text = (STATE / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _prefect(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run([str(PREFECT), *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"prefect {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def up(timeout: float = 180) -> None:
    env = environment()
    if healthy():
        mine = f"pid {_pid('server')}" if _pid("server") else "NOT started here: is it yours?"
        print(f"server: already answering at {api_url()} ({mine})")
    else:
        pid = _start("server", ["server", "start", "--host", "127.0.0.1", "--port", str(_port())], env)
        print(f"server: started (pid {pid}, log var/prefect/server.log), waiting for {api_url()}/health ...")
        deadline = time.monotonic() + timeout
        while not healthy():
            if _pid("server") is None:
                sys.exit(f"the Prefect server exited:\n{_tail('server')}")
            if time.monotonic() > deadline:
                sys.exit(f"the Prefect server did not answer within {timeout:.0f} s:\n{_tail('server')}")
            time.sleep(0.5)
    if httpx.get(f"{api_url()}/work_pools/{POOL}", timeout=10).status_code == 404:
        _prefect(env, "work-pool", "create", POOL, "--type", "process")
        print(f"work pool: {POOL} created")
    else:
        print(f"work pool: {POOL} exists")
    _prefect(env, "--no-prompt", "deploy", "--all")
    print(f"deployments: prefect.yaml deployed (KVALITETSLOOP_HOME={ROOT})")
    if _pid("worker"):
        print(f"worker: already running (pid {_pid('worker')}); `./dev prefect down` first to restart it")
    else:
        pid = _start("worker", ["worker", "start", "--pool", POOL], env)
        time.sleep(1)
        if _pid("worker") is None:
            sys.exit(f"the worker exited:\n{_tail('worker')}")
        print(f"worker: started (pid {pid}, log var/prefect/worker.log, "
              f"PREFECT_WORKER_QUERY_SECONDS={env['PREFECT_WORKER_QUERY_SECONDS']})")
    print(f"\nThe UI: http://127.0.0.1:{_port()}\nFor the prefect command: export PREFECT_API_URL={api_url()}")


def _stop(name: str) -> None:
    pid = _pid(name)
    if pid is None:
        print(f"{name}: not running")
    else:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 20
        while _pid(name) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid(name) is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        print(f"{name}: stopped (pid {pid})")
    (STATE / f"{name}.pid").unlink(missing_ok=True)


def down() -> None:
    _stop("worker")  # first: a flow run it started is in its process group and ends with it
    _stop("server")


def status() -> int:
    server, worker = _pid("server"), _pid("worker")
    print(f"server: {'running, pid %d' % server if server else 'not started here'}; "
          f"{api_url()} {'answers' if healthy() else 'does not answer'}")
    print(f"worker: {'running, pid %d' % worker if worker else 'not started here'}")
    print("logs: var/prefect/server.log, var/prefect/worker.log")
    return 0 if server and worker else 1


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "help"
    if cmd == "up":
        up()
    elif cmd == "down":
        down()
    elif cmd == "status":
        return status()
    else:
        print(__doc__.strip())
        return 0 if cmd in ("help", "-h", "--help") else 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
