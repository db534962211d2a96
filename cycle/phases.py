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

from cycle.events import SUPERVISION_MEETING, Event
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
    if kind == "one_to_one":
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


def phase_states(fw: Framework, events: Iterable[Event], submitted: set[tuple[str, str]],
                 now: dt.datetime) -> list[PhaseState]:
    """Per phase: what is done (meetings held, deadlines met), due (still ahead) and overdue
    (a deadline passed without what it asks for). `submitted`: (event uid, submission kind)."""
    by_key = phases(fw)
    states = {key: PhaseState(phase) for key, phase in by_key.items() if key != DIGEST}
    for e in events:
        if e.status == "cancelled":
            continue
        st = states[phase_key(e.kind, e.number)]
        day = e.start.date()
        st.first = day if st.first is None or day < st.first else st.first
        st.last = day if st.last is None or day > st.last else st.last
        deadline = deadline_for_event_kind(e.kind)
        if deadline is not None and e.unit_id:
            if (e.uid, deadline.submission) in submitted:
                st.done += 1
            elif e.end <= now:
                st.overdue += 1
            else:
                st.due += 1
        elif e.end <= now:
            st.done += 1
        else:
            st.due += 1
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
