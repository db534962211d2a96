"""What the loop costs in meeting hours: the consultation's main worry [003] — the time it takes
leaders, boards, staff and especially chiefs. Hours are read off the planned meetings (learning
talks, one-to-ones, network meetings) and their attendees, never estimated from counts."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from cycle import vocabulary
from cycle.events import NEXT_LAYER_FOLLOWUP, SUPERVISION_MEETING, Event
from cycle.framework import AARHUS_ROLE_LABELS, Framework
from kvalitetsloop.reports.facts import LoopFacts
from kvalitetsloop.reports.model import Report, Section, Table

MEETINGS = ("learning_talk", "one_to_one", "network_meeting", SUPERVISION_MEETING, NEXT_LAYER_FOLLOWUP)
# The roles the report shows on their own; every other role is counted under "others".
ROLES = ("chief", "leader", "board", "employee_rep")
OTHERS = "others"
# How many of each chief's busiest weeks the report names.
BUSIEST_WEEKS = 3


@dataclass
class PersonHours:
    email: str
    name: str
    role: str
    hours: Counter = field(default_factory=Counter)  # meeting kind -> hours
    weeks: Counter = field(default_factory=Counter)  # (ISO year, week) -> hours

    @property
    def total(self) -> float:
        return sum(self.hours.values())


@dataclass
class RoleHours:
    persons: int
    hours: Counter        # meeting kind -> hours, all the role's persons together
    total: float
    most: float           # the most hours one person of the role has


@dataclass
class MeetingCost:
    # (role, email) -> hours: everyone's, or (read from the database) only the chiefs'.
    people: dict[tuple[str, str], PersonHours]
    months: dict[str, Counter]                      # "2027-05" -> role -> hours
    roles: dict[str, RoleHours]                     # role -> its persons' hours together

    def of_role(self, role: str) -> list[PersonHours]:
        return sorted((p for (r, _), p in self.people.items() if r == role), key=lambda p: p.email)

    def role_total(self, role: str) -> float:
        return self.roles[role].total if role in self.roles else 0.0


def meeting_cost(events: Iterable[Event], tz) -> MeetingCost:
    """Hours per person and role (a person in two roles counts in both), and per month and role."""
    people: dict[tuple[str, str], PersonHours] = {}
    months: dict[str, Counter] = defaultdict(Counter)
    for e in events:
        if e.status == "cancelled" or e.kind not in MEETINGS:
            continue
        hours = (e.end - e.start).total_seconds() / 3600
        local = e.start.astimezone(tz)
        week = tuple(local.isocalendar())[:2]
        for a in e.attendees:
            role = a.role if a.role in ROLES else OTHERS
            p = people.setdefault((role, a.email.lower()), PersonHours(a.email.lower(), a.name, role))
            p.hours[e.kind] += hours
            p.weeks[week] += hours
            months[local.strftime("%Y-%m")][role] += hours
    roles: dict[str, RoleHours] = {}
    for (role, _), p in people.items():
        r = roles.setdefault(role, RoleHours(0, Counter(), 0.0, 0.0))
        r.persons += 1
        r.hours.update(p.hours)
        r.total += p.total
        r.most = max(r.most, p.total)
    return MeetingCost(people, dict(sorted(months.items())), roles)


@dataclass
class MeetingCostCache:
    """What the portal keeps between meeting-cost pages: each loop's hours with the fingerprint of
    the plans they were summed from (the newest event change, the loops); kept while it is the same.
    The hours depend on the planned meetings and their attendees only, never on `now`."""
    kept: dict[str, tuple[tuple, MeetingCost]] = field(default_factory=dict)


def stored_meeting_cost(uow, facts: LoopFacts, cache: MeetingCostCache | None = None) -> MeetingCost:
    """`meeting_cost` of a stored loop, summed by the database (inside an open unit of work): each
    role's hours together, the chiefs' one by one with their busiest weeks, which is what the
    report shows of them. With `cache`, summed again only when a plan changed."""
    if cache is None:
        return _summed(uow, facts)
    fingerprint = uow.events.fingerprint()
    kept = cache.kept.get(facts.loop_id)
    if kept is None or kept[0] != fingerprint:
        kept = cache.kept[facts.loop_id] = (fingerprint, _summed(uow, facts))
    return kept[1]


def _summed(uow, facts: LoopFacts) -> MeetingCost:
    first, last = uow.reports.span_of(facts.loop_id, MEETINGS)
    if first is None:
        return MeetingCost({}, {}, {})
    first, last = first.astimezone(facts.tz).date(), last.astimezone(facts.tz).date()
    monday = first - dt.timedelta(days=first.weekday())
    mondays = [monday + dt.timedelta(days=7 * n) for n in range((last - monday).days // 7 + 2)]
    firsts = [first.replace(day=1)]
    while firsts[-1] <= last:
        m = firsts[-1]
        firsts.append(m.replace(year=m.year + m.month // 12, month=m.month % 12 + 1))
    people: dict[tuple[str, str], PersonHours] = {}
    months: dict[str, Counter] = defaultdict(Counter)
    roles: dict[str, RoleHours] = {}
    hours = lambda seconds: float(seconds or 0) / 3600  # noqa: E731
    for r in uow.reports.meeting_hours(facts.loop_id, MEETINGS, ROLES, OTHERS,
                                       [facts.local_midnight(d) for d in firsts],
                                       [facts.local_midnight(d) for d in mondays], "chief", BUSIEST_WEEKS):
        if r.part in ("kind", "role"):
            role = roles.setdefault(r.role, RoleHours(0, Counter(), 0.0, 0.0))
            if r.part == "kind":
                role.hours[r.kind] += hours(r.seconds)
            else:
                role.persons, role.total, role.most = r.persons, hours(r.seconds), hours(r.most)
        elif r.part in ("person", "week"):
            p = people.setdefault((r.role, r.email), PersonHours(r.email, "", r.role))
            if r.part == "person":
                p.name = p.name or r.name or ""
                p.hours[r.kind] += hours(r.seconds)
            else:
                p.weeks[tuple(mondays[r.span].isocalendar())[:2]] += hours(r.seconds)
        else:
            months[firsts[r.span].strftime("%Y-%m")][r.role] += hours(r.seconds)
    return MeetingCost(people, dict(sorted(months.items())), roles)


def role_label(fw: Framework, role: str) -> str:
    if role == OTHERS:
        return "øvrige deltagere"
    return {**AARHUS_ROLE_LABELS, **fw.role_labels}.get(role, role)


def _h(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _busiest(p: PersonHours, count: int = BUSIEST_WEEKS) -> str:
    top = sorted(p.weeks.items(), key=lambda kv: (-kv[1], kv[0]))[:count]
    return "; ".join(f"uge {w:02d} {y}: {_h(h)} t" for (y, w), h in top)


def cost_sections(cost: MeetingCost, fw: Framework, words: dict) -> list[Section]:
    labels = [f"{vocabulary.cap(vocabulary.plural(words['talk']))} (t)", "1:1 (t)", "Netværksmøder (t)",
              "Opfølgningsmøder om tilsyn (t)", "Opfølgning med næste ledelseslag (t)"]
    # The follow-ups with the next leadership layer get a column only where the framework plans them [003].
    shown = [k for k in MEETINGS if k != NEXT_LAYER_FOLLOWUP or fw.next_layer_followups.enabled]
    kind_cols = [label for k, label in zip(MEETINGS, labels) if k in shown]
    roles = [r for r in (*ROLES, OTHERS) if r in cost.roles]
    per_role = []
    for r in roles:
        h = cost.roles[r]
        per_role.append([role_label(fw, r), h.persons, *(_h(h.hours[k]) for k in shown), _h(h.total),
                         _h(h.total / h.persons), _h(h.most)])
    chiefs = [[p.name or p.email, p.email, *(_h(p.hours[k]) for k in shown), _h(p.total), _busiest(p)]
              for p in sorted(cost.of_role("chief"), key=lambda p: (-p.total, p.email))]
    months = [[m, *(_h(c[r]) for r in roles), _h(sum(c.values()))] for m, c in cost.months.items()]
    return [
        Section("Timer pr. rolle over hele loopet", Table(
            ["Rolle", "Personer", *kind_cols, "Timer i alt", "Timer pr. person (gns.)", "Flest timer for én person"],
            per_role)),
        Section("Timer pr. chef", Table(["Chef", "E-mail", *kind_cols, "Timer i alt", "Travleste uger"], chiefs)),
        Section("Timer pr. måned", Table(["Måned", *(role_label(fw, r) for r in roles), "I alt"], months)),
    ]


def cost_report(uow, facts: LoopFacts, made_at: dt.datetime, cache: MeetingCostCache | None = None) -> Report:
    """Meeting hours per role, per chief (with their busiest weeks) and per month; inside an open
    unit of work."""
    cost = stored_meeting_cost(uow, facts, cache)
    report = Report("meeting-cost", f"Mødetid i loopet {facts.loop_id}", facts.fw.municipality, facts.loop_id,
                    facts.area, facts.council_date, f"{facts.fw.name} {facts.fw.version}", made_at,
                    intro=(f"Timer i de planlagte møder ({vocabulary.plural(facts.words['talk'])}, 1:1 ledelsesopfølgninger, "
                           "netværksmøder og opfølgningsmøder om tilsyn) pr. deltager, som planen ser ud nu. Aflyste "
                           "møder tæller ikke."))
    report.sections.extend(cost_sections(cost, facts.fw, facts.words))
    return report
