"""A chief's calendar feed over HTTP at national scale (the portal, `kvalitetsloop web`).

    python bench/portal.py [--units 4400] [--chiefs 300] [--repeat 50]

An organisation from ``bench/make_org.py`` (default 4,400 units, 300 chiefs) is imported into a
SQLite file and both loops are planned (0-6 and 6-18, two years each); the portal is served by
uvicorn on 127.0.0.1 and the chief with the most events fetches their feed over HTTP (httpx, one
kept-alive connection), as a subscribed calendar does:

* first fetch: the feed is built (the existing builder, kvalitetsloop.calendar_context.feed_ics);
* a fetch without If-None-Match while nothing changed: the built feed is served again;
* a conditional fetch with If-None-Match: 304, nothing built or sent;
* a build each time (the cache emptied before each fetch): what a fetch after a change costs.

Target: a chief's two-year feed answered in under 50 ms median (issue 11). Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402

TARGET_MS = 50.0


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


PLANNED_AT = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
LOOPS = (("0-6", dt.date(2027, 4, 28)), ("6-18", dt.date(2028, 4, 26)))


def planned_database(units: int, chiefs: int, db: Path | None = None) -> tuple[str, Path, float]:
    """The SQLite file with a make_org organisation and both loops planned (var/bench/portal-UNITS.sqlite
    unless `db`), built if it is missing, else reused: its URL, its path and the seconds building took."""
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases import loops, organisation

    db = db or ROOT / "var" / "bench" / f"portal-{units}.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{db}"
    t0 = time.perf_counter()
    if db.exists() and loops.list_loops(unit_of_work_for(url)):
        return url, db, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "org.csv"
        subprocess.run([sys.executable, str(ROOT / "bench/make_org.py"), "--units", str(units), "--chiefs",
                        str(chiefs), "--out", str(csv)], check=True)
        organisation.import_organisation(unit_of_work_for(url), csv.read_text(encoding="utf-8"), PLANNED_AT)
    for area, council in LOOPS:
        # Planned in March: the 0-6 leader networks' theme meetings (December, February) are past,
        # recorded as held as `loop start --past held` does.
        loops.start_loop(unit_of_work_for(url), ROOT / "frameworks", "aarhus", area, council, PLANNED_AT,
                         past="held")
    return url, db, time.perf_counter() - t0


@contextlib.contextmanager
def serving(app):
    """`app` served by uvicorn on 127.0.0.1 in a thread of this process; yields its base URL."""
    import uvicorn

    from notifications.mailsink import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=4400)
    parser.add_argument("--chiefs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--db", type=Path, default=None,
                        help="keep the planned database in this SQLite file and reuse it next time "
                             "(default: var/bench/portal-UNITS.sqlite)")
    args = parser.parse_args(argv)

    import httpx
    import sqlalchemy as sa

    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.settings import Settings
    from kvalitetsloop.usecases import feeds
    from portal.app import create_app
    from storage.db import engine_for

    import os

    lines = [f"machine: {describe()}; load average (1 min) at the start {os.getloadavg()[0]:.1f}"]
    url, db, setup = planned_database(args.units, args.chiefs, args.db)
    now = PLANNED_AT
    frameworks = ROOT / "frameworks"
    with engine_for(url).connect() as c:
        events = c.execute(sa.text("select count(*) from event")).scalar()
        chief, mine = c.execute(sa.text(
            "select a.email, count(*) from attendee a join event e on e.id = a.event_id where a.role = 'chief' "
            "group by a.email order by count(*) desc limit 1")).one()
    lines.append(f"organisation: {args.units:,} units, {args.chiefs} chiefs; both loops planned: {events:,} events "
                 f"in {db.name} (setup {setup:.0f} s, not part of the figures)")

    settings = Settings(database_url=url, frameworks_dir=frameworks)
    app = create_app(settings, lambda: now)
    token = feeds.personal_link(unit_of_work_for(url), settings.link_secret, chief, now)
    portal = app.state.portal
    with serving(app) as base, httpx.Client(timeout=120) as client:
        feed = f"{base}/kalender/{token}.ics"
        t = time.perf_counter()
        first = client.get(feed)
        cold = time.perf_counter() - t
        assert first.status_code == 200, first.status_code
        etag = first.headers["etag"]
        floor = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            client.get(f"{base}/static/portal.css")
            floor.append(time.perf_counter() - t)
        warm, conditional = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = client.get(feed)
            warm.append(time.perf_counter() - t)
            assert r.status_code == 200
            t = time.perf_counter()
            r = client.get(feed, headers={"If-None-Match": etag})
            conditional.append(time.perf_counter() - t)
            assert r.status_code == 304
        builds = []
        for _ in range(max(3, args.repeat // 10)):
            portal.feed_cache.feeds.clear()
            t = time.perf_counter()
            client.get(feed)
            builds.append(time.perf_counter() - t)
    lines.append(f"load average (1 min) at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    size = len(first.content) / 1024
    med = statistics.median(warm) * 1000
    verdict = "within" if med < TARGET_MS else "NOT within"
    lines += [
        f"chief {chief}: {mine} events over both loops, feed {size:,.0f} KiB",
        f"floor: a static file from the same server: {_ms(floor)}",
        f"first fetch (feed built): {cold * 1000:.0f} ms",
        f"fetch, nothing changed (served from the built feed): {_ms(warm)} ({verdict} the {TARGET_MS:.0f} ms target)",
        f"conditional fetch, If-None-Match -> 304: {_ms(conditional)}",
        f"fetch after a change (feed built each time, {len(builds)} runs): {_ms(builds)}",
    ]
    for line in lines:
        print(line)
    return ("## A chief's calendar feed over HTTP, national scale (`bench/portal.py`)\n\n"
            "The portal served by uvicorn on 127.0.0.1, fetched with httpx over one kept-alive connection; "
            "SQLite file; both loops of a 4,400-unit organisation planned.\n\n```\n" + "\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    main(sys.argv[1:])
