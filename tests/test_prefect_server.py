"""End to end with a real Prefect server (issue 8): its scheduler creates the runs of the shipped
`dispatch` deployment by itself, and a process worker runs such a scheduled run, which mails what
is due at the wall-clock time to a real SMTP sink.

These tests start real processes from the virtual environment: `prefect server start`, the
`prefect` command (work pool, deploy, schedule), `prefect worker start` and the mail sink
(notifications.mailsink). Each runs in its own process group, which is killed when the test ends,
passed or not. The Prefect server keeps its state in a temporary PREFECT_HOME (SQLite), or in a
fresh PostgreSQL database for the `postgres` case. Why this exists: with SQLAlchemy 2.1 the
server's scheduler failed every minute ("Can't evaluate bulk DML statement") and no scheduled run
was ever created, while the in-process flow tests (prefect_test_harness) passed.
"""

from __future__ import annotations

import datetime as dt
import re
import email
import os
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from notifications.mailsink import free_port, start_process, stop_process
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, KVALITETSLOOP, ROOT, make_postgres_db

pytestmark = pytest.mark.processes

BIN = Path(sys.executable).parent
PREFECT = BIN / "prefect"
DEPLOYMENT = "dispatch/dispatch"
SCHEDULER_SERVICES = ("schedule_deployments", "schedule_recent_deployments")


class Processes:
    """Every process a test starts; `stop_all` ends each one's whole process group."""

    def __init__(self) -> None:
        self._procs: list[tuple[subprocess.Popen, object]] = []

    def start(self, args: list, env: dict, log: Path, cwd: Path = ROOT) -> subprocess.Popen:
        out = open(log, "ab")
        try:
            proc = subprocess.Popen([str(a) for a in args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        except BaseException:
            out.close()
            raise
        self._procs.append((proc, out))
        return proc

    def stop_all(self) -> None:
        while self._procs:
            proc, out = self._procs.pop()
            _kill_group(proc)
            out.close()


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever is left of it (flow-run children too)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture
def processes():
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop_all()


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class PrefectServer:
    """A `prefect server start` on a free port of 127.0.0.1 and the environment that reaches it."""

    def __init__(self, processes: Processes, home: Path, database_url: str | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.port = home, free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.log = home / "server.log"
        # Nothing of the caller's Prefect settings leaks in (profiles, API URL, database).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KVALITETSLOOP_"))}
        env.update({
            "PREFECT_HOME": str(home),
            "PREFECT_PROFILES_PATH": str(home / "profiles.toml"),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_CLI_PROMPT": "false",
            "DO_NOT_TRACK": "1",
            # The scheduler's own code, run every 5 s instead of every 60 s so the test is short.
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        })
        if database_url:
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
        env.update(extra_env or {})
        self.env = env
        self.proc = processes.start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", self.port],
                                    env, self.log)
        self._wait_healthy(timeout=120)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"prefect server exited with {self.proc.returncode}:\n{_tail(self.log)}")
            try:
                if httpx.get(f"{self.api}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server did not answer /api/health within {timeout:.0f} s:\n{_tail(self.log)}")
            time.sleep(0.5)

    def cli(self, *args: str, env: dict | None = None, timeout: float = 180) -> str:
        """Run the `prefect` command against this server (from the project root); its output."""
        proc = subprocess.run([str(PREFECT), *args], cwd=ROOT, env={**self.env, **(env or {})},
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            pytest.fail(f"prefect {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def deploy(self) -> dict:
        """The README's steps: the work pool, then every deployment of the shipped prefect.yaml."""
        self.cli("work-pool", "create", "kvalitetsloop", "--type", "process")
        self.cli("--no-prompt", "deploy", "--all", env={"KVALITETSLOOP_HOME": str(ROOT)})
        return self.get(f"/deployments/name/{DEPLOYMENT}")

    def get(self, path: str) -> dict:
        return self._asked("GET", path)

    def post(self, path: str, body: dict) -> list | dict:
        return self._asked("POST", path, body)

    def _asked(self, method: str, path: str, body: dict | None = None):
        """Prefect's server on SQLite answers 5xx when its database is busy, or does not answer
        within 10 s while its scheduler and a worker's run hold the database (both seen in full
        suites on 2 cores, where other tests' servers share the disk): ask again then, as its own
        client does, for up to two minutes. A POST that creates something carries an idempotency
        key, so asking again never creates it twice."""
        deadline = time.monotonic() + 120
        while True:
            try:
                r = httpx.request(method, self.api + path, json=body, timeout=30)
                if r.status_code < 500:
                    break
                problem = f"{r.status_code} {r.text[:200]}"
            except httpx.TimeoutException as exc:
                problem = repr(exc)
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server kept failing {method} {path} for 2 minutes ({problem}):\n"
                            f"{_tail(self.log)}")
            time.sleep(1)
        r.raise_for_status()
        return r.json()

    def flow_runs(self, deployment_id: str, states: list[str] | None = None) -> list[dict]:
        flt: dict = {"deployment_id": {"any_": [deployment_id]}}
        if states:
            flt["state"] = {"type": {"any_": states}}
        return self.post("/flow_runs/filter", {"flow_runs": flt, "sort": "EXPECTED_START_TIME_ASC", "limit": 200})

    def scheduler_errors(self) -> list[str]:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines()
                if "Can't evaluate bulk DML statement" in line
                or ("ERROR" in line and any(s in line for s in SCHEDULER_SERVICES))]


def _wait_for(what: str, check, timeout: float, server: PrefectServer, interval: float = 1.0,
              other_log: Path | None = None):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            more = f"\n--- {other_log.name} (tail) ---\n{_tail(other_log)}" if other_log else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s. Scheduler errors in the server log: "
                        f"{server.scheduler_errors()[:5]}\n--- server log (tail) ---\n{_tail(server.log)}{more}")
        time.sleep(interval)


def _assert_scheduler_creates_dispatch_runs(server: PrefectServer) -> dict:
    deployment = server.deploy()
    assert deployment["schedules"] and all(s["active"] for s in deployment["schedules"])
    # `prefect deploy` creates no runs: every SCHEDULED run of the deployment is the scheduler's.
    runs = _wait_for("the scheduler creates scheduled runs of dispatch/dispatch",
                     lambda: server.flow_runs(deployment["id"], ["SCHEDULED"]), 60, server)
    cron_id = deployment["schedules"][0]["id"]
    assert all(r["auto_scheduled"] and r["created_by"]["type"] == "SCHEDULE" for r in runs), runs
    assert any(r["created_by"]["id"] == cron_id for r in runs)
    copenhagen = ZoneInfo("Europe/Copenhagen")
    for r in runs:  # the shipped cron: every 15 minutes 07-17 on working days, Copenhagen time
        at = dt.datetime.fromisoformat(r["expected_start_time"]).astimezone(copenhagen)
        assert at.weekday() < 5 and 7 <= at.hour <= 17 and at.minute % 15 == 0, at
    assert server.proc.poll() is None
    assert server.scheduler_errors() == []
    return deployment


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_server_scheduler_creates_the_dispatch_runs(backend, processes, tmp_path, request):
    """Deploy prefect.yaml to a real server: its scheduler fills the dispatch schedule (issue 8)."""
    if backend == "sqlite":
        server = PrefectServer(processes, tmp_path / "prefect")
        _assert_scheduler_creates_dispatch_runs(server)
        return
    admin = request.getfixturevalue("postgres_server")
    url, drop = make_postgres_db(admin)
    try:
        server = PrefectServer(processes, tmp_path / "prefect",
                               url.replace("postgresql://", "postgresql+asyncpg://", 1))
        _assert_scheduler_creates_dispatch_runs(server)
    finally:
        processes.stop_all()  # the server lets go of the database before it is dropped
        drop()


# -- a scheduled run on a process worker ------------------------------------------------------

def _kvalitetsloop(url: str, *args: str) -> str:
    env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": url, "COLUMNS": "200"}
    proc = subprocess.run([str(KVALITETSLOOP), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"kvalitetsloop {' '.join(args)} failed:\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


def _council_date_with_invitations_due(url: str, now: dt.datetime) -> dt.date:
    """A 0-6 council date whose plan has a meeting a few days to three weeks from `now`, so its
    invitations are due at once (they go out `invitations.lead_days` = 28 days before it).

    The first network meeting is about 20 weeks before the council meeting, so start there."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.errors import UserError
    from kvalitetsloop.usecases.loops import start_loop

    today = now.date()
    for weeks in (0, -1, 1, -2, 2, -3, 3):
        council = today + dt.timedelta(days=22 * 7 + 7 * weeks)
        council += dt.timedelta(days=2 - council.weekday())  # the Wednesday of that week: a council sits on a working day
        try:
            plan = start_loop(unit_of_work_for(url), FRAMEWORKS, "aarhus", "0-6", council, now, dry_run=True,
                              allow_any_year=True, past="held")
        except UserError:
            continue
        if any(e.is_meeting and e.attendees and now + dt.timedelta(days=2) < e.start < now + dt.timedelta(days=21)
               for e in plan.events):
            return council
    pytest.fail(f"no council date near {today + dt.timedelta(days=154)} has a meeting 2-21 days from {now}")


def database_with_invitations_due(tmp_path: Path, now: dt.datetime) -> str:
    """A SQLite database with the example organisation and a 0-6 loop whose invitations are due at
    `now` (the wall clock of a scheduled run), made with the real command line."""
    from storage.db import dispose_all

    url = f"sqlite:///{tmp_path / 'kvalitetsloop.sqlite'}"
    _kvalitetsloop(url, "org", "import", str(EXAMPLE_ORG), "--now", now.isoformat())
    council = _council_date_with_invitations_due(url, now)
    _kvalitetsloop(url, "loop", "start", "--area", "0-6", "--council-date", council.isoformat(),
                   "--allow-any-year", "--now", now.isoformat(), "--past", "held")
    dispose_all()  # the test process holds no connection to the file the flow runs write
    return url


def _eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_a_worker_runs_a_scheduled_dispatch_and_the_due_emails_go_out(processes, tmp_path):
    """The scheduler (not `prefect deployment run`) makes the run; the worker runs it at the wall
    clock time; the invitations due now reach the SMTP sink."""
    now = dt.datetime.now(dt.timezone.utc)
    url = database_with_invitations_due(tmp_path, now)

    server = PrefectServer(processes, tmp_path / "prefect")
    deployment = _assert_scheduler_creates_dispatch_runs(server)
    # The shipped cron may not fire during the test: add a 30-second interval schedule to the
    # deployed dispatch deployment (prefect.yaml stays as shipped).
    server.cli("deployment", "schedule", "create", DEPLOYMENT, "--interval", "30")
    schedules = server.get(f"/deployments/{deployment['id']}")["schedules"]
    interval_id = next(s["id"] for s in schedules if s["schedule"].get("interval"))

    mail = tmp_path / "mail"
    sink, smtp_port = start_process(mail)
    try:
        worker_env = {
            **server.env,
            "KVALITETSLOOP_HOME": str(ROOT),
            "KVALITETSLOOP_DATABASE_URL": url,
            "KVALITETSLOOP_SMTP_HOST": "127.0.0.1",
            "KVALITETSLOOP_SMTP_PORT": str(smtp_port),
            "PREFECT_WORKER_QUERY_SECONDS": "2",
        }
        worker_log = tmp_path / "worker.log"
        worker = processes.start([PREFECT, "worker", "start", "--pool", "kvalitetsloop", "--limit", "1"],
                                 worker_env, worker_log)

        def finished_scheduled_run():
            assert worker.poll() is None, f"the worker exited:\n{_tail(worker_log)}"
            runs = [r for r in server.flow_runs(deployment["id"], ["COMPLETED", "FAILED", "CRASHED"])
                    if r["created_by"] and r["created_by"]["id"] == interval_id]
            return runs[0] if runs else None

        run = _wait_for("a worker finishes a run the scheduler made from the interval schedule",
                        finished_scheduled_run, 90, server, other_log=worker_log)
        assert run["state_type"] == "COMPLETED", f"{run['state']}\n--- worker log ---\n{_tail(worker_log)}"
        assert run["auto_scheduled"] and run["created_by"]["type"] == "SCHEDULE"
        assert run["work_queue_name"] and run["work_pool_name"] == "kvalitetsloop"

        def dispatch_log_line():  # logs reach the API in batches
            logs = server.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [run["id"]]}}, "limit": 200})
            return next((l["message"] for l in logs if l["message"].startswith("Dispatch at ")), None)

        line = _wait_for("the flow run's 'Dispatch at ...' log line", dispatch_log_line, 20, server,
                         other_log=worker_log)
        sent = int(re.search(r"(\d+) sent", line).group(1))
    finally:
        processes.stop_all()  # no run may still be sending while the sink is read
        stop_process(sink)

    emls = sorted(mail.glob("*.eml"))
    assert sent > 0 and len(emls) == sent, (line, [p.name for p in emls])
    invitations = [m for m in map(_eml, emls)
                   if any(part.get_content_type() == "text/calendar" for part in m.walk())]
    assert invitations, "no invitation (.eml with a text/calendar part) reached the sink"
    assert server.scheduler_errors() == []
