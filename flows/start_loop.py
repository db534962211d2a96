"""Prefect flow: start a new two-year loop (import the organisation if given, plan, store).

Thin on purpose: the work is in the use cases, which the command line calls too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from prefect import flow, get_run_logger, task

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.settings import get_settings
from kvalitetsloop.usecases import loops, organisation


@task(name="import-organisation")
def import_organisation(org_file: str, now: dt.datetime) -> int:
    uow = unit_of_work_for(get_settings().database_url)
    report = organisation.import_organisation(uow, Path(org_file).read_text(encoding="utf-8"), now)
    return report.units


@task(name="plan-loop")
def plan(area: str, council_date: dt.date, framework: str, themes: list[str], dry_run: bool,
         allow_any_year: bool, now: dt.datetime) -> dict:
    s = get_settings()
    started = loops.start_loop(unit_of_work_for(s.database_url), s.frameworks_dir, framework, area, council_date, now,
                               dry_run=dry_run, allow_any_year=allow_any_year, themes=tuple(themes))
    return {"loop_id": started.loop_id, "events": len(started.events),
            "kinds": dict(Counter(e.kind for e in started.events)), "dry_run": dry_run}


@flow(name="start-loop", log_prints=True)
def start_loop(area: str, council_date: dt.date, framework: str = "aarhus", org_file: str | None = None,
               themes: list[str] | None = None, dry_run: bool = False, allow_any_year: bool = False,
               now: dt.datetime | None = None) -> dict:
    """Plan the loop for an area and council date; returns the loop id and counts per kind."""
    now = now or dt.datetime.now(dt.timezone.utc)  # a flow run is an entry point: it may read the clock
    if org_file:
        import_organisation(org_file, now)
    result = plan(area, council_date, framework, themes or [], dry_run, allow_any_year, now)
    get_run_logger().info("Planned loop %s: %s events", result["loop_id"], result["events"])
    return result
