"""Use case: one report of one loop at `now` (what the command line and the portal call)."""

from __future__ import annotations

import datetime as dt

from kvalitetsloop.errors import UserError
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
