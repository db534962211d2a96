"""Settings mistakes (issue 10.4): one sentence naming the KVALITETSLOOP_ variable and what it
accepts, exit code 2, nothing changed; and a SQLite URL naming a folder that does not exist."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from kvalitetsloop.settings import get_settings
from tests.conftest import KVALITETSLOOP, Cli
from tests.notifications.conftest import small_loop, small_loop_template  # noqa: F401 (fixtures)

DISPATCH_AT = "2027-04-09T09:00+02:00"  # invitations and data-package triggers are due


@pytest.fixture
def env(monkeypatch):
    def set_(**values: str) -> None:
        for k, v in values.items():
            monkeypatch.setenv(f"KVALITETSLOOP_{k.upper()}", v)
        get_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


def _outbox(url: str) -> list:
    from storage.db import engine_for

    with engine_for(url).connect() as c:
        return list(c.execute(sa.text("select status from outbox")))


@pytest.mark.parametrize("variable, value, accepts", [
    ("SMTP_TLS", "false", "none, starttls or ssl"),
    ("SMTP_PORT", "abc", "a port number from 1 to 65535"),
    ("SMTP_PORT", "70000", "a port number from 1 to 65535"),
    ("SMTP_TIMEOUT", "-1", "a number of seconds greater than 0"),
    ("OUTBOX_MAX_ATTEMPTS", "0", "a whole number of at least 1"),
    ("OUTBOX_BATCH", "many", "a whole number of at least 1"),
    ("SENDER", "not an email", "an email address"),
    ("BASE_URL", "kvalitet.example.dk", "an http:// or https:// address"),
])
def test_a_bad_setting_is_one_sentence_naming_the_variable(small_loop, tmp_path, env, variable, value, accepts):
    env(**{variable: value})
    for args in (("dispatch", "--now", DISPATCH_AT), ("dispatch", "--dry-run", "--now", DISPATCH_AT,
                                                        "--out", str(tmp_path / "dry"))):
        proc = Cli(small_loop, tmp_path)(*args, check=False)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert proc.stderr.startswith(f"Error: KVALITETSLOOP_{variable} ")
        assert accepts in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert _outbox(small_loop) == []  # nothing decided, nothing left in 'sending'
    assert not (tmp_path / "dry").exists()


def test_a_secret_is_not_repeated_in_the_sentence(small_loop, tmp_path, env):
    env(link_secret="")
    proc = Cli(small_loop, tmp_path)("dispatch", "--now", DISPATCH_AT, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("Error: KVALITETSLOOP_LINK_SECRET ")


def test_help_and_commands_without_settings_do_not_read_them(small_loop, tmp_path, env):
    env(smtp_port="abc")
    assert Cli(small_loop, tmp_path)("loop", "list").returncode == 0
    proc = subprocess.run([str(KVALITETSLOOP), "--help"], capture_output=True, text=True, timeout=60,
                          env={"KVALITETSLOOP_SMTP_PORT": "abc", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and "Usage" in proc.stdout


def test_a_sqlite_url_in_a_folder_that_does_not_exist_is_refused(tmp_path):
    missing = tmp_path / "nonexistent" / "dir"
    proc = Cli(f"sqlite:///{missing}/x.sqlite", tmp_path)("loop", "list", check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (f"Error: the folder {missing} of the SQLite database sqlite:///{missing}/x.sqlite "
                                   "does not exist; create it first or give another database URL.")
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_var_folder_is_still_created(tmp_path):
    proc = Cli("sqlite:///var/kvalitetsloop.sqlite", tmp_path)("loop", "list")
    assert "No loop has been started yet" in proc.stdout
    assert (tmp_path / "var" / "kvalitetsloop.sqlite").exists()
