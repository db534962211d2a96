"""Command-line cold start: `kvalitetsloop --help` and a command that reads the database.

The target (issue 7): `kvalitetsloop --help` under 0.3 s, with no Prefect, SQLAlchemy,
icalendar or Jinja2 imported. Each figure is the median of fresh processes, as a person at the
terminal meets it; `python -c "import typer, rich"` is the floor of a Typer program.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "kvalitetsloop"
RUNS = 15


def _median(cmd: list[str], env: dict | None = None) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str]) -> str:
    import os

    floor = _median([sys.executable, "-c", "import typer, rich.console, rich.table"])
    help_ = _median([str(BIN), "--help"])
    loop_help = _median([str(BIN), "loop", "start", "--help"])
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": f"sqlite:///{tmp}/cold.sqlite"}
        subprocess.run([str(BIN), "db", "upgrade"], check=True, capture_output=True, env=env, cwd=ROOT)
        listing = _median([str(BIN), "loop", "list"], env)
    rows = [("python -c 'import typer, rich' (the floor)", floor, "—"),
            ("kvalitetsloop --help", help_, "< 0.3 s"),
            ("kvalitetsloop loop start --help", loop_help, "—"),
            ("kvalitetsloop loop list (SQLite, schema current)", listing, "—")]
    lines = ["## Command-line cold start (`bench/cli.py`)", "",
             f"Median of {RUNS} fresh processes each; `--help` imports no Prefect, SQLAlchemy, icalendar or "
             "Jinja2 (tests/test_usecases.py checks).", "",
             "| command | median | target |", "|---|---:|---|"]
    lines += [f"| {name} | {t:.2f} s | {target} |" for name, t, target in rows]
    for name, t, _ in rows:
        print(f"{name}: {t:.3f} s")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main(sys.argv[1:]))
