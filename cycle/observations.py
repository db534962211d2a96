"""Observation visits: colleagues from another unit spend a working day observing a unit's
practice and end it with a feedback talk (a framework's `observation_visits`).

One element for two sources: Aarhus's draft learning-environment observations [001: "Alle tilbud
er en gang årligt vært for et besøg og en gang årligt en del af et observationsteam"; "Ved
afslutningen af dagen afholdes en feedbacksamtale"; "Observationsteamet udarbejder efterfølgende
en skriftlig opsamling"], which the council dropped [003: "udgår forslaget om
læringsmiljøobservationer"], and Albertslund's mutual visits [004: "GENSIDIGE BESØG"], with an
agreement on the visit's frame and questions beforehand.

The rotation: in each loop-year the units of a sector stand in a ring (sorted by id); in year y
the team of the unit y places before a unit visits it. Every unit thus hosts one visit and joins
one team a year, never its own, and (with more than two units) not the same pairing twice.
Pure: the planner hands itself in (`plan_visits`) and gets its events appended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from cycle.events import (OBSERVATION_AGREEMENT, OBSERVATION_FEEDBACK, OBSERVATION_SUMMARY, OBSERVATION_VISIT,
                          Attendee, Event, attendees_in_roles, make_uid)
from cycle.booking import minutes
from cycle.framework import Framework

KINDS = (OBSERVATION_VISIT, OBSERVATION_FEEDBACK, OBSERVATION_AGREEMENT, OBSERVATION_SUMMARY)


class _NoRoom(ValueError):
    pass


def host_roles(fw: Framework, kind: str) -> list[str]:
    """The host unit's roles at an event of this kind (the visiting team is recorded with it)."""
    ov = fw.observation_visits
    if ov is None:
        return []
    if kind in (OBSERVATION_VISIT, OBSERVATION_AGREEMENT):
        return [*ov.hosts, *ov.administration]
    return [*ov.feedback_with, *ov.administration]


def rotation(units, year: int) -> list[tuple[object, object]]:
    """(host, visiting unit) pairs of a sector's units in loop-year `year` (1, 2, ...).

    The units stand in a ring (sorted by id) and each year's team comes from the unit a fixed
    number of places before its host: a step not used in an earlier year where there is one, and
    one where no visiting unit has the host's leader, since a visit goes "hos en kollega" [004]
    (one leader of two daycares would visit themselves)."""
    ring = sorted(units, key=lambda u: u.id)
    n = len(ring)
    if n < 2:
        return []
    used: list[int] = []
    for y in range(1, year + 1):
        preferred = 1 + (y - 1) % (n - 1)  # never 0: nobody visits itself
        fresh = [k for k in (preferred, *range(1, n)) if k not in used]
        again = [k for k in range(1, n) if k in used]
        step = next((k for k in (*fresh, *again) if not _shared_leader(ring, k)), preferred)
        used.append(step)
    return [(ring[i], ring[(i - used[-1]) % n]) for i in range(n)]


def _shared_leader(ring, step: int) -> bool:
    n = len(ring)
    return any(ring[i].leader.email == ring[(i - step) % n].leader.email for i in range(n))


def loop_years(clock, start: dt.date, next_start: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The loop-years [first day, last day]: the start to its anniversary, and on to the next loop."""
    anniversary = clock.add_years(start, 1)
    return [(start, anniversary - dt.timedelta(days=1)), (anniversary, next_start - dt.timedelta(days=1))]


def visit_windows(fw: Framework, year: tuple[dt.date, dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The occurrences of the framework's visit window inside a loop-year, each cut to it (a
    loop-year that starts late in the calendar year meets the window twice, the first in part)."""
    first, last = year
    out = []
    for y in (first.year, first.year + 1):
        a, b = fw.observation_visits.window.in_year(y)
        a, b = max(a, first), min(b, last)
        if a <= b:
            out.append((a, b))
    return out


def _usable_days(cal, ov, window, year, sector) -> list[dt.date]:
    days = cal.working_days(window[0], window[1], sector)
    if ov.agreement_working_days_before is not None:
        # The agreement before a visit lies inside the loop too, never before its start.
        days = [d for d in days if cal.add_working_days(d, -ov.agreement_working_days_before, sector) >= year[0]]
    return days


def team_detail(fw: Framework, visitor) -> list[dict]:
    """The visiting team as a visit's details record it: the visiting unit's people in the team's
    roles (they come from another unit than the host, so the event keeps them)."""
    return [{"email": a.email, "role": a.role, "name": a.name} for a in attendees_in_roles(visitor, fw.observation_visits.team)]


def plan_visits(planner) -> None:
    """Every observation visit of the loop, appended to the planner's events; PlanningError (from
    the planner's module) when a loop-year's window has no free day for a visit."""
    from cycle.planner import PlanningError

    fw = planner.fw
    ov = fw.observation_visits
    if ov is None:
        return
    cal, clock, spec = planner.cal, planner.clock, planner.spec
    for number, year in enumerate(loop_years(clock, spec.council_date, planner.tl.next_council), start=1):
        for sector in ov.sectors:
            units = [u for u in planner.units if u.sector == sector]
            pairs = rotation(units, number)
            if not pairs:
                continue
            # The occurrence of the window with the most usable days in this loop-year.
            window, days = max(((w, _usable_days(cal, ov, w, year, sector)) for w in visit_windows(fw, year)),
                               key=lambda wd: len(wd[1]), default=((year[0], year[1]), []))
            if not days:
                raise PlanningError(f"observation visits of loop-year {number} have no working day between "
                                    f"{window[0].isoformat()} and {window[1].isoformat()}")
            for i, (host, visitor) in enumerate(pairs):
                _place_visit(planner, host, visitor, number, window, days, (i * len(days)) // len(pairs))


def _place_visit(planner, host, visitor, number: int, window: tuple[dt.date, dt.date], days: list[dt.date],
                 target: int) -> Event:
    """`visitor`'s team visiting `host` in loop-year `number`, with its feedback talk, agreement and
    summary, appended to the planner's events: on the first of `days` from index `target` on
    (round) on which nobody of the visit has another meeting. PlanningError when there is none."""
    from cycle.planner import PlanningError

    fw, cal, clock, spec, ledger = planner.fw, planner.cal, planner.clock, planner.spec, planner.ledger
    ov = fw.observation_visits
    sector = host.sector
    feedback_start = planner.day_end - ov.feedback_minutes
    visit_end = feedback_start - fw.buffer_minutes
    team = attendees_in_roles(visitor, ov.team)
    hosts = attendees_in_roles(host, host_roles(fw, OBSERVATION_VISIT))
    feedback = attendees_in_roles(host, host_roles(fw, OBSERVATION_FEEDBACK))
    everyone = {a.email for a in (*team, *hosts, *feedback)}
    # A whole working day on which nobody of the visit has another meeting.
    day = next((days[j % len(days)] for j in range(target, target + len(days))
                if all(ledger.count(e, days[j % len(days)]) == 0 for e in everyone)), None)
    if day is None:
        raise PlanningError(
            f"the observation visit of {visitor.id} at {host.id} in loop-year {number} finds no working day "
            f"between {window[0].isoformat()} and {window[1].isoformat()} on which {', '.join(sorted(everyone))} "
            f"are all free for the whole day: 1 visit over capacity")
    details = {"visitor_unit": visitor.id, "visitor_name": visitor.name, "team": team_detail(fw, visitor),
               "loop_year": number}
    label = ov.label
    visit = planner._meeting(
        OBSERVATION_VISIT, host, number, day, planner.day_start, visit_end - planner.day_start,
        visit_title(fw, host, visitor), _merge(hosts, team), details=details)
    planner._meeting(
        OBSERVATION_FEEDBACK, host, number, day, feedback_start, ov.feedback_minutes,
        f"Feedbacksamtale efter {label.lower()}: {host.name}", _merge(feedback, team),
        details={**details, "visit_uid": visit.uid})
    if ov.agreement_working_days_before is not None:
        due = cal.add_working_days(day, -ov.agreement_working_days_before, sector)
        planner.events.append(_deadline(
            spec.loop_id, OBSERVATION_AGREEMENT, host, number, due, clock,
            f"Aftale om rammer og spørgsmål før {label.lower()}: {host.name}", _merge(hosts, team),
            visit, {**details, "visit_date": day.isoformat()}))
    if ov.summary_working_days_after is not None:
        due = cal.add_working_days(day, ov.summary_working_days_after, sector)
        planner.events.append(_deadline(
            spec.loop_id, OBSERVATION_SUMMARY, host, number, due, clock,
            f"Skriftlig opsamling efter {label.lower()}: {host.name}", _merge(feedback, team), visit,
            {**details, "visit_date": day.isoformat(),
             "to": sorted(a.email for a in attendees_in_roles(host, ov.feedback_with))}))
    return visit


def visit_title(fw: Framework, host, visitor) -> str:
    return f"{fw.observation_visits.label}: {host.name} (besøg fra {visitor.name})"


def _merge(first: list[Attendee], second: list[Attendee]) -> tuple[Attendee, ...]:
    out: dict[str, Attendee] = {}
    for a in (*first, *second):
        out.setdefault(a.email, a)
    return tuple(out.values())


def _deadline(loop_id: str, kind: str, unit, number: int, due: dt.date, clock, title: str,
              attendees: tuple[Attendee, ...], visit: Event, details: dict) -> Event:
    return Event(uid=make_uid(loop_id, kind, unit.id, number), kind=kind, unit_id=unit.id, number=number, all_day=True,
                 start=clock.midnight(due), end=clock.midnight(due + dt.timedelta(days=1)), title=title,
                 attendees=attendees, sector=unit.sector, details={**details, "visit_uid": visit.uid})


def visit_dependents(fw: Framework, cal, visit: Event, events) -> list[Event]:
    """The events that go with a visit moved to another day, at their new times: its feedback talk
    at the end of the same day [001: "Ved afslutningen af dagen afholdes en feedbacksamtale"], and
    its agreement before and written summary after, the same working days away."""
    ov = fw.observation_visits
    if ov is None:
        return []
    tz = visit.start.tzinfo
    day = visit.start.astimezone(tz).date()
    out = []
    for e in events:
        if e.details.get("visit_uid") != visit.uid or e.status == "cancelled":
            continue
        if e.kind == OBSERVATION_FEEDBACK:
            start = dt.datetime.combine(day, e.start.astimezone(tz).time(), tz)
            out.append(e.with_changes(start=start, end=start + (e.end - e.start),
                                      details={**e.details, "visit_date": day.isoformat()}))
            continue
        if e.kind == OBSERVATION_AGREEMENT and ov.agreement_working_days_before is not None:
            due = cal.add_working_days(day, -ov.agreement_working_days_before, e.sector)
        elif e.kind == OBSERVATION_SUMMARY and ov.summary_working_days_after is not None:
            due = cal.add_working_days(day, ov.summary_working_days_after, e.sector)
        else:
            continue
        out.append(e.with_changes(start=dt.datetime.combine(due, dt.time(), tz),
                                  end=dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tz),
                                  details={**e.details, "visit_date": day.isoformat()}))
    return out


def join_visits(planner, unit, existing, units: dict, today: dt.date, first: dt.date) -> tuple[list[Event], list[str]]:
    """`unit` joining a running loop takes its part in the visits of each loop-year whose window
    is still ahead, so that every unit still hosts one visit and joins one team a year [001, 004].

    Each of its two parts is judged on its own. A gap comes first: a unit of the loop that hosts
    no visit this year (its visiting unit was removed) gets the joining unit's team, and a team
    that visits nobody this year (its host was removed) visits the joining unit; nobody is moved.
    Without a gap, a planned visit ahead is shared out anew (`_take_over`): B visited by A's team
    becomes B visited by the joining unit's team, and the joining unit hosts A's team on a day of
    its own; or, where the only gap on one side is led by the joining unit's own leader, three
    ways, with that gap taking the joining unit's place.

    `existing`: the loop's events; `units`: the organisation by id; visits may start on `first`,
    and an agreement before a visit must fall due after `today`. New visits go to the planner's
    events (the joining unit's own, and those it pays to a gap); returned are the existing events
    that change (a visit shared out anew with its feedback talk and deadlines: new team, title and
    details) and, per loop-year where the unit takes no part or only one, a sentence saying why."""
    fw = planner.fw
    ov = fw.observation_visits
    if ov is None or unit.sector not in ov.sectors:
        return [], []
    cal = planner.cal
    changed: list[Event] = []
    notes: list[str] = []
    live = [e for e in existing if e.status != "cancelled"]
    # The units of the sector taking part in the loop: a live event of theirs not over yet. One
    # removed and restored but not planned back in has only its past ones, and is left alone.
    start_of_today = planner.clock.midnight(today)
    in_loop = {e.unit_id for e in live if e.unit_id and e.end > start_of_today}
    peers = [units[u] for u in sorted(in_loop) if u in units and u != unit.id and units[u].sector == unit.sector]
    years = loop_years(planner.clock, planner.spec.council_date, planner.tl.next_council)

    def open_day(d: dt.date) -> bool:
        due = (cal.add_working_days(d, -ov.agreement_working_days_before, unit.sector)
               if ov.agreement_working_days_before is not None else d)
        return d >= first and due > today

    def colleagues(a, b) -> bool:
        return a.leader.email != b.leader.email  # a visit goes "hos en kollega" [004], never to one's own

    for number, year in enumerate(years, start=1):
        if year[1] < first:
            continue
        visits = [e for e in live if e.kind == OBSERVATION_VISIT and e.number == number and e.sector == unit.sector]
        hosting = {v.unit_id for v in visits}
        visiting = {v.details.get("visitor_unit") for v in visits}
        # Its two parts: hosting a team, and its team visiting another unit.
        unvisited, team_idle = unit.id not in hosting, unit.id not in visiting
        if not (unvisited or team_idle):
            continue  # a restored unit whose visits of the year were never cancelled
        windows = [(w, [d for d in _usable_days(cal, ov, w, year, unit.sector) if open_day(d)])
                   for w in visit_windows(fw, year)]
        window, days = max(windows, key=lambda wd: len(wd[1]), default=(year, []))
        if not days:
            notes.append(f"no observation visit in loop-year {number}: no day of its window is left"
                         + (" that gives the agreement before a visit time" if ov.agreement_working_days_before else ""))
            continue

        def place(host, visitor) -> bool:
            try:
                _place_visit(planner, host, visitor, number, window, days, 0)
            except ValueError:  # PlanningError: no day on which all of them are free
                return False
            return True

        # A gap first: a unit that hosts no visit gets the joining unit's team; a team that
        # visits nobody visits the joining unit.
        if team_idle:
            team_idle = not any(place(host, unit) for host in peers
                                if host.id not in hosting and colleagues(host, unit))
        if unvisited:
            unvisited = not any(place(unit, team) for team in peers
                                if team.id not in visiting and colleagues(team, unit))
        # Without a gap it can fill: a visit ahead, B's from A, gets the joining unit's team (or a
        # team without a host), and A's team visits the joining unit (or a host without a team,
        # one with the joining unit's leader).
        swaps = []
        if unvisited and team_idle:
            swaps = [(unit, unit)]
        elif team_idle:
            swaps = [(unit, host) for host in peers if host.id not in hosting and not colleagues(host, unit)]
        elif unvisited:
            swaps = [(team, unit) for team in peers if team.id not in visiting and not colleagues(team, unit)]
        for new_visitor, new_host in swaps:
            taken = _take_over(planner, visits, live, units, window, days, open_day, new_visitor, new_host)
            if taken:
                changed += taken
                unvisited = team_idle = False
                break
        if unvisited and team_idle:
            notes.append(f"no observation visit in loop-year {number}: no visit ahead could take the unit's team "
                         f"in, and the unit host a team, on days when all of them are free")
        elif unvisited:
            notes.append(f"in loop-year {number} no team visits the unit: no team of the loop is without a visit "
                         f"and free on a day with it")
        elif team_idle:
            notes.append(f"in loop-year {number} the unit's team visits nobody: no unit of the loop is without a "
                         f"visit and free on a day with it")
    return changed, notes


def _take_over(planner, visits: list[Event], live: list[Event], units: dict, window, days: list[dt.date], open_day,
               new_visitor, new_host) -> list[Event]:
    """The latest visit ahead (B's from A, most notice first) that `new_visitor`'s team can take
    over, with A's team visiting `new_host` instead on a free day. The events that change (the
    visit, its feedback talk and deadlines), or [] when no visit allows it."""
    from cycle.planner import event_attendees

    fw, ledger, tz = planner.fw, planner.ledger, planner.clock.tz
    ov = fw.observation_visits
    team = attendees_in_roles(new_visitor, ov.team)
    for visit in sorted((v for v in visits if open_day(v.start.astimezone(tz).date())),
                        key=lambda v: v.start, reverse=True):
        host, visitor = units.get(visit.unit_id), units.get(visit.details.get("visitor_unit"))
        if (host is None or visitor is None or new_visitor.leader.email == host.leader.email
                or visitor.leader.email == new_host.leader.email):
            continue  # a visit goes to a colleague [004: "hos en kollega"], never to one's own
        day = visit.start.astimezone(tz).date()
        hosts = {a.email for a in attendees_in_roles(host, host_roles(fw, OBSERVATION_VISIT))}
        new_hosts = {a.email for a in attendees_in_roles(new_host, host_roles(fw, OBSERVATION_VISIT))}
        moved = {a.email for a in attendees_in_roles(visitor, ov.team)}
        # Nobody hosts and visits at once (a person of two units, say a shared representative).
        if any(ledger.count(a.email, day) for a in team) or hosts & {a.email for a in team} or new_hosts & moved:
            continue
        # The new team is taken on the day it takes over first, so A's new visit lies elsewhere.
        start, end = visit.start.astimezone(tz), visit.end.astimezone(tz)
        ledger.book([a.email for a in team], day, minutes(start.time()), minutes(end.time()), visit.uid)
        try:
            _place_visit(planner, new_host, visitor, visit.number, window, days, 0)
        except ValueError:  # PlanningError: A's team and the new host share no free day
            ledger.unbook([a.email for a in team], day, visit.uid)
            continue
        detail = team_detail(fw, new_visitor)
        out = []
        for e in live:
            if e.uid == visit.uid or e.details.get("visit_uid") == visit.uid:
                details = {**e.details, "visitor_unit": new_visitor.id, "visitor_name": new_visitor.name,
                           "team": detail}
                title = visit_title(fw, host, new_visitor) if e.kind == OBSERVATION_VISIT else e.title
                out.append(replace(e, details=details, title=title,
                                   attendees=event_attendees(fw, host, e.kind, e.number, details)))
        return out
    return []
