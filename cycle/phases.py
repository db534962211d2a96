"""The loop's phases as the framework names them, and where each event belongs.

The adopted framework runs in this order [000]: themes via the leader networks → the council's
quality report → talk 1 and the units' focus areas (with the overview to the committee) → the
follow-up talks → the one-to-ones between them → the report-back. Self-owned daycares' written
supervision runs alongside. Operations see the loop's runs and artifacts by these phases; a
framework may name them in its own words (`phase_labels`, e.g. Albertslund [004]).

Pure: events, submissions and `now` in, phase states out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cycle.events import NEXT_LAYER_FOLLOWUP, SUPERVISION_MEETING, Event
from cycle.framework import LOOP_PHASES, Framework
from cycle.kinds import REPORT_BACK, SUPERVISION_REPORT, deadline_for_event_kind
from cycle.vocabulary import words

PHASE_KEYS = LOOP_PHASES
# Emails that belong to no phase of one loop (the chiefs' weekly digest across loops).
DIGEST = "digest"
DIGEST_TITLE = "Ugeoversigt til cheferne"


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    order: int


# The digest's phase where no loop (and so no framework) names it.
DIGEST_PHASE = Phase(DIGEST, DIGEST_TITLE, len(PHASE_KEYS))


def _default_titles(fw: Framework) -> dict[str, str]:
    w = words(fw)
    return {
        "themes": "Temaer via de faglige ledernetværk",
        "council": "Kvalitetsrapporten i byrådet",
        "talk-1": f"{w['Talk']} 1 og lokale fokusområder",
        "follow-up-talks": f"{w['Talk']} 2-{fw.talks.count}" if fw.talks.count > 2 else f"{w['Talk']} 2",
        "one-to-ones": "1:1 ledelsesopfølgning",
        "report-back": "Afrapportering",
        "supervision": "Skriftligt tilsyn i selvejende dagtilbud",
        DIGEST: DIGEST_TITLE,
    }


def phases(fw: Framework) -> dict[str, Phase]:
    """Every phase of a loop under this framework, by key, in the loop's order."""
    titles = {**_default_titles(fw), **fw.phase_labels}
    return {key: Phase(key, titles[key], i) for i, key in enumerate((*PHASE_KEYS, DIGEST))}


def phase_key(kind: str, number: int | None) -> str:
    """The phase an event of this kind (and talk or package number) belongs to."""
    if kind == "network_meeting":
        return "themes"
    if kind == "council_meeting":
        return "council"
    if kind in ("one_to_one", NEXT_LAYER_FOLLOWUP):
        return "one-to-ones"
    if kind.startswith("observation_"):
        # Observation visits feed the talks that follow them as qualitative data [001].
        return "follow-up-talks"
    if kind == "committee_overview":
        return "talk-1"  # the overview of the focus areas chosen at talk 1 [000]
    if kind == REPORT_BACK.event_kind:
        return "report-back"
    if kind in (SUPERVISION_REPORT.event_kind, SUPERVISION_MEETING):
        return "supervision"
    # Talks and what hangs off them (data packages, youth input, statements, follow-up forms).
    return "talk-1" if (number or 1) == 1 else "follow-up-talks"


@dataclass
class PhaseState:
    phase: Phase
    done: int = 0
    due: int = 0
    overdue: int = 0
    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def total(self) -> int:
        return self.done + self.due + self.overdue


@dataclass(frozen=True)
class PhaseTally:
    """Live events alike for the phases: of one kind, of talk 1 (or no talk) or a later one, with
    or without a unit, ended or not, their submission in or not; how many, the local days of the
    first and the last. What the database counts for a stored loop."""
    kind: str
    first_talk: bool
    has_unit: bool
    ended: bool
    submitted: bool
    count: int
    first: dt.date
    last: dt.date


def tally_phases(events: Iterable[Event], submitted: set[tuple[str, str]], now: dt.datetime) -> list[PhaseTally]:
    """The tallies of events held in memory (their starts' own days)."""
    acc: dict[tuple, list] = {}
    for e in events:
        if e.status == "cancelled":
            continue
        deadline = deadline_for_event_kind(e.kind)
        done = deadline is not None and (e.uid, deadline.submission) in submitted
        key = (e.kind, (e.number or 1) == 1, e.unit_id is not None, e.end <= now, done)
        day = e.start.date()
        t = acc.setdefault(key, [0, day, day])
        t[0] += 1
        t[1], t[2] = min(t[1], day), max(t[2], day)
    return [PhaseTally(*key, n, first, last) for key, (n, first, last) in acc.items()]


def phase_states(fw: Framework, events: Iterable[Event], submitted: set[tuple[str, str]],
                 now: dt.datetime) -> list[PhaseState]:
    """Per phase: what is done (meetings held, deadlines met), due (still ahead) and overdue
    (a deadline passed without what it asks for). `submitted`: (event uid, submission kind)."""
    return phase_states_of_tallies(fw, tally_phases(events, submitted, now))


def phase_states_of_tallies(fw: Framework, tallies: Iterable[PhaseTally]) -> list[PhaseState]:
    """The same from tallies (`tally_phases`, or the database's for a stored loop)."""
    by_key = phases(fw)
    states = {key: PhaseState(phase) for key, phase in by_key.items() if key != DIGEST}
    for t in tallies:
        st = states[phase_key(t.kind, 1 if t.first_talk else 2)]
        st.first = t.first if st.first is None or t.first < st.first else st.first
        st.last = t.last if st.last is None or t.last > st.last else st.last
        if deadline_for_event_kind(t.kind) is not None and t.has_unit:
            if t.submitted:
                st.done += t.count
            elif t.ended:
                st.overdue += t.count
            else:
                st.due += t.count
        elif t.ended:
            st.done += t.count
        else:
            st.due += t.count
    return [s for s in states.values() if s.total]


def current_phase(states: list[PhaseState], now: dt.datetime) -> Phase | None:
    """The phase the loop is in: the latest one that has begun and still has something ahead,
    else the next one to begin, else (all done) the last."""
    today = now.date()
    ordered = sorted(states, key=lambda s: s.phase.order)
    running = [s for s in ordered if s.first and s.first <= today and s.due]
    if running:
        return max(running, key=lambda s: s.first).phase
    ahead = [s for s in ordered if s.first and s.first > today]
    if ahead:
        return min(ahead, key=lambda s: s.first).phase
    return ordered[-1].phase if ordered else None
