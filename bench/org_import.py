"""`kvalitetsloop org import` at growing size: a fresh import and a re-import of the same file.

The target (issue 10.5): 4,400 units under 5 s, and linear growth (20,000 units under 5x the
4,400 figure). Each figure is the wall time of the command as an administrator runs it (a fresh
process on a SQLite file, its migrations already done), organisations from `bench/make_org.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "kvalitetsloop"
SIZES = ((137, None), (4_400, 300), (20_000, 1_360))


def _org(units: int, chiefs: int | None, folder: Path) -> Path:
    if chiefs is None:
        return ROOT / "examples" / "aarhus.csv"
    path = folder / f"org-{units}.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_org.py"), "--units", str(units), "--chiefs",
                    str(chiefs), "--out", str(path)], check=True)
    return path


def _timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall time and the process's CPU time (user + system): on a shared, loaded machine the CPU
    time is the steadier measure of the work done."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str]) -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for units, chiefs in SIZES:
            csv = _org(units, chiefs, folder)
            env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": f"sqlite:///{folder}/org-{units}.sqlite"}
            subprocess.run([str(BIN), "db", "upgrade"], check=True, capture_output=True, env=env, cwd=ROOT)
            first = _timed([str(BIN), "org", "import", str(csv)], env)
            again = _timed([str(BIN), "org", "import", str(csv)], env)
            rows.append((units, first, again))
            print(f"{units} units: first import {first[0]:.2f} s (CPU {first[1]:.2f} s), "
                  f"re-import {again[0]:.2f} s (CPU {again[1]:.2f} s)", flush=True)
    base = next(first[1] for units, first, _ in rows if units == 4_400)
    largest = rows[-1]
    lines = ["## Organisation import (`bench/org_import.py`)", "",
             "`kvalitetsloop org import FILE` as a fresh process on a SQLite file (schema already current); "
             "organisations from `bench/make_org.py` (137 units: `examples/aarhus.csv`). Before this change: "
             "1.7 s, 39 s and 14 min 37 s (issue 10).", "",
             "| units | first import: wall (CPU) | re-import, nothing changed: wall (CPU) | target |",
             "|---:|---:|---:|---|"]
    targets = {4_400: "< 5 s", 20_000: f"< 5 × the 4,400 figure ({5 * base:.1f} s CPU)"}
    lines += [f"| {units:,} | {first[0]:.2f} s ({first[1]:.2f} s) | {again[0]:.2f} s ({again[1]:.2f} s) | "
              f"{targets.get(units, '—')} |" for units, first, again in rows]
    lines += ["", f"Growth from 4,400 to {largest[0]:,} units: {largest[1][1] / base:.1f}× the CPU time for "
                  f"{largest[0] / 4_400:.1f}× the units. The CPU time (user + system of the command's process) "
                  "is given beside the wall time because the machine may be shared: the load average "
                  f"at the end of this run was {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main(sys.argv[1:]))
