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
from dataclasses import dataclass, field

from cycle import kinds
from cycle.framework import Framework
from kvalitetsloop.reports.facts import LoopFacts, plural_words
from kvalitetsloop.reports.model import Report, Section, Table


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
    overdue: list[Overdue] = field(default_factory=list)

    @property
    def most_days_overdue(self) -> int:
        return max((o.days for o in self.overdue), default=0)


@dataclass
class StatusFigures:
    year: int
    year_start: dt.date
    year_end: dt.date
    units: list[UnitStatus]
    overdue: list[Overdue]


def chief_label(person) -> str:
    return f"{person.name} <{person.email}>" if person.name else person.email


def status_figures(facts: LoopFacts) -> StatusFigures:
    """Every unit's figures at the facts' `now`, and the overdue list (longest overdue first)."""
    now, tz = facts.now, facts.tz
    today = now.astimezone(tz).date()
    year, start, end = loop_year(facts.council_date, today)
    minimum = one_to_ones_per_year(facts.fw)
    submitted = facts.submitted()
    rows: dict[str, UnitStatus] = {}
    for u in facts.units:
        rows[u.id] = UnitStatus(u.id, u.name, u.sector, chief_label(u.chief), one_to_ones_minimum=minimum)
    counted = {kinds.BOARD_STATEMENT.event_kind: ("statements_in", "statements_due"),
               kinds.FOLLOWUP_FORM.event_kind: ("forms_in", "forms_due"),
               kinds.DATA_PACKAGE.event_kind: ("packages_ready", "packages_due")}
    overdue: list[Overdue] = []
    for e in facts.events:
        if e.status == "cancelled" or e.unit_id not in rows:
            continue
        r = rows[e.unit_id]
        ended = e.end <= now
        if e.kind == "learning_talk":
            r.talks_planned += 1
            r.talks_held += ended
        elif e.kind == "one_to_one":
            r.one_to_ones_year += ended and start <= e.start.astimezone(tz).date() < end
        deadline = kinds.deadline_for_event_kind(e.kind)
        if deadline is None:
            continue
        done = (e.uid, deadline.submission) in submitted
        if e.kind in counted:
            have, due = counted[e.kind]
            setattr(r, have, getattr(r, have) + done)
            setattr(r, due, getattr(r, due) + (ended or done))
        if ended and not done:
            due_day = e.start.astimezone(tz).date()
            o = Overdue(r.unit_id, r.unit, r.chief, e.title, due_day, (today - due_day).days, e.uid)
            r.overdue.append(o)
            overdue.append(o)
    overdue.sort(key=lambda o: (-o.days, o.unit_id, o.what))
    return StatusFigures(year, start, end, list(rows.values()), overdue)


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
            sum(len(u.overdue) for u in units), max((u.most_days_overdue for u in units), default=0)]


def status_report(facts: LoopFacts, made_at: dt.datetime) -> Report:
    """The status report (Danish): the area, each chief, each unit, and the overdue list."""
    w = plural_words(facts.words)
    f = status_figures(facts)
    cols = lambda names: [c.format(**w) for c in names]  # noqa: E731
    today = facts.now.astimezone(facts.tz).date()
    report = Report("status", f"Status for loopet {facts.loop_id}", facts.fw.municipality, facts.loop_id, facts.area,
                    facts.council_date, f"{facts.fw.name} {facts.fw.version}", made_at,
                    intro=(f"Opgjort {today.isoformat()}. Loopår {f.year} ({f.year_start.isoformat()} – "
                           f"{(f.year_end - dt.timedelta(days=1)).isoformat()}); rammens minimum er "
                           f"{one_to_ones_per_year(facts.fw)} 1:1 ledelsesopfølgninger pr. år."))
    report.sections.append(Section(f"Området {facts.area}", Table(cols(_SUM_COLUMNS), [_sums(f.units)])))
    by_chief: dict[str, list[UnitStatus]] = defaultdict(list)
    for u in f.units:
        by_chief[u.chief].append(u)
    report.sections.append(Section("Pr. chef", Table(["Chef", *cols(_SUM_COLUMNS)],
                                                     [[c, *_sums(us)] for c, us in sorted(by_chief.items())])))
    report.sections.append(Section("Pr. enhed", Table(cols(_UNIT_COLUMNS), [
        [u.unit_id, u.unit, u.sector, u.chief, _fraction(u.talks_held, u.talks_planned),
         f"{u.one_to_ones_year} ({u.one_to_ones_minimum})", _fraction(u.statements_in, u.statements_due),
         _fraction(u.forms_in, u.forms_due), _fraction(u.packages_ready, u.packages_due), len(u.overdue),
         u.most_days_overdue] for u in f.units])))
    report.sections.append(Section("Forsinket", Table(["Enhed", "Navn", "Chef", "Hvad", "Frist", "Dage forsinket"], [
        [o.unit_id, o.unit, o.chief, o.what, o.due.isoformat(), o.days] for o in f.overdue]),
        note="" if f.overdue else "Intet er forsinket."))
    return report
