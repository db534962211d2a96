"""Benchmark the calendar builders on a 4,400-unit organisation.

    python bench/ics.py [--org FILE] [--repeat N]

Without --org the organisation is generated with ``bench/make_org.py --units 4400 --chiefs 300``.
Both loops of the organisation are planned (0-6 and 6-18, every unit in one of them); then:

* invitations: REQUEST (and CANCEL) for every meeting, built and serialised, events/second;
* the loop export (METHOD:PUBLISH, every event incl. deadlines), events/second;
* one chief's feed: the chief with the most events; the time to build it from the chief's own
  events (what a web feed does after its query), and from the whole loop list (the filter
  included). Target: under 50 ms.

Figures are printed, never asserted (ARCHITECTURE.md: bench/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from calendars import feeds, invitations  # noqa: E402
from calendars.context import CalendarContext, loop_info, units_from_organisation  # noqa: E402
from cycle.framework import parse_framework  # noqa: E402
from cycle.organisation import parse_organisation  # noqa: E402
from cycle.planner import LoopSpec, plan_loop  # noqa: E402
from cycle.workcalendar import WorkCalendar  # noqa: E402
from kvalitetsloop.frameworks import shipped_holidays  # noqa: E402
from bench.machine import describe

LOOPS = (("0-6", dt.date(2027, 4, 28)), ("6-18", dt.date(2028, 4, 26)))
FEED_TARGET_MS = 50.0




def organisation_text(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "org.csv"
        subprocess.run([sys.executable, str(ROOT / "bench/make_org.py"), "--units", "4400", "--chiefs", "300",
                        "--out", str(out)], check=True)
        return out.read_text(encoding="utf-8")


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} events/s ({n:,} events in {seconds:.2f} s)"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", help="organisation CSV (default: generate 4,400 units, 300 chiefs)")
    parser.add_argument("--repeat", type=int, default=30, help="runs of the feed measurement")
    args = parser.parse_args(argv)

    fw = parse_framework(yaml.safe_load((ROOT / "frameworks/aarhus.yaml").read_text(encoding="utf-8")))
    cal = WorkCalendar(fw, shipped_holidays(ROOT / "frameworks"))
    org = parse_organisation(organisation_text(args.org))
    units = units_from_organisation(org)
    now = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone.utc)

    print(f"machine: {describe()}")
    print(f"organisation: {len(org.units):,} units, {len({u.chief.email for u in org.units})} chiefs")
    loops = []
    for area, council in LOOPS:
        t = time.perf_counter()
        plan = plan_loop(org, fw, cal, LoopSpec(f"{area}-{council.isoformat()}", area, council))
        ctx = CalendarContext(organiser="kvalitet@aarhus.example.dk", organiser_name="Børn og Unge, Aarhus Kommune",
                              base_url="https://kvalitet.aarhus.example.dk", units=units,
                              loop=loop_info(plan.spec.loop_id, area, council, fw), now=now)
        loops.append((area, plan.events, ctx))
        print(f"planned {area}: {len(plan.events):,} events ({sum(e.is_meeting for e in plan.events):,} meetings) "
              f"in {time.perf_counter() - t:.1f} s (not part of the figures below)")

    meetings = [(e, ctx) for _, events, ctx in loops for e in events if e.is_meeting]
    t = time.perf_counter()
    size = sum(len(invitations.request(e, ctx)) for e, ctx in meetings)
    seconds = time.perf_counter() - t
    print(f"invitations (REQUEST), build + serialise: {rate(len(meetings), seconds)}, "
          f"{size / len(meetings) / 1024:.1f} KiB each on average")
    t = time.perf_counter()
    for e, ctx in meetings:
        invitations.cancel(e.with_changes(status="cancelled", sequence=e.sequence + 1), ctx)
    print(f"cancellations (CANCEL), build + serialise: {rate(len(meetings), time.perf_counter() - t)}")

    for area, events, ctx in loops:
        t = time.perf_counter()
        data = feeds.loop_calendar(events, ctx)
        print(f"loop export {area} (PUBLISH, all events): {rate(len(events), time.perf_counter() - t)}, "
              f"{len(data) / 1024 / 1024:.1f} MiB")

    # The chief with the most events over both loops.
    counts: Counter[str] = Counter()
    for _, events, _ in loops:
        for e in events:
            for a in e.attendees:
                if a.role == "chief":
                    counts[a.email] += 1
    chief, _ = counts.most_common(1)[0]
    for label, chosen in (("0-6 loop (two years)", loops[:1]), ("both loops", loops)):
        every = [e for _, events, _ in chosen for e in events]
        own = [e for e in every if chief in e.emails()]
        # Each loop's events with that loop's context, as `calendar feed` builds it.
        own_pairs = [([e for e in events if chief in e.emails()], ctx) for _, events, ctx in chosen]
        all_pairs = [(events, ctx) for _, events, ctx in chosen]
        own_times = timed(lambda: feeds.person_feed_of_loops(own_pairs, chief), args.repeat)
        all_times = timed(lambda: feeds.person_feed_of_loops(all_pairs, chief), max(5, args.repeat // 5))
        med, worst = statistics.median(own_times) * 1000, max(own_times) * 1000
        print(f"chief feed, {label}: {len(own)} events for {chief}: median {med:.1f} ms, max {worst:.1f} ms "
              f"from the chief's own events ({'within' if med < FEED_TARGET_MS else 'OVER'} the {FEED_TARGET_MS:.0f} ms "
              f"target); median {statistics.median(all_times) * 1000:.1f} ms when filtering all {len(every):,} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
