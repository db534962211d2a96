"""Long work shows how far it has come: on a terminal a progress bar with counts and time left,
in a log (cron, Prefect, CI: no terminal) a few plain lines, never one per item. Both on stderr,
so what a command prints on stdout stays as it was.

The terminal is a real pseudo-terminal (the command runs under a pty, as in a person's shell);
the log is a pipe."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest
from rich.console import Console

from kvalitetsloop.cli.progress import PlainProgress
from tests.conftest import EXAMPLE_ORG, KVALITETSLOOP, NOW

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TERM")}
    return {**env, "KVALITETSLOOP_DATABASE_URL": url, "TERM": "xterm-256color"}


def on_a_terminal(args: list[str], url: str, cwd, timeout: float = 600) -> tuple[int, str]:
    """Run the installed command with a pseudo-terminal as stdin, stdout and stderr; what the
    terminal received (escape sequences included) and the exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    proc = subprocess.Popen([str(KVALITETSLOOP), *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                            env=_env(url), close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command ended and the terminal closed
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, b"".join(chunks).decode("utf-8", "replace")


def in_a_pipe(args: list[str], url: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(KVALITETSLOOP), *args], cwd=cwd, env=_env(url), capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


# -- the plain lines ------------------------------------------------------------------------

def _plain(total: int, seconds_each: float, interval: float = 5.0) -> list[str]:
    buf = io.StringIO()
    clock = [0.0]
    report = PlainProgress(Console(file=buf, width=300), clock=lambda: clock[0], interval=interval)
    for done in range(total + 1):
        clock[0] = done * seconds_each
        report("Publishing loop 0-6-2027-04-28 (events)", done, total)
    return buf.getvalue().splitlines()


def test_long_work_in_a_log_says_five_lines_with_counts_and_time_left():
    """The first publish of the demo loop: 2,269 events at 0.1 s each, nearly four minutes."""
    lines = _plain(2269, 0.1)
    assert lines == [
        "Publishing loop 0-6-2027-04-28 (events): 0 of 2269 ...",
        "Publishing loop 0-6-2027-04-28 (events): 568 of 2269 (25 %) after 56.8 s, about 2 min 50 s left",
        "Publishing loop 0-6-2027-04-28 (events): 1135 of 2269 (50 %) after 1 min 54 s, about 1 min 53 s left",
        "Publishing loop 0-6-2027-04-28 (events): 1702 of 2269 (75 %) after 2 min 50 s, about 56.7 s left",
        "Publishing loop 0-6-2027-04-28 (events): 2269 of 2269 done in 3 min 47 s",
    ]


def test_short_work_in_a_log_says_only_when_it_starts_and_ends():
    lines = _plain(2269, 0.001)
    assert lines == ["Publishing loop 0-6-2027-04-28 (events): 0 of 2269 ...",
                     "Publishing loop 0-6-2027-04-28 (events): 2269 of 2269 done in 2.3 s"]
    assert len(_plain(0, 0.0)) == 2  # nothing to do still says so, once


# -- the commands -----------------------------------------------------------------------------

@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'kvalitetsloop.sqlite'}"


def test_org_import_on_a_terminal_shows_a_progress_bar(url, tmp_path):
    code, screen = on_a_terminal(["org", "import", str(EXAMPLE_ORG), "--now", NOW], url, tmp_path)
    assert code == 0, screen
    text = ANSI.sub("", screen)
    assert "Importing the organisation (steps)" in text and "━" in text
    assert re.search(r"4/4 +100%", text), text                # the count and the share done
    assert re.search(r"left +0:00:00", text), text           # the time left, at the end
    assert "0 of 4 ..." not in text                          # no plain lines on a terminal
    assert "Imported 137 units from" in text


def test_org_import_in_a_log_prints_a_few_plain_lines_and_stdout_is_unchanged(url, tmp_path):
    proc = in_a_pipe(["org", "import", str(EXAMPLE_ORG), "--now", NOW], url, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"Imported 137 units from {EXAMPLE_ORG}.\n"
    lines = proc.stderr.splitlines()
    assert lines[0] == "Importing the organisation (steps): 0 of 4 ..."
    assert re.fullmatch(r"Importing the organisation \(steps\): 4 of 4 done in \d+\.\d s", lines[-1]), lines
    # A line between only once it has run a while (a busy machine), with the time left.
    assert all(re.fullmatch(r"Importing the organisation \(steps\): [123] of 4 \(\d+ %\) after .+, about .+ left", l)
               for l in lines[1:-1]), lines
    assert len(lines) <= 5 and "\x1b" not in proc.stderr


def test_a_mistake_says_one_sentence_and_no_progress(url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n", encoding="utf-8")
    proc = in_a_pipe(["org", "import", str(bad), "--now", NOW], url, tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("Error: ") and "Importing" not in proc.stderr


def test_simulate_shows_its_dispatch_runs_on_a_terminal_and_in_a_log(url, tmp_path):
    assert in_a_pipe(["org", "import", str(EXAMPLE_ORG), "--now", NOW], url, tmp_path).returncode == 0
    start = in_a_pipe(["loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held"], url, tmp_path)
    assert start.returncode == 0, start.stderr
    args = ["simulate", "0-6-2027-04-28", "--from", "2027-03-01", "--to", "2027-03-10", "--sink", str(tmp_path / "sink")]
    code, screen = on_a_terminal(args, url, tmp_path)
    assert code == 0, screen
    text = ANSI.sub("", screen)
    assert "Simulating loop 0-6-2027-04-28 (dispatch runs)" in text and "━" in text
    assert re.search(r"10/10 +100%", text), text
    assert "Sent per week in loop 0-6-2027-04-28" in text
    logged = in_a_pipe(["simulate", "0-6-2027-04-28", "--from", "2027-03-11", "--to", "2027-03-20", "--sink",
                        str(tmp_path / "sink2")], url, tmp_path)
    assert logged.returncode == 0, logged.stderr
    lines = [l for l in logged.stderr.splitlines() if l.startswith("Simulating")]
    assert lines[0] == "Simulating loop 0-6-2027-04-28 (dispatch runs): 0 of 10 ..."
    assert lines[-1].startswith("Simulating loop 0-6-2027-04-28 (dispatch runs): 10 of 10 done in ")
    assert 2 <= len(lines) <= 5
    assert "Sent per week" in logged.stdout and "Simulating" not in logged.stdout
