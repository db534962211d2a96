"""The leader's follow-up with the unit's next leadership layer, an optional framework element.

"Samme type opfølgning afholdes også mellem tilbuddets leder og næste ledelseslag f.eks. den
pædagogiske leder i skoler og dagtilbud og fritidscentrets leder på FU-området." [003]

When the framework turns it on (`next_layer_followups.enabled`), each unit's leader meets the
people of the unit's next layer (the framework's roles for its sector, from the organisation
file) `per_year` times in each loop-year, spread evenly over the year's working days of the
unit's calendar (so never in its holidays or the summer), around everyone's other meetings. A
unit whose row names nobody in the layer gets none; `units_without_next_layer` says which, for
the plan's summary. Planned after the talks and the chief's one-to-ones, which come first.
"""

from __future__ import annotations

import datetime as dt
import math

from cycle.events import NEXT_LAYER_FOLLOWUP
from cycle.framework import Framework
from cycle.organisation import Unit
from cycle.planner import PlanningError, event_attendees


def layer_roles(fw: Framework, unit: Unit) -> list[str]:
    return list(fw.next_layer_followups.layer.get(unit.sector, []))


def next_layer(fw: Framework, unit: Unit) -> list[str]:
    """The emails of the unit's next leadership layer (not the leader, if listed there too)."""
    leader = unit.leader.email
    return [p.email for role in layer_roles(fw, unit) for p in unit.role(role) if p.email != leader]


def units_without_next_layer(fw: Framework, units) -> list[Unit]:
    """The units that get no follow-up with a next layer because their row names nobody in it."""
    if not fw.next_layer_followups.enabled:
        return []
    return [u for u in units if not next_layer(fw, u)]


def plan_next_layer_followups(planner) -> None:
    """Place the follow-ups of every unit of `planner` (cycle.planner._Planner, which imports this
    module when it runs) in its free slots, booked in its ledger."""
    nl = planner.fw.next_layer_followups
    if not nl.enabled:
        return
    council = planner.spec.council_date
    anniversary = planner.clock.add_years(council, 1)
    years = ((council, anniversary - dt.timedelta(days=1)),
             (anniversary, planner.tl.next_council - dt.timedelta(days=1)))
    for u in planner.units:
        if not next_layer(planner.fw, u):
            continue
        att = event_attendees(planner.fw, u, NEXT_LAYER_FOLLOWUP)
        emails = [a.email for a in att]
        number = 0
        for first, last in years:
            days = planner.cal.working_days(first, last, u.sector)
            n = min(nl.per_year, len(days))
            last_idx = -1
            for j in range(n):
                number += 1
                # The j-th meeting aims at the middle of the j-th part of the year, later than the one before.
                target = max(last_idx + 1, math.floor((j + 0.5) * len(days) / n))
                placed = False
                for idx in list(range(target, len(days))) + list(range(target - 1, last_idx, -1)):
                    start = planner._slot(emails, days[idx], nl.duration_minutes)
                    if start is not None:
                        planner._meeting(NEXT_LAYER_FOLLOWUP, u, number, days[idx], start, nl.duration_minutes,
                                         f"Ledelsesopfølgning med næste ledelseslag {number}: {u.name}", att,
                                         host_role="leader", details={"loop_year": 1 if first == council else 2})
                        last_idx = idx
                        placed = True
                        break
                if not placed:
                    raise PlanningError(
                        f"the follow-up {number} of {u.leader.email} with the next leadership layer of {u.id} "
                        f"({u.name}) finds no free slot between {first.isoformat()} and {last.isoformat()} "
                        f"(1 over capacity)")
