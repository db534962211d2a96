"""What a plan means per chief (units, talks, one-to-ones, meeting hours) and its shared
milestones: the summary the command line prints and the start-loop flow publishes. Pure.

The summary is built from tallies (per chief and kind: how many live events, their meeting time,
their first and last day), so a stored national loop is summarised from an aggregate query
instead of loading every event; a freshly planned loop is tallied in memory the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cycle.events import SUPERVISION_MEETING, Event
from cycle.kinds import BOARD_STATEMENT, DATA_PACKAGE
from cycle.organisation import Organisation, Person

# The meetings a chief sits in, whose hours the consultation worried about [003] (a follow-up
# meeting on supervision is planned only when a chief answers a report, never by the plan).
CHIEF_MEETINGS = ("learning_talk", "one_to_one", SUPERVISION_MEETING)


@dataclass(frozen=True)
class ChiefTally:
    """A chief's live (not cancelled) unit events of one kind: how many, their summed duration,
    and the local days of the first and the last."""
    chief: Person
    kind: str
    count: int
    seconds: float
    first_day: dt.date
    last_day: dt.date


@dataclass
class ChiefSummary:
    chief: str  # "Name <email>" or the email
    units: int = 0  # units with a live event
    counts: Counter = field(default_factory=Counter)
    hours: float = 0.0
    first_talk: dt.date | None = None
    last_talk: dt.date | None = None

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


def tally(events: Iterable[Event], org: Organisation) -> tuple[list[ChiefTally], dict[Person, int]]:
    """Per chief and kind, the live events of their units (starts in local time), and per chief
    how many units have one: what the database aggregates for a stored loop. A unit no longer in
    the organisation has no chief and is left out."""
    chiefs = {u.id: u.chief for u in org.units}
    acc: dict[tuple[Person, str], list] = {}
    units: dict[Person, set[str]] = defaultdict(set)
    for e in events:
        chief = chiefs.get(e.unit_id) if e.unit_id else None
        if e.status == "cancelled" or chief is None:
            continue
        units[chief].add(e.unit_id)
        day = e.start.date()
        t = acc.setdefault((chief, e.kind), [0, 0.0, day, day])
        t[0] += 1
        t[1] += (e.end - e.start).total_seconds()
        t[2], t[3] = min(t[2], day), max(t[3], day)
    tallies = [ChiefTally(c, k, n, s, first, last) for (c, k), (n, s, first, last) in acc.items()]
    return tallies, {c: len(u) for c, u in units.items()}


def per_chief_of_tallies(tallies: Iterable[ChiefTally], units: Mapping[Person, int]) -> list[ChiefSummary]:
    """Each chief's share of the plan, sorted by chief."""
    out: dict[str, ChiefSummary] = {}
    for t in tallies:
        key = f"{t.chief.name} <{t.chief.email}>" if t.chief.name else t.chief.email
        s = out.setdefault(key, ChiefSummary(key))
        s.units = units.get(t.chief, 0)
        s.counts[t.kind] += t.count
        if t.kind in CHIEF_MEETINGS:
            s.hours += t.seconds / 3600
        if t.kind == "learning_talk":
            s.first_talk = min(s.first_talk or t.first_day, t.first_day)
            s.last_talk = max(s.last_talk or t.last_day, t.last_day)
    return [out[k] for k in sorted(out)]


def per_chief(events: Iterable[Event], org: Organisation) -> list[ChiefSummary]:
    """Each chief's share of a plan held in memory, sorted by chief."""
    return per_chief_of_tallies(*tally(events, org))


def milestones(events: Iterable[Event]) -> list[Event]:
    """The loop's shared milestones (no unit): network meetings, council, committee, report-back."""
    return [e for e in events if e.unit_id is None and e.status != "cancelled"]
