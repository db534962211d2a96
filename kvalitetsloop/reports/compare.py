"""The consultation's question [003] as a comparison: the same organisation planned under two
frameworks side by side (say Aarhus against one talk and three one-to-ones a year), and the hours
each role would save. Both sides are planned by the planner, with the working calendar and the
meetings people already have in other loops, so what differs is only the framework."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle.planner import LoopSpec, PlanningError, plan_loop
from kvalitetsloop.errors import UserError
from kvalitetsloop.frameworks import load_framework
from kvalitetsloop.reports.cost import OTHERS, ROLES, meeting_cost, role_label
from kvalitetsloop.reports.model import Report, Section, Table, date_label
from kvalitetsloop.usecases.loops import meetings_of_other_loops, require_loop, working_calendar


def _h(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def comparison_state(uow, frameworks_dir: Path, other: str) -> tuple:
    """What a comparison of `other` is made from besides its loop: the plans (every event change,
    the loops), the organisation, the holidays and the framework file; a comparison made for one
    state holds while it is the same."""
    path = frameworks_dir / f"{other}.yaml"
    stat = path.stat() if path.is_file() else None
    with uow:
        return (uow.events.fingerprint(), uow.organisation.fingerprint(), uow.holidays.fingerprint(),
                stat and (stat.st_mtime_ns, stat.st_size))


def compare_frameworks(uow, frameworks_dir: Path, loop_id: str, other: str, now: dt.datetime) -> Report:
    """The loop's organisation, area and council date planned under its own framework and under
    `other` (a name in frameworks/ or a YAML path): meeting hours per role and per chief."""
    fw_b = load_framework(other, frameworks_dir).framework
    with uow:
        loop = require_loop(uow, loop_id)
        fw_a = uow.loops.framework(loop)
        if loop.area not in fw_b.areas:
            raise UserError(f"the framework '{fw_b.name}' has no area '{loop.area}'")
        org = uow.organisation.load()
        tz = ZoneInfo(fw_a.timezone)
        busy = meetings_of_other_loops(uow, loop.id, tz)
        cal_a, cal_b = working_calendar(uow, fw_a, frameworks_dir), working_calendar(uow, fw_b, frameworks_dir)
    spec = LoopSpec(loop.id, loop.area, loop.council_date, tuple(loop.themes or ()))
    try:
        plan_a = plan_loop(org, fw_a, cal_a, spec, busy=busy)
        plan_b = plan_loop(org, fw_b, cal_b, spec, busy=busy)
    except PlanningError as exc:
        raise UserError(f"the loop cannot be planned: {exc}") from None
    a, b = meeting_cost(plan_a.events, tz), meeting_cost(plan_b.events, tz)
    name_a, name_b = f"{fw_a.name} {fw_a.version}", f"{fw_b.name} {fw_b.version}"
    units = len({e.unit_id for e in plan_a.events if e.unit_id})
    count = lambda events, kind: sum(1 for e in events if e.kind == kind and e.status != "cancelled")  # noqa: E731
    report = Report("meeting-cost-comparison", f"Mødetid under to rammer – {loop.id}", fw_a.municipality, loop.id,
                    loop.area, loop.council_date, f"{name_a} mod {name_b}", now.astimezone(tz),
                    intro=(f"Samme organisation ({units} enheder), område og {date_label(fw_a)} planlagt under rammen "
                           f"{name_a} "
                           f"og under {name_b}. Begge planer er lagt af planlæggeren; timerne er møder pr. deltager."),
                    date_label=date_label(fw_a))
    report.sections.append(Section("Møder pr. enhed over loopet", Table(
        ["Møde", name_a, name_b],
        [[label, _h(count(plan_a.events, kind) / max(units, 1)), _h(count(plan_b.events, kind) / max(units, 1))]
         for kind, label in (("learning_talk", "Læringssamtaler"), ("one_to_one", "1:1 ledelsesopfølgninger"))])))
    rows = []
    for role in (*ROLES, OTHERS):
        pa, pb = a.of_role(role), b.of_role(role)
        if not pa and not pb:
            continue
        ta, tb = a.role_total(role), b.role_total(role)
        rows.append([role_label(fw_a, role), len(pa), _h(ta), _h(tb), _h(ta - tb),
                     _h(ta / len(pa)) if pa else "", _h(tb / len(pb)) if pb else ""])
    report.sections.append(Section("Timer pr. rolle", Table(
        ["Rolle", "Personer", f"Timer ({name_a})", f"Timer ({name_b})", "Sparede timer",
         f"Pr. person ({name_a})", f"Pr. person ({name_b})"], rows)))
    chiefs_b = {p.email: p for p in b.of_role("chief")}
    report.sections.append(Section("Timer pr. chef", Table(
        ["Chef", "E-mail", name_a, name_b, "Sparede timer"],
        [[p.name or p.email, p.email, _h(p.total), _h(chiefs_b[p.email].total if p.email in chiefs_b else 0),
          _h(p.total - (chiefs_b[p.email].total if p.email in chiefs_b else 0))] for p in a.of_role("chief")])))
    return report
