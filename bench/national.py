"""Reading a national loop: `status`, `loop show` and `calendar feed PERSON` at 4,400 units.

The targets (issue 10, point 5): each command under 1 s as a person at the terminal meets it (a
fresh process), and the feed under 0.1 s inside the process. The organisation comes from
`bench/make_org.py --units 4400 --chiefs 300`; its 0-6 loop (council 2027-04-28) is planned into a
SQLite file once, then each command runs in fresh processes; `loop list` is beside them as the
floor (process start, imports, the schema check). Inside the process the use cases are timed, warm
(the second call on), as a web page or a flow calls them; the feed with its iCalendar file.

    ./dev bench national                                   # builds the database in a temporary folder
    .venv/bin/python -m bench.national --keep var/national.sqlite   # keeps (and reuses) the database

`KVALITETSLOOP_BENCH_NATIONAL_DB=var/national.sqlite ./dev bench national` keeps and reuses it too
(building it takes minutes: the import and the planning are not what is measured here).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "kvalitetsloop"
UNITS, CHIEFS = 4400, 300
LOOP = "0-6-2027-04-28"
NOW = "2027-09-01T09:00+02:00"
PERSON = "chief-067@example.dk"
RUNS = 7


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def build(db: Path) -> tuple[float, float]:
    """The organisation imported and the 0-6 loop planned into `db`; (import s, start s)."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases import loops, organisation

    csv = db.with_suffix(".csv")
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_org.py"), "--units", str(UNITS), "--chiefs",
                    str(CHIEFS), "--out", str(csv)], check=True)
    url = f"sqlite:///{db}"
    start = dt.datetime.fromisoformat("2027-03-01T09:00+01:00")
    t0 = time.perf_counter()
    organisation.import_organisation(unit_of_work_for(url), csv.read_text(encoding="utf-8"), start)
    t1 = time.perf_counter()
    # The theme meetings of December and February lie before the start: held, as `--past held` records them.
    loops.start_loop(unit_of_work_for(url), ROOT / "frameworks", "aarhus", "0-6", dt.date(2027, 4, 28), start,
                     past="held")
    return t1 - t0, time.perf_counter() - t1


def _fresh(cmd: list[str], env: dict) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the command in fresh processes."""
    walls, cpus = [], []
    for _ in range(RUNS):
        before = os.times()
        t = time.perf_counter()
        subprocess.run([str(BIN), *cmd], check=True, capture_output=True, env=env, cwd=ROOT)
        walls.append(time.perf_counter() - t)
        after = os.times()
        cpus.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
    return statistics.median(walls), statistics.median(cpus)


def _warm(fn) -> tuple[float, float]:
    """Median wall and CPU time of `fn` inside this process, after one call to warm up."""
    fn()
    walls, cpus = [], []
    for _ in range(RUNS):
        c, t = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def in_process(url: str) -> dict[str, tuple[float, float]]:
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.calendar_context import feed_ics
    from kvalitetsloop.usecases.loops import loop_status, person_in_loops, summarise_loop

    uow = unit_of_work_for(url)
    now = dt.datetime.fromisoformat(NOW)
    return {
        "status": _warm(lambda: loop_status(uow, now)),
        "loop show": _warm(lambda: summarise_loop(uow, LOOP)),
        "calendar feed": _warm(lambda: feed_ics(person_in_loops(uow, PERSON), PERSON, now)),
    }


def main(argv: list[str]) -> str:
    kept = argv[argv.index("--keep") + 1] if "--keep" in argv else os.environ.get("KVALITETSLOOP_BENCH_NATIONAL_DB")
    keep = Path(kept).resolve() if kept else None
    with tempfile.TemporaryDirectory() as tmp:
        db = keep or Path(tmp) / "national.sqlite"
        built = ""
        if not db.exists():
            db.parent.mkdir(parents=True, exist_ok=True)
            imported, started = build(db)
            built = f" (built here: organisation imported in {imported:.1f} s, loop planned in {started:.1f} s)"
        url = f"sqlite:///{db}"
        env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": url}
        subprocess.run([str(BIN), "db", "upgrade"], check=True, capture_output=True, env=env, cwd=ROOT)
        load_start = _load()
        fresh = {
            "loop list (the floor)": (["loop", "list"], "—"),
            "status": (["status", "--now", NOW], "< 1 s"),
            "loop show": (["loop", "show", LOOP], "< 1 s"),
            "calendar feed": (["calendar", "feed", PERSON, "--now", NOW, "--out", str(Path(tmp) / "feed.ics")], "< 1 s"),
        }
        rows = [(name, *_fresh(cmd, env), target) for name, (cmd, target) in fresh.items()]
        inside = in_process(url)
        events = _count(url)
        load_end = _load()
    lines = ["## Reading a national loop (`bench/national.py`)", "",
             f"{UNITS:,} units, {CHIEFS} chiefs (`bench/make_org.py`), the 0-6 loop planned: {events:,} events, SQLite"
             f"{built}. The feed is {PERSON}'s. Median of {RUNS} runs each; CPU is user + system time. "
             f"Load average (1 min) {load_start} at the start, {load_end} at the end, on {os.cpu_count()} cores. "
             "The project's modules are compiled to bytecode first, as `./dev setup` does and as an installed "
             "package is (`./dev bench` runs it; with PYTHONDONTWRITEBYTECODE set and no bytecode, each command "
             "compiles them again, about 0.3 s more).", "",
             "| command, fresh process | wall | CPU | target |", "|---|---:|---:|---|"]
    lines += [f"| kvalitetsloop {name} | {w:.2f} s | {c:.2f} s | {target} |" for name, w, c, target in rows]
    lines += ["", "| inside the process (the use case, warm; the feed with its .ics) | wall | CPU | target |",
              "|---|---:|---:|---|"]
    targets = {"calendar feed": "< 0.1 s"}
    lines += [f"| {name} | {w:.3f} s | {c:.3f} s | {targets.get(name, '—')} |" for name, (w, c) in inside.items()]
    for line in lines[4:]:
        print(line)
    return "\n".join(lines) + "\n"


def _count(url: str) -> int:
    from kvalitetsloop.bootstrap import unit_of_work_for

    uow = unit_of_work_for(url)
    with uow:
        return uow.events.count(LOOP)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
    print(f"_{dt.date.today().isoformat()}, {describe()}._")
