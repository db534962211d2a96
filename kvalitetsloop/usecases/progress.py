"""Use case: where each running loop stands, phase by phase (done, due, overdue)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cycle.kinds import SUBMISSION_OF_EVENT
from cycle.phases import Phase, PhaseState, PhaseTally, current_phase, phase_states, phase_states_of_tallies


@dataclass
class LoopProgress:
    loop_id: str
    area: str
    framework: str
    council_date: dt.date
    phase: Phase | None
    states: list[PhaseState]
    has_council: bool = True  # False: the loop's date is its start (a framework without a council [004])

    @property
    def done_fraction(self) -> float:
        total = sum(s.total for s in self.states)
        return sum(s.done for s in self.states) / total if total else 0.0

    @property
    def overdue(self) -> int:
        return sum(s.overdue for s in self.states)


def loops_progress(uow, now: dt.datetime) -> list[LoopProgress]:
    """Every running loop's phases at `now`, and the phase it is in: counted by the database."""
    out = []
    with uow:
        for loop in uow.loops.active():
            fw = uow.loops.framework(loop)
            states = phase_states_of_tallies(fw, stored_phase_tallies(uow, loop.id, now, ZoneInfo(fw.timezone)))
            out.append(LoopProgress(loop.id, loop.area, fw.name, loop.council_date, current_phase(states, now), states,
                                    fw.has_council))
    return out


def stored_phase_tallies(uow, loop_id: str, now: dt.datetime, tz: ZoneInfo) -> list[PhaseTally]:
    """A stored loop's phase tallies at `now` (cycle.phases.tally_phases, by the database); inside `with uow`."""
    return [PhaseTally(r.kind, bool(r.first), bool(r.has_unit), bool(r.past), bool(r.done), r.n,
                       r.first_start.astimezone(tz).date(), r.last_start.astimezone(tz).date())
            for r in uow.reports.phase_tallies(loop_id, now, SUBMISSION_OF_EVENT)]


def progress_of_loaded(loaded, now: dt.datetime) -> list[LoopProgress]:
    """The same, from what dispatch has just loaded (its `DispatchCache`): a dispatch run reads
    the loops' events once, not once to decide and again to show where the loops stand."""
    submitted = {(s.event_uid, s.kind) for s in loaded.submissions if s.submitted_at <= now}
    return [_progress(l.row, l.framework, l.state.events, submitted, now) for l in loaded.loops]


def _progress(loop, fw, events, submitted: set[tuple[str, str]], now: dt.datetime) -> LoopProgress:
    states = phase_states(fw, events, submitted, now)
    return LoopProgress(loop.id, loop.area, fw.name, loop.council_date, current_phase(states, now), states,
                        fw.has_council)
