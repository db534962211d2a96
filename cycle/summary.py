"""What a plan means per chief (units, talks, one-to-ones, meeting hours) and its shared
milestones: the summary the command line prints and the start-loop flow publishes. Pure."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from cycle.events import Event
from cycle.kinds import BOARD_STATEMENT, DATA_PACKAGE
from cycle.organisation import Organisation

# The meetings a chief sits in, whose hours the consultation worried about [003].
CHIEF_MEETINGS = ("learning_talk", "one_to_one")


@dataclass
class ChiefSummary:
    chief: str  # "Name <email>" or the email
    units: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    hours: float = 0.0
    talk_days: list[dt.date] = field(default_factory=list)

    @property
    def talks(self) -> int:
        return self.counts["learning_talk"]

    @property
    def one_to_ones(self) -> int:
        return self.counts["one_to_one"]

    @property
    def data_packages(self) -> int:
        return self.counts[DATA_PACKAGE.event_kind]

    @property
    def statements(self) -> int:
        return self.counts[BOARD_STATEMENT.event_kind]


def per_chief(events: Iterable[Event], org: Organisation) -> list[ChiefSummary]:
    """Each chief's share of the plan, sorted by chief."""
    units = org.by_id()
    out: dict[str, ChiefSummary] = defaultdict(lambda: ChiefSummary(""))
    for e in events:
        if e.status == "cancelled" or not e.unit_id or e.unit_id not in units:
            continue
        chief = units[e.unit_id].chief
        key = f"{chief.name} <{chief.email}>" if chief.name else chief.email
        s = out[key]
        s.chief = key
        s.units.add(e.unit_id)
        s.counts[e.kind] += 1
        if e.kind in CHIEF_MEETINGS:
            s.hours += (e.end - e.start).total_seconds() / 3600
        if e.kind == "learning_talk":
            s.talk_days.append(e.start.date())
    return [out[k] for k in sorted(out)]


def milestones(events: Iterable[Event]) -> list[Event]:
    """The loop's shared milestones (no unit): network meetings, council, committee, report-back."""
    return [e for e in events if e.unit_id is None and e.status != "cancelled"]
