"""The status report: per unit, chief and area, what is held, what is in and what is overdue.

- talks held: the unit's learning talks that have ended, of those planned;
- one-to-ones held this loop-year against the framework's minimum: a loop-year runs from the
  council date to its anniversary; the minimum is the framework's one-to-ones per loop over its
  two years ("six a year, three between talks" [000]; "minimum 6" [003]);
- statements, follow-up forms and data packages: arrived, of those due by now;
- overdue: every deadline passed without what it asks for, with the days since its due date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from cycle import kinds, vocabulary
from cycle.framework import Framework
from kvalitetsloop.reports.facts import LoopFacts, plural_words
from kvalitetsloop.reports.model import SUMMARY_ABOVE_UNITS, Report, Section, Table


def one_to_ones_per_year(fw: Framework) -> int:
    """The framework's minimum of one-to-ones per loop-year: per gap between talks (and after the
    last talk, if the framework says so), spread over the loop's two years."""
    if fw.one_to_ones is None:
        return 0  # a framework without one-to-ones (Albertslund [004])
    gaps = fw.talks.count - 1 + (1 if fw.one_to_ones.after_last_talk else 0)
    return (fw.one_to_ones.per_gap * gaps + 1) // 2


def loop_year(council_date: dt.date, day: dt.date) -> tuple[int, dt.date, dt.date]:
    """Which loop-year `day` falls in (1 or 2; before the council counts as year 1), and its span."""
    second = _anniversary(council_date, 1)
    if day < second:
        return 1, council_date, second
    return 2, second, _anniversary(council_date, 2)


def _anniversary(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class Overdue:
    unit_id: str
    unit: str
    chief: str
    what: str
    due: dt.date
    days: int
    uid: str


@dataclass
class UnitStatus:
    unit_id: str
    unit: str
    sector: str
    chief: str
    talks_held: int = 0
    talks_planned: int = 0
    one_to_ones_year: int = 0
    one_to_ones_minimum: int = 0
    statements_in: int = 0
    statements_due: int = 0
    forms_in: int = 0
    forms_due: int = 0
    packages_ready: int = 0
    packages_due: int = 0
    overdue: int = 0
    most_days_overdue: int = 0


@dataclass
class StatusFigures:
    year: int
    year_start: dt.date
    year_end: dt.date
    units: list[UnitStatus]
    # The oldest first; all of them, or the first of `overdue_total` when a limit was asked for.
    overdue: list[Overdue]
    overdue_total: int


def chief_label(email: str | None, name: str | None) -> str:
    return f"{name} <{email}>" if name else email or ""


_COUNTED = {kinds.BOARD_STATEMENT.event_kind: ("statements_in", "statements_due"),
            kinds.FOLLOWUP_FORM.event_kind: ("forms_in", "forms_due"),
            kinds.DATA_PACKAGE.event_kind: ("packages_ready", "packages_due")}


def status_figures(uow, facts: LoopFacts, unit_ids: list[str] | None = None, chief: str | None = None,
                   overdue_limit: int | None = None) -> StatusFigures:
    """Every unit's figures at the facts' `now` (of `unit_ids`, or of the units whose chief is
    `chief`, if given), and the overdue list, longest overdue first (its first `overdue_limit`).
    Counted by the database, inside an open unit of work: a deadline is met when its submission
    arrived by `now`, and overdue when it ended without it."""
    now, tz, today = facts.now, facts.tz, facts.today
    year, start, end = loop_year(facts.council_date, today)
    minimum = one_to_ones_per_year(facts.fw)
    units = uow.reports.units(facts.loop_id, unit_ids, chief)
    rows = {u.id: UnitStatus(u.id, u.name, u.sector, chief_label(u.chief_email, u.chief_name),
                             one_to_ones_minimum=minimum) for u in units}
    ids = list(rows) if unit_ids is not None or chief is not None else None
    window = (facts.local_midnight(start), facts.local_midnight(end))
    for t in uow.reports.unit_tallies(facts.loop_id, now, kinds.SUBMISSION_OF_EVENT, window, ids) if rows else ():
        r = rows[t.unit_id]
        if t.kind == "learning_talk":
            r.talks_planned += t.n
            r.talks_held += t.ended
        elif t.kind == "one_to_one":
            r.one_to_ones_year += t.ended_in_window
        elif t.kind in _COUNTED:
            have, due = _COUNTED[t.kind]
            setattr(r, have, getattr(r, have) + t.done)
            setattr(r, due, getattr(r, due) + t.ended_or_done)
        if t.overdue:
            r.overdue += t.overdue
            r.most_days_overdue = max(r.most_days_overdue, (today - t.oldest_overdue.astimezone(tz).date()).days)
    overdue, total = overdue_list(uow, facts, ids, overdue_limit) if rows else ([], 0)
    return StatusFigures(year, start, end, list(rows.values()), overdue, total)


def overdue_list(uow, facts: LoopFacts, unit_ids: list[str] | None = None,
                 limit: int | None = None) -> tuple[list[Overdue], int]:
    """The deadlines passed without what they ask for (of `unit_ids`, if given), longest overdue
    first (the first `limit` of them), and how many there are; inside an open unit of work."""
    found, total = uow.reports.overdue(facts.loop_id, facts.now, kinds.SUBMISSION_OF_EVENT, unit_ids, limit)
    overdue = []
    for o in found:
        due_day = o.start.astimezone(facts.tz).date()
        overdue.append(Overdue(o.unit_id, o.unit_name, chief_label(o.chief_email, o.chief_name), o.title, due_day,
                               (facts.today - due_day).days, o.uid))
    overdue.sort(key=lambda o: (-o.days, o.unit_id, o.what))
    return overdue[:limit], total


_UNIT_COLUMNS = ["Enhed", "Navn", "Sektor", "Chef", "{Talks} afholdt", "1:1 i loopåret (minimum)",
                 "Udtalelser modtaget", "Opfølgningsskemaer registreret", "{Data_packages} klar", "Forsinket",
                 "Flest dage forsinket"]
_SUM_COLUMNS = ["Enheder", "{Talks} afholdt", "1:1 i loopåret (minimum)", "Udtalelser modtaget",
                "Opfølgningsskemaer registreret", "{Data_packages} klar", "Forsinket", "Flest dage forsinket"]


def _fraction(have: int, of: int) -> str:
    return f"{have} af {of}"


def _sums(units: list[UnitStatus]) -> list:
    def total(name: str) -> int:
        return sum(getattr(u, name) for u in units)

    return [len(units), _fraction(total("talks_held"), total("talks_planned")),
            f"{total('one_to_ones_year')} ({total('one_to_ones_minimum')})",
            _fraction(total("statements_in"), total("statements_due")),
            _fraction(total("forms_in"), total("forms_due")),
            _fraction(total("packages_ready"), total("packages_due")),
            total("overdue"), max((u.most_days_overdue for u in units), default=0)]


def _absent(fw) -> set[str]:
    """The columns of elements the framework does not have (Albertslund: no one-to-ones, no data
    packages [004])."""
    return ({"1:1 i loopåret (minimum)"} if fw.one_to_ones is None else set()) | \
        ({"{Data_packages} klar"} if fw.data_packages is None else set())


def _table(columns: list[str], rows: list[list], absent: set[str], cols) -> Table:
    keep = [i for i, c in enumerate(columns) if c not in absent]
    return Table(cols([columns[i] for i in keep]), [[r[i] for i in keep] for r in rows])


def status_report(uow, facts: LoopFacts, made_at: dt.datetime, detail: bool = True) -> Report:
    """The status report (Danish): the area, each chief, each unit, and the overdue list; inside
    an open unit of work. Above `SUMMARY_ABOVE_UNITS` units the HTML and PDF give the summary, and
    without `detail` (for them) the per-unit and overdue rows they leave out are not even read."""
    w = plural_words(facts.words)
    f = status_figures(uow, facts, overdue_limit=None if detail else 0)
    summary = len(f.units) > SUMMARY_ABOVE_UNITS
    if not detail and not summary:
        f.overdue, f.overdue_total = overdue_list(uow, facts)
    cols = lambda names: [c.format(**w) for c in names]  # noqa: E731
    report = Report("status", f"Status for loopet {facts.loop_id}", facts.fw.municipality, facts.loop_id, facts.area,
                    facts.council_date, f"{facts.fw.name} {facts.fw.version}", made_at,
                    intro=(f"Opgjort {facts.today.isoformat()}. Loopår {f.year} ({f.year_start.isoformat()} – "
                           f"{(f.year_end - dt.timedelta(days=1)).isoformat()})"
                           + (f"; rammens minimum er {one_to_ones_per_year(facts.fw)} 1:1 ledelsesopfølgninger pr. år."
                              if facts.fw.one_to_ones is not None else ".")))
    absent = _absent(facts.fw)
    report.sections.append(Section(f"Området {facts.area}", _table(_SUM_COLUMNS, [_sums(f.units)], absent, cols)))
    by_chief: dict[str, list[UnitStatus]] = defaultdict(list)
    for u in f.units:
        by_chief[u.chief].append(u)
    report.sections.append(Section("Pr. chef", _table(["Chef", *_SUM_COLUMNS],
                                                      [[c, *_sums(us)] for c, us in sorted(by_chief.items())],
                                                      absent, cols)))
    if summary:
        report.sections.append(Section("Pr. enhed og forsinkede frister", note=(
            f"Loopet har {vocabulary.number(len(f.units))} enheder og {vocabulary.number(f.overdue_total)} "
            "overskredne frister, så rapporten vises i kort form: området og cheferne. Tallene for hver enhed "
            "og listen over alle overskredne frister står i CSV-filen.")))
        if not detail:
            return report
    report.sections.append(Section("Pr. enhed", _table(_UNIT_COLUMNS, [
        [u.unit_id, u.unit, u.sector, u.chief, _fraction(u.talks_held, u.talks_planned),
         f"{u.one_to_ones_year} ({u.one_to_ones_minimum})", _fraction(u.statements_in, u.statements_due),
         _fraction(u.forms_in, u.forms_due), _fraction(u.packages_ready, u.packages_due), u.overdue,
         u.most_days_overdue] for u in f.units], absent, cols), csv_only=summary))
    report.sections.append(_overdue_section(f.overdue, csv_only=summary))
    return report


def _overdue_section(overdue: list[Overdue], csv_only: bool = False) -> Section:
    return Section("Forsinket", Table(["Enhed", "Navn", "Chef", "Hvad", "Frist", "Dage forsinket"], [
        [o.unit_id, o.unit, o.chief, o.what, o.due.isoformat(), o.days] for o in overdue]),
        note="" if overdue else "Intet er forsinket.", csv_only=csv_only)


def overdue_report(facts: LoopFacts, overdue: list[Overdue], made_at: dt.datetime) -> Report:
    """The overdue list alone (the overdue page's CSV file)."""
    report = Report("overdue", f"Forsinket i loopet {facts.loop_id}", facts.fw.municipality, facts.loop_id,
                    facts.area, facts.council_date, f"{facts.fw.name} {facts.fw.version}", made_at,
                    intro=f"Opgjort {facts.today.isoformat()}: {vocabulary.number(len(overdue))} overskredne frister.")
    report.sections.append(_overdue_section(overdue))
    return report
