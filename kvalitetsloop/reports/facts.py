"""Use case: what one loop's reports are computed from, read in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

from cycle import vocabulary
from cycle.framework import Framework
from cycle.organisation import Person
from kvalitetsloop.usecases.loops import require_loop


@dataclass(frozen=True)
class Submitted:
    event_uid: str
    kind: str
    unit_id: str | None
    number: int | None
    at: dt.datetime
    by: str
    content: str
    url: str | None
    form: dict


@dataclass(frozen=True)
class LoopUnit:
    """A unit as the reports name it: its id, name and sector, and its chief."""
    id: str
    name: str
    sector: str
    chief: Person


@dataclass
class LoopFacts:
    """A loop as its reports and pages start from: the loop, its framework and `now`; the units
    with an event in it and what was submitted only for the reports that show them
    (`fill_units_and_submissions`): the rest is counted by the database (status, views, cost)."""
    loop_id: str
    area: str
    council_date: dt.date
    themes: list[str]
    fw: Framework
    now: dt.datetime
    # The loop's units (those with events in it), by id.
    units: list[LoopUnit] = field(default_factory=list)
    # What has arrived at `now`, oldest first (later versions after earlier ones).
    submissions: list[Submitted] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.fw.timezone)

    @cached_property
    def words(self) -> dict:
        return vocabulary.words(self.fw)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.tz).date()

    def local_midnight(self, day: dt.date) -> dt.datetime:
        """The instant a local day begins (what a query compares stored times with)."""
        return dt.datetime.combine(day, dt.time(0), self.tz)


def submitted_of_rows(rows, now: dt.datetime) -> list[Submitted]:
    """Submission rows (ReportRepository.submissions) as what arrived by `now`."""
    return [Submitted(r.event_uid, r.kind, r.unit_id, r.number, r.submitted_at, r.by or "", r.content or "", r.url,
                      dict(r.form or {})) for r in rows if r.submitted_at <= now]


def open_loop(uow, loop_id: str, now: dt.datetime) -> LoopFacts:
    """The loop and its framework at `now`, inside an open unit of work; NotFound if there is none."""
    loop = require_loop(uow, loop_id)
    return LoopFacts(loop.id, loop.area, loop.council_date, list(loop.themes or []), uow.loops.framework(loop), now)


def fill_units_and_submissions(uow, facts: LoopFacts) -> LoopFacts:
    """The loop's units and what was submitted by the facts' `now`, for the reports that show them."""
    facts.units = [LoopUnit(r.id, r.name, r.sector, Person(r.chief_email or "", r.chief_name or ""))
                   for r in uow.reports.units(facts.loop_id)]
    facts.submissions = submitted_of_rows(uow.reports.submissions(facts.loop_id), facts.now)
    return facts


def plural_words(words: dict) -> dict:
    """The framework's words with their plurals (Talks, Data_packages) for column headings."""
    return {**words, "Talks": vocabulary.cap(vocabulary.plural(words["talk"])),
            "Data_packages": vocabulary.cap(vocabulary.plural(words["data_package"]))}
