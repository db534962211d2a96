"""Shared fixtures: real SQLite files, a real PostgreSQL database, the shipped framework data,
and the `kvalitetsloop` command run as a user runs it (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

from cycle.framework import parse_framework
from cycle.organisation import parse_organisation
from cycle.workcalendar import WorkCalendar
from kvalitetsloop.frameworks import load_framework, shipped_holidays

# CI checks the same examples every run (a red build then means a change broke something);
# local runs keep drawing new examples, which is how the property tests find new cases.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT / "frameworks"
EXAMPLE_ORG = ROOT / "examples" / "aarhus.csv"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
KVALITETSLOOP = Path(sys.executable).parent / "kvalitetsloop"


def _postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # any failure means: no usable server here
        return f"no PostgreSQL server on 127.0.0.1:5432 ({str(exc).strip().splitlines()[0]})"


@pytest.fixture(scope="session")
def postgres_server():
    problem = _postgres_problem()
    if problem:
        if os.environ.get("KVALITETSLOOP_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL tests are mandatory here but {problem}")
        pytest.skip(f"PostgreSQL tests skipped: {problem}")
    return PG_ADMIN


def make_postgres_db(admin: str) -> tuple[str, callable]:
    import psycopg

    name = f"kvl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        from storage.db import dispose_all

        dispose_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, and the same test again on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kvalitetsloop.sqlite'}"
        return
    admin = request.getfixturevalue("postgres_server")
    url, drop = make_postgres_db(admin)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'kvalitetsloop.sqlite'}"


@pytest.fixture(scope="session")
def aarhus():
    return load_framework("aarhus", FRAMEWORKS).framework


@pytest.fixture(scope="session")
def aarhus_data():
    return yaml.safe_load((FRAMEWORKS / "aarhus.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def holiday_periods():
    return shipped_holidays(FRAMEWORKS)


@pytest.fixture(scope="session")
def calendar(aarhus, holiday_periods):
    return WorkCalendar(aarhus, holiday_periods)


@pytest.fixture(scope="session")
def example_org():
    return parse_organisation(EXAMPLE_ORG.read_text(encoding="utf-8"))


def framework_with(data: dict, **changes) -> object:
    """A copy of a framework document with dotted keys replaced, validated."""
    import copy

    d = copy.deepcopy(data)
    for dotted, value in changes.items():
        node = d
        parts = dotted.split("__")
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = value
    return parse_framework(d)


class Cli:
    """Runs `kvalitetsloop` against one database, as a user would.

    In-process by default (the same entry function the console script calls, with stdout and
    stderr captured) because a subprocess costs a second of imports per call; `subprocess=True`
    runs the installed command for the tests that are about the process itself."""

    def __init__(self, url: str, cwd: Path, subprocess: bool = False):
        self.url, self.cwd, self.subprocess = url, cwd, subprocess

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = self._spawn(args) if self.subprocess else self._inline(args)
        if check and proc.returncode != 0:
            raise AssertionError(f"kvalitetsloop {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}")
        return proc

    def _spawn(self, args) -> subprocess.CompletedProcess:
        env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": self.url, "COLUMNS": "200"}
        return subprocess.run([str(KVALITETSLOOP), *args], cwd=self.cwd, env=env, capture_output=True,
                              text=True, timeout=300)

    def _inline(self, args) -> subprocess.CompletedProcess:
        import contextlib
        import io

        from kvalitetsloop.cli import main_exit

        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        old_cwd = os.getcwd()
        os.chdir(self.cwd)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main_exit(["--database-url", self.url, *args])
        finally:
            os.chdir(old_cwd)
        out.flush()
        err.flush()
        return subprocess.CompletedProcess(args, code, out.buffer.getvalue().decode(), err.buffer.getvalue().decode())


@pytest.fixture
def cli(db_url, tmp_path):
    return Cli(db_url, tmp_path)


@pytest.fixture
def sqlite_cli(sqlite_url, tmp_path):
    return Cli(sqlite_url, tmp_path)


NOW = "2027-03-01T09:00:00+01:00"
