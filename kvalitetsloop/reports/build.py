"""Use case: one report of one loop at `now` (what the command line and the portal call)."""

from __future__ import annotations

import datetime as dt

from kvalitetsloop.errors import NotFound, UserError
from kvalitetsloop.reports.facts import loop_facts
from kvalitetsloop.reports.model import Report

KINDS = ("status", "meeting-cost", "committee", "report-back")


def build_report(uow, kind: str, loop_id: str, now: dt.datetime) -> Report:
    """The report `kind` of the loop as it stands at `now`."""
    if kind not in KINDS:
        raise UserError(f"the report must be one of {', '.join(KINDS)}, not '{kind}'")
    from kvalitetsloop.reports import cost, focus, status

    facts = loop_facts(uow, loop_id, now)
    make = {"status": status.status_report, "meeting-cost": cost.cost_report, "committee": focus.committee_report,
            "report-back": focus.report_back_report}[kind]
    return make(facts, now.astimezone(facts.tz))


def year_wheel(uow, loop_id: str, now: dt.datetime, year: int = 1, unit: str | None = None,
               chief: str | None = None) -> str:
    """The loop's year wheel (SVG) for loop-year 1 or 2: the whole area, one chief's units or one unit."""
    from kvalitetsloop.reports.yearwheel import filter_events, loop_year_start, year_wheel_svg

    if year not in (1, 2):
        raise UserError(f"the loop-year must be 1 or 2, not {year}")
    facts = loop_facts(uow, loop_id, now)
    title = f"Årshjul {loop_id}"
    ids = None
    if unit:
        ids = {u.id for u in facts.units if u.id == unit}
        if not ids:
            raise NotFound(f"the loop {loop_id} has no unit '{unit}'")
        title = f"Årshjul {facts.organisation.by_id()[unit].name}"
    elif chief:
        ids = {u.id for u in facts.units if u.chief.email.lower() == chief.strip().lower()}
        if not ids:
            raise NotFound(f"'{chief}' is chief of no unit in the loop {loop_id}")
        title = f"Årshjul {chief.strip().lower()}"
    return year_wheel_svg(filter_events(facts.events, ids), loop_year_start(facts.council_date, year), facts.tz,
                          f"{title} (år {year})")
