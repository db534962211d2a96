"""The committee overview of the units' focus areas, and the report-back.

Both read what the leaders recorded in the follow-up form (the portal's `submission_form`): after
talk 1 the focus areas (each within one of the loop's themes) and how the children's perspective
is included; after every talk what was decided, the next steps and how it went since last time.
The boards' statements before talks 2-4 are the board's perspective [000]. The newest version of
each form counts.

- The committee overview: every unit's focus areas grouped by theme and sector, for the Børn og
  Unge committee [000].
- The report-back: per unit the focus areas, what was decided and done across the four talks and
  the boards' statements; and the aggregated report-back for the area, which goes with the next
  quality report and into the networks' choice of themes [000].
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from cycle import kinds, vocabulary
from kvalitetsloop.reports.facts import LoopFacts, LoopUnit
from kvalitetsloop.reports.model import SUMMARY_ABOVE_UNITS, Report, Section, Table

NO_THEME = "Uden tema"


def _latest_by_unit(facts: LoopFacts, kind: str) -> dict[tuple[str, int | None], object]:
    """The newest submission of `kind` per (unit, talk number)."""
    out = {}
    for s in facts.submissions:  # oldest first: later versions win
        if s.kind == kind and s.unit_id:
            out[(s.unit_id, s.number)] = s
    return out


def focus_areas(facts: LoopFacts) -> dict[str, list[dict]]:
    """Each unit's focus areas as recorded after talk 1: unit id -> [{"theme", "title"}]."""
    forms = _latest_by_unit(facts, kinds.FOLLOWUP_FORM.submission)
    return {unit_id: list(s.form.get("focus_areas") or []) for (unit_id, number), s in forms.items()
            if number == 1 and s.form.get("focus_areas")}


def _theme_order(facts: LoopFacts, areas: dict[str, list[dict]]) -> list[str]:
    seen = list(facts.themes)
    for unit_areas in areas.values():
        for a in unit_areas:
            t = a.get("theme") or NO_THEME
            if t not in seen:
                seen.append(t)
    return seen


def _report(facts: LoopFacts, kind: str, title: str, made_at: dt.datetime, intro: str) -> Report:
    return Report(kind, title, facts.fw.municipality, facts.loop_id, facts.area, facts.council_date,
                  f"{facts.fw.name} {facts.fw.version}", made_at, intro=intro)


def committee_report(uow, facts: LoopFacts, made_at: dt.datetime) -> Report:
    """Every unit's focus areas, grouped by theme and, within a theme, by sector."""
    areas = focus_areas(facts)
    units = {u.id: u for u in facts.units}
    w = facts.words
    report = _report(facts, "committee", f"Oversigt over lokale fokusområder – {facts.area}", made_at,
                     f"Enhedernes lokale fokusområder, valgt ved {w['talk']} 1 inden for kvalitetsrapportens temaer. "
                     f"{len(areas)} af {len(units)} enheder har registreret deres fokusområder.")
    for theme in _theme_order(facts, areas):
        by_sector: dict[str, list[list]] = defaultdict(list)
        for unit_id, unit_areas in sorted(areas.items()):
            unit = units.get(unit_id)
            for a in unit_areas:
                if (a.get("theme") or NO_THEME) == theme and unit is not None:
                    by_sector[unit.sector].append([unit.name, a.get("title", "")])
        report.sections.append(Section(f"Tema: {theme}", note="" if by_sector else "Ingen fokusområder under temaet."))
        for sector in sorted(by_sector, key=_sector_order):
            report.sections.append(Section(vocabulary.cap(vocabulary.sector_label(sector)),
                                           Table(["Enhed", "Fokusområde"], by_sector[sector]), level=3))
    missing = [[u.name, vocabulary.sector_label(u.sector), u.chief.name or u.chief.email]
               for u in facts.units if u.id not in areas]
    if missing:
        report.sections.append(Section("Endnu ikke registreret", Table(["Enhed", "Sektor", "Chef"], missing)))
    return report


def _sector_order(sector: str) -> int:
    return ("dagtilbud", "skole", "fu").index(sector) if sector in ("dagtilbud", "skole", "fu") else 9


_DECISION_FIELDS = (("decisions", "Beslutninger"), ("next_steps", "Næste skridt og handlinger"),
                    ("how_it_went", "Sådan er det gået siden sidst"))


def _unit_section(facts: LoopFacts, unit: LoopUnit, areas: list[dict], forms: dict, statements: dict,
                  report_backs: dict) -> Section:
    w = facts.words
    texts: list[tuple[str, str]] = []
    for a in areas:
        texts.append((f"Fokusområde ({a.get('theme') or NO_THEME})", a.get("title", "")))
    first = forms.get((unit.id, 1))
    if first is not None and first.form.get("children_perspective"):
        texts.append(("Sådan inddrages børnenes perspektiv", first.form["children_perspective"]))
    for n in range(1, facts.fw.talks.count + 1):
        s = statements.get((unit.id, n))
        if s is not None and s.content:
            texts.append((f"{w['Board_s']} udtalelse før {w['talk']} {n}", s.content))
        f = forms.get((unit.id, n))
        if f is None:
            continue
        for key, label in _DECISION_FIELDS:
            if f.form.get(key):
                texts.append((f"{w['Talk']} {n}: {label}", f.form[key]))
    rb = report_backs.get((unit.id, None)) or next((v for (u, _), v in report_backs.items() if u == unit.id), None)
    if rb is not None and rb.content:
        texts.append(("Enhedens afrapportering", rb.content))
    return Section(f"{unit.name} ({vocabulary.sector_label(unit.sector)})", texts=texts, level=3,
                   note="" if texts else "Intet registreret endnu.")


def report_back_report(uow, facts: LoopFacts, made_at: dt.datetime) -> Report:
    """The aggregated report-back for the area, then each unit's; inside an open unit of work."""
    areas = focus_areas(facts)
    forms = _latest_by_unit(facts, kinds.FOLLOWUP_FORM.submission)
    statements = _latest_by_unit(facts, kinds.BOARD_STATEMENT.submission)
    report_backs = _latest_by_unit(facts, kinds.REPORT_BACK.submission)
    w = facts.words
    units = facts.units
    report = _report(facts, "report-back", f"Afrapportering – {facts.area}", made_at,
                     "Det lokale arbejde med fokusområderne gennem loopet. Den samlede afrapportering følger med "
                     "den næste kvalitetsrapport og indgår i netværkenes valg af temaer.")
    sectors = sorted({u.sector for u in units}, key=_sector_order)
    unit_sector = {u.id: u.sector for u in units}
    per_theme: dict[str, Counter] = defaultdict(Counter)
    for unit_id, unit_areas in areas.items():
        for a in unit_areas:
            if unit_id in unit_sector:
                per_theme[a.get("theme") or NO_THEME][unit_sector[unit_id]] += 1
    report.sections.append(Section("Samlet afrapportering for området: fokusområder pr. tema", Table(
        ["Tema", *(vocabulary.cap(vocabulary.sector_label(s)) for s in sectors), "I alt"],
        [[t, *(per_theme[t][s] for s in sectors), sum(per_theme[t].values())] for t in _theme_order(facts, areas)])))
    talks = uow.reports.live_of_kind(facts.loop_id, "learning_talk", facts.now)
    rows = []
    for n in range(1, facts.fw.talks.count + 1):
        planned = [t for t in talks if t.number == n]
        held = sum(1 for t in planned if t.ended)
        recorded = sum(1 for t in planned if (t.unit_id, n) in forms)
        stmts = sum(1 for t in planned if (t.unit_id, n) in statements)
        rows.append([f"{w['Talk']} {n}", len(planned), held, recorded, stmts])
    report.sections.append(Section(f"Samlet afrapportering for området: {vocabulary.plural(w['talk'])}ne", Table(
        [w["Talk"], "Planlagt", "Afholdt", "Opfølgningsskema registreret", f"{w['Board_s']} udtalelse modtaget"],
        rows)))
    # A national loop's thousands of units' texts: the page and the PDF give the area's report-back,
    # the CSV each unit's too.
    summary = len(units) > SUMMARY_ABOVE_UNITS
    report.sections.append(Section("Enhedernes afrapportering", note=(
        f"{vocabulary.number(len(units))} enheder. Med så mange enheder vises kun den samlede afrapportering "
        "her; hver enheds afrapportering står i CSV-filen." if summary else f"{len(units)} enheder.")))
    for u in units:
        section = _unit_section(facts, u, areas.get(u.id, []), forms, statements, report_backs)
        section.csv_only = summary
        report.sections.append(section)
    return report
