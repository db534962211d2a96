"""Benchmark: wall time and peak memory to plan a whole organisation (both areas' loops).

    ./dev bench plan            (or: python -m bench.plan)

Each size runs in a fresh subprocess so its peak resident memory is its own. Targets (issue):
200 units under 1 s; 4,400 units (national scale, about 300 chiefs) under 20 s and under 1 GB.
The figures are written, never asserted.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [(200, 14), (1000, 68), (4400, 300)]
TARGETS = {200: "< 1 s", 1000: "—", 4400: "< 20 s, < 1 GB"}


def _one(units: int, chiefs: int) -> dict:
    """Runs inside the child process."""
    sys.path.insert(0, str(ROOT))
    from bench.make_org import generate, render
    from cycle.organisation import parse_organisation
    from cycle.planner import LoopSpec, plan_loop
    from cycle.workcalendar import WorkCalendar
    from kvalitetsloop.frameworks import load_framework, shipped_holidays

    fw = load_framework("aarhus", ROOT / "frameworks").framework
    periods = shipped_holidays(ROOT / "frameworks")
    org = parse_organisation(render(generate(units, chiefs, 0)))
    t0 = time.perf_counter()
    cal = WorkCalendar(fw, periods)  # a fresh calendar: its caches are part of the cost
    events = 0
    for area, council in (("0-6", dt.date(2027, 4, 28)), ("6-18", dt.date(2028, 4, 26))):
        events += len(plan_loop(org, fw, cal, LoopSpec(f"{area}-bench", area, council)).events)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"units": units, "chiefs": chiefs, "events": events, "seconds": seconds, "peak_mb": peak_mb}


def measure() -> list[dict]:
    results = []
    for units, chiefs in SIZES:
        out = subprocess.run([sys.executable, "-m", "bench.plan", "--one", str(units), str(chiefs)],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def markdown(results: list[dict]) -> str:
    lines = ["## Planning (`bench/plan.py`)", "",
             "Both loops of the organisation (0-6 with council 2027-04-28, 6-18 with council 2028-04-26), "
             "Aarhus framework, synthetic organisation from `bench/make_org.py`; wall time of `plan_loop` "
             "only (parsing excluded), peak resident memory of the whole process.", "",
             "| units | chiefs | events | wall time | peak memory | target |", "|---:|---:|---:|---:|---:|---|"]
    for r in results:
        lines.append(f"| {r['units']:,} | {r['chiefs']} | {r['events']:,} | {r['seconds']:.2f} s | "
                     f"{r['peak_mb']:.0f} MB | {TARGETS.get(r['units'], '')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> str:
    if argv[:1] == ["--one"]:
        print(json.dumps(_one(int(argv[1]), int(argv[2]))))
        return ""
    text = markdown(measure())
    print(text)
    return text


if __name__ == "__main__":
    main(sys.argv[1:])
