"""Prefect flow: start a new two-year loop (import the organisation if given, plan, store).

Thin on purpose: the work is in the use cases, which the command line calls too. The run is
named after the loop (`start loop 0-6-2027-04-28`) and publishes the plan as a markdown artifact
(`loop-<id>-plan`): the shared milestones and a table per chief (units, talks, one-to-ones,
meeting hours), so five start-loop runs for five loops no longer look alike.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import create_markdown_artifact

from cycle.summary import milestones, per_chief
from cycle.vocabulary import plural
from flows.runs import announce_failure, artifact_key, tag_this_run
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.settings import get_settings
from kvalitetsloop.usecases import loops, organisation
from kvalitetsloop.usecases.loops import StartedLoop


def _run_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    dry = " (prøve)" if p.get("dry_run") else ""
    return f"start loop {p.get('area')}-{p.get('council_date') or p.get('start_date')}{dry}"


@task(name="import-organisation")
def import_organisation(org_file: str, now: dt.datetime) -> int:
    uow = unit_of_work_for(get_settings().database_url)
    report = organisation.import_organisation(uow, Path(org_file).read_text(encoding="utf-8"), now)
    if not report.applied:
        # Removing units cancels their meetings: that is for an administrator to confirm.
        from kvalitetsloop.errors import UserError

        raise UserError(f"the organisation file would remove {len(report.diff.removed)} units "
                        f"({', '.join(report.diff.removed[:10])}) and was not imported; import it with "
                        f"'kvalitetsloop org import {org_file} --apply' after checking what it does")
    return report.units


@task(name="plan-loop")
def plan(area: str, council_date: dt.date | None, framework: str, themes: list[str], dry_run: bool,
         allow_any_year: bool, now: dt.datetime, past: str | None = None,
         start_date: dt.date | None = None) -> StartedLoop:
    s = get_settings()
    return loops.start_loop(unit_of_work_for(s.database_url), s.frameworks_dir, framework, area, council_date, now,
                            dry_run=dry_run, allow_any_year=allow_any_year, themes=tuple(themes), past=past,
                            start_date=start_date)


def plan_markdown(started: StartedLoop) -> str:
    """The plan as an operator reads it in the Prefect UI (Danish, as the administration's)."""
    fw = started.framework.framework
    anchor = "byråd" if fw.has_council else "start"
    lines = [f"# Loop {started.loop_id}" + (" (prøve, intet gemt)" if started.dry_run else ""), "",
             f"{fw.title} ({fw.name} {fw.version}), område {started.area}, {anchor} {started.council_date.isoformat()}: "
             f"{len(started.events)} begivenheder for {len({e.unit_id for e in started.events if e.unit_id})} enheder.",
             "", "## Fælles milepæle", "", "| dato | hvad |", "|---|---|"]
    for e in milestones(started.events):
        lines.append(f"| {e.start.date().isoformat() if e.all_day else e.start.strftime('%Y-%m-%d %H:%M')} | {e.title} |")
    lines += ["", "## Pr. chef", "",
              f"| chef | enheder | {plural(fw.talk_label.lower())} | 1:1 | mødetimer | første samtale | sidste samtale |",
              "|---|---:|---:|---:|---:|---|---|"]
    for c in per_chief(started.events, started.organisation):
        first = c.first_talk.isoformat() if c.first_talk else ""
        last = c.last_talk.isoformat() if c.last_talk else ""
        lines.append(f"| {c.chief} | {c.units} | {c.talks} | {c.one_to_ones} | {c.hours:.0f} | {first} | {last} |")
    return "\n".join(lines) + "\n"


@flow(name="start-loop", flow_run_name=_run_name, log_prints=True,
      on_failure=[announce_failure])
def start_loop(area: str, council_date: dt.date | None = None, framework: str = "aarhus", org_file: str | None = None,
               themes: list[str] | None = None, dry_run: bool = False, allow_any_year: bool = False,
               now: dt.datetime | None = None, past: str | None = None, start_date: dt.date | None = None) -> dict:
    """Plan the loop for an area and council date (or, for a framework without a council such as
    albertslund, its start date); returns the loop id and counts per kind.
    `past="held"` records events that lie before `now` as held (see loops.start_loop)."""
    now = now or dt.datetime.now(dt.timezone.utc)  # a flow run is an entry point: it may read the clock
    tag_this_run("kvalitetsloop", f"loop:{area}-{council_date or start_date}", f"area:{area}",
                 f"framework:{Path(framework).stem}")
    with tags("kvalitetsloop", f"area:{area}", f"framework:{Path(framework).stem}"):
        if org_file:
            import_organisation(org_file, now)
        started = plan(area, council_date, framework, themes or [], dry_run, allow_any_year, now, past, start_date)
    create_markdown_artifact(plan_markdown(started), key=artifact_key(started.loop_id, "plan"),
                             description=f"Planen for loop {started.loop_id}")
    get_run_logger().info("Planned loop %s: %s events", started.loop_id, len(started.events))
    return {"loop_id": started.loop_id, "events": len(started.events),
            "kinds": dict(Counter(e.kind for e in started.events)), "dry_run": dry_run}
