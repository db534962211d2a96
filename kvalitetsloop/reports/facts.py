"""Use case: everything one loop's reports are computed from, read in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cycle import vocabulary
from cycle.events import Event
from cycle.framework import Framework
from cycle.organisation import Organisation, Unit
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


@dataclass
class LoopFacts:
    loop_id: str
    area: str
    council_date: dt.date
    themes: list[str]
    fw: Framework
    events: list[Event]
    organisation: Organisation
    # What has arrived at `now`, oldest first (later versions after earlier ones).
    submissions: list[Submitted]
    now: dt.datetime

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.fw.timezone)

    @property
    def words(self) -> dict:
        return vocabulary.words(self.fw)

    @property
    def units(self) -> list[Unit]:
        """The loop's units (those with events in it), by id."""
        ids = {e.unit_id for e in self.events if e.unit_id}
        return [u for u in self.organisation.units if u.id in ids]

    def latest(self, event_uid: str, kind: str) -> Submitted | None:
        found = None
        for s in self.submissions:
            if s.event_uid == event_uid and s.kind == kind:
                found = s
        return found

    def submitted(self) -> set[tuple[str, str]]:
        return {(s.event_uid, s.kind) for s in self.submissions}


def loop_facts(uow, loop_id: str, now: dt.datetime) -> LoopFacts:
    """The loop, its framework, every event, the organisation, and what was submitted by `now`."""
    with uow:
        loop = require_loop(uow, loop_id)
        fw = uow.loops.framework(loop)
        events = uow.events.of_loop(loop.id, ZoneInfo(fw.timezone))
        subs = [Submitted(r.event_uid, r.kind, r.unit_id, r.number, r.submitted_at, r.by or "", r.content or "",
                          r.url, dict(r.form or {}))
                for r in uow.reports.submissions(loop.id) if r.submitted_at <= now]
        return LoopFacts(loop.id, loop.area, loop.council_date, list(loop.themes or []), fw, events,
                         uow.organisation.load(), subs, now)


def plural_words(words: dict) -> dict:
    """The framework's words with their plurals (Talks, Data_packages) for column headings."""
    return {**words, "Talks": vocabulary.cap(vocabulary.plural(words["talk"])),
            "Data_packages": vocabulary.cap(vocabulary.plural(words["data_package"]))}
