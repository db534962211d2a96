"""Use case: one report of one loop at `now` (what the command line and the portal call)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from kvalitetsloop.errors import NotFound, UserError
from kvalitetsloop.reports.facts import fill_units_and_submissions, open_loop
from kvalitetsloop.reports.model import Report, date_label

KINDS = ("status", "meeting-cost", "committee", "report-back")


class NotInFramework(UserError):
    """A report of an element the loop's framework does not have."""


def kinds_of(fw) -> tuple[str, ...]:
    """The reports a loop of framework `fw` has: the committee overview and the report-back only
    where the framework has them (Albertslund has neither [004])."""
    return tuple(k for k in KINDS if not (k == "committee" and fw.committee_overview is None)
                 and not (k == "report-back" and fw.report_back is None))


def build_report(uow, kind: str, loop_id: str, now: dt.datetime, detail: bool = True, cache=None) -> Report:
    """The report `kind` of the loop as it stands at `now`. Without `detail` (for HTML and PDF)
    a national status report leaves out the rows its summary form does not show; a `cache`
    (cost.MeetingCostCache) keeps the meeting hours between calls while the plans are the same."""
    if kind not in KINDS:
        raise UserError(f"the report must be one of {', '.join(KINDS)}, not '{kind}'")
    from kvalitetsloop.reports import cost, focus, status

    with uow:
        facts = open_loop(uow, loop_id, now)
        if kind not in kinds_of(facts.fw):
            what = "overview for the committee" if kind == "committee" else "report-back"
            raise NotInFramework(f"the framework {facts.fw.name} has no {what}, so the loop {loop_id} has no {kind} report")
        made_at = now.astimezone(facts.tz)
        if kind == "status":
            report = status.status_report(uow, facts, made_at, detail)
        elif kind == "meeting-cost":
            report = cost.cost_report(uow, facts, made_at, cache)
        else:
            # What the units recorded is what the other two reports show.
            fill_units_and_submissions(uow, facts)
            make = focus.committee_report if kind == "committee" else focus.report_back_report
            report = make(uow, facts, made_at)
        report.date_label = date_label(facts.fw)
        return report


def year_wheel(uow, loop_id: str, now: dt.datetime, year: int = 1, unit: str | None = None,
               chief: str | None = None) -> str:
    """The loop's year wheel (SVG) for loop-year 1 or 2: the whole area, one chief's units or one
    unit. Counted per week and ring by the database."""
    from kvalitetsloop.reports.yearwheel import MILESTONES, loop_year_start, ring_kinds, ring_of, rings_of, \
        week_starts, year_wheel_svg

    if year not in (1, 2):
        raise UserError(f"the loop-year must be 1 or 2, not {year}")
    with uow:
        facts = open_loop(uow, loop_id, now)
        title = f"Årshjul {loop_id}"
        ids = None
        if unit:
            found = uow.reports.units(loop_id, [unit])
            if not found:
                raise NotFound(f"the loop {loop_id} has no unit '{unit}'")
            title = f"Årshjul {found[0].name}"
            ids = [unit]
        elif chief:
            email = chief.strip().lower()
            ids = [u.id for u in uow.reports.units(loop_id, chief=email)]
            if not ids:
                raise NotFound(f"'{chief}' is chief of no unit in the loop {loop_id}")
            title = f"Årshjul {email}"
        start = loop_year_start(facts.council_date, year)
        days = week_starts(start)
        rings = rings_of(facts.fw)
        counts: dict[str, Counter] = {ring.key: Counter() for ring in rings}
        for kind, week, n in uow.reports.kind_counts(loop_id, [facts.local_midnight(d) for d in days],
                                                     ring_kinds(rings), ids):
            counts[ring_of(rings, kind)][week] += n
        marks = [e for e in uow.events.shared(loop_id, facts.tz)
                 if e.kind in MILESTONES and start <= e.start.astimezone(facts.tz).date() < days[-1]]
    return year_wheel_svg(rings, counts, marks, start, facts.tz, f"{title} (år {year})")
