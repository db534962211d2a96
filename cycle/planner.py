"""The two-year plan: every meeting and deadline of a loop for every unit of an area (SPEC 3).

`plan_loop` is pure: organisation, framework, working calendar, area and council date in; events
out, or a PlanningError that names who is over capacity, where and by how much. It never returns a
plan that breaks a rule. The same inputs give the same plan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pendulum

from cycle import kinds, observations, vocabulary
from cycle.booking import Ledger, minutes
from cycle.events import NEXT_LAYER_FOLLOWUP, SUPERVISION_MEETING, Attendee, Event, attendees_in_roles, make_uid
from cycle.framework import Framework
from cycle.organisation import Organisation, Unit
from cycle.workcalendar import WorkCalendar

class PlanningError(ValueError):
    """The constraints cannot all be met; the message says who, where and by how much."""


@dataclass(frozen=True)
class LoopSpec:
    loop_id: str
    area: str
    # The council meeting that starts the loop [000]; for a framework without a council
    # (Framework.has_council false, Albertslund [004]) the loop's start date.
    council_date: dt.date
    themes: tuple[str, ...] = ()


@dataclass
class Window:
    start: dt.date
    end: dt.date
    name: str = ""

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass
class Plan:
    spec: LoopSpec
    events: list[Event] = field(default_factory=list)


def parity_problem(framework: Framework, area: str, council_date: dt.date) -> str | None:
    """Why the council date does not fit the area's council year [000, 003]; None if it does."""
    rule = framework.areas.get(area)
    if rule is None:
        return f"the framework '{framework.name}' has no area '{area}' (it has {', '.join(framework.areas)})"
    odd = council_date.year % 2 == 1
    if rule.council_year_parity == "odd" and not odd:
        return f"the council discusses the {area} area in odd years, and {council_date.year} is even"
    if rule.council_year_parity == "even" and odd:
        return f"the council discusses the {area} area in even years, and {council_date.year} is odd"
    return None


class _Clock:
    """Local wall-clock arithmetic in the framework's time zone, with pendulum doing the dates."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self.tzname = tz

    def at(self, day: dt.date, minute_of_day: int) -> dt.datetime:
        # Meetings lie inside working hours, far from the 02:00-03:00 daylight-saving jumps, so a
        # local wall-clock time is never ambiguous; zoneinfo gives it its offset.
        return dt.datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60, tzinfo=self.tz)

    def midnight(self, day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)

    @staticmethod
    def add_weeks(day: dt.date, weeks: int) -> dt.date:
        p = pendulum.date(day.year, day.month, day.day).add(weeks=weeks)
        return dt.date(p.year, p.month, p.day)

    @staticmethod
    def add_years(day: dt.date, years: int) -> dt.date:
        p = pendulum.date(day.year, day.month, day.day).add(years=years)
        return dt.date(p.year, p.month, p.day)


class LoopTimeline:
    """The loop's fixed dates and windows for one framework, area and council date."""

    def __init__(self, framework: Framework, calendar: WorkCalendar, council_date: dt.date):
        self.fw = framework
        self.cal = calendar
        self.council = council_date
        self.clock = _Clock(framework.timezone)
        # The next loop's start: its council, or (a framework without a council) its start date.
        self.next_council = self.clock.add_years(council_date, 2)
        self.report_back_due: dt.date | None = None
        if framework.report_back is not None:
            first_network_next = self.clock.add_weeks(self.next_council,
                                                      -framework.network_meetings.weeks_before_council[0])
            self.report_back_due = calendar.on_or_before_working_day(
                self.clock.add_weeks(first_network_next, -framework.report_back.weeks_before_next_network_meeting))
        self._windows: dict[str, list[Window]] = {}

    @property
    def first_day(self) -> dt.date:
        """The loop's first day: its first network meeting's target, or its council or start date."""
        before = self.fw.network_meetings.weeks_before_council
        return self.clock.add_weeks(self.council, -before[0]) if before else self.council

    def report_back_of(self, sector: str) -> dt.date | None:
        """A unit's report-back day: the loop's, or the working day of the unit's calendar before it."""
        if self.report_back_due is None:
            return None
        return self.cal.on_or_before_working_day(self.report_back_due, sector)

    def last_talk_day(self, sector: str) -> dt.date:
        """Talks end this many days before the unit's report-back, so the last talk can feed it;
        without a report-back, before the next loop starts."""
        if self.fw.report_back is None:
            return self.cal.on_or_before_working_day(self.next_council - dt.timedelta(days=1), sector)
        return self.report_back_of(sector) - dt.timedelta(days=self.fw.report_back.last_talk_days_before_due)

    def talk_windows(self, sector: str) -> list[Window]:
        """Window per talk number (index 0 = talk 1) for a sector."""
        if sector in self._windows:
            return self._windows[sector]
        t = self.fw.talks
        first = Window(self.clock.add_weeks(self.council, t.first_window.start_weeks_after_council),
                       self.clock.add_weeks(self.council, t.first_window.end_weeks_after_council),
                       "umiddelbart efter byrådet" if self.fw.has_council else "efter loopets start")
        if t.first_window.extend_over_summer:
            for year in {first.start.year, first.end.year}:
                summer = self.cal.summer_holiday(sector, year)
                if summer and summer.start <= first.end and summer.end >= first.start:
                    # A window that meets the summer holiday continues after it (SPEC 3).
                    first.end = first.end + (summer.end - summer.start) + dt.timedelta(days=1)
        windows = [first]
        # Fixed windows in weeks from the start (Albertslund's evaluation at the end of the loop [004]).
        windows += [Window(self.clock.add_weeks(self.council, w.start_weeks_after_start),
                           self.clock.add_weeks(self.council, w.end_weeks_after_start), w.name)
                    for w in t.later_weeks]
        seasons = sorted(((s.in_year(y), s.name) for y in range(self.council.year, self.council.year + 4)
                          for s in t.later_windows), key=lambda x: x[0])
        for _ in range(len(windows), t.count):
            prev = windows[-1]
            # The next season that the previous window has not used up: a talk-1 window that
            # continued after the summer takes the start of the autumn, and talk 2 the rest of it.
            nxt = next((Window(max(a, prev.end + dt.timedelta(days=1)), b, name) for (a, b), name in seasons
                        if (b - max(a, prev.end + dt.timedelta(days=1))) * 2 >= (b - a)), None)
            if nxt is None:
                raise PlanningError("the framework's later talk windows do not reach far enough to place every talk")
            windows.append(nxt)
        for i, w in enumerate(windows):
            w.end = min(w.end, self.last_talk_day(sector))
            if w.end < w.start:
                why = (f"before the report-back is due on {self.report_back_of(sector).isoformat()}"
                       if self.fw.report_back is not None else
                       f"before the next loop starts on {self.next_council.isoformat()}")
                raise PlanningError(
                    f"talk {i + 1} has no room: its window starts {w.start.isoformat()} but every talk must be held "
                    f"by {self.last_talk_day(sector).isoformat()}, {why}")
        self._windows[sector] = windows
        return windows


def board_choice(fw: Framework, unit: Unit, number: int, recorded: str | None = None) -> str | None:
    """How the board takes part in talk `number` when it chooses [000: "enten i form af en
    udtalelse eller ved deltagelse"]: its recorded choice, else the framework's default; None for
    a talk without that choice and for a self-owned daycare, whose board holds the talks [000]."""
    if number not in fw.board_statements.talks or unit.self_owned:
        return None
    return recorded or fw.board_statements.default_choice


def talk_roles(fw: Framework, unit: Unit, number: int, details: dict | None = None) -> list[str]:
    """The roles of a unit's talk. `details` are the talk's recorded facts: the board's choice
    ("board_choice") and the roles it holds for the loop-year ("yearly_roles")."""
    details = details or {}
    roles = fw.participants_for(unit.sector, number)
    if unit.self_owned and fw.talks.self_owned_host not in roles:
        # In self-owned daycares the board holds every talk [000, 003].
        roles = [fw.talks.self_owned_host, *roles]
    if board_choice(fw, unit, number, details.get("board_choice")) == "attendance" and "board" not in roles:
        roles = [*roles, "board"]
    roles += [r for r in details.get("yearly_roles", ()) if r not in roles]
    return roles


def event_roles(fw: Framework, unit: Unit, kind: str, number: int | None = None,
                details: dict | None = None) -> list[str]:
    """Who a unit's event of this kind is for: the one place that says it, for a new plan and for
    a re-import that changes the people of a running loop (a talk's `details` say what was
    recorded for it)."""
    if kind == "learning_talk":
        return talk_roles(fw, unit, number or 1, details)
    if kind == "one_to_one":
        return list(fw.one_to_ones.attendees) if fw.one_to_ones else []
    if kind == NEXT_LAYER_FOLLOWUP:
        # The leader and the next leadership layer [003] (cycle.layer_followups).
        return ["leader", *fw.next_layer_followups.layer.get(unit.sector, [])]
    if kind == SUPERVISION_MEETING:
        return list(SUPERVISION_MEETING_ROLES)
    if kind in observations.KINDS:
        return observations.host_roles(fw, kind)
    deadline = kinds.deadline_for_event_kind(kind)
    return deadline.attendees(fw) if deadline is not None else []


def event_attendees(fw: Framework, unit: Unit, kind: str, number: int | None = None,
                    details: dict | None = None) -> tuple[Attendee, ...]:
    """The people of a unit's event; a meeting's ad hoc guests ("guests" in its details) too
    [000 table: "Ad hoc deltagere alt efter lokalt fokusområde"]."""
    people = attendees_in_roles(unit, event_roles(fw, unit, kind, number, details))
    # An observation visit's team comes from another unit: the people recorded with it.
    people += tuple(Attendee(t["email"], t["role"], t.get("name", "")) for t in (details or {}).get("team", ())
                    if t["email"] not in {a.email for a in people})
    known = {a.email for a in people}
    guests = tuple(Attendee(g["email"], "guest", g.get("name", "")) for g in (details or {}).get("guests", ())
                   if g["email"] not in known)
    return people + guests


# "afholder Børn- og Unge-chefen møde med bestyrelsen i det selvejende dagtilbud" [000]: the chief
# and the board. The seeds do not name the daycare's leader, so the leader is not invited (the
# chief may add them as an ad hoc participant, `event attend`).
SUPERVISION_MEETING_ROLES = ("chief", "board")


def supervision_meeting(fw: Framework, loop_id: str, unit: Unit, report: Event, start: dt.datetime,
                        part: str = "") -> Event:
    """The chief's follow-up meeting with a self-owned daycare's board about its supervision report
    `report` (a `supervision_report_due` event), from `start` for the framework's duration. The
    chief holds it [000]. `part` tells apart a meeting planned again after one was cancelled."""
    utc = dt.timezone.utc
    end = (start.astimezone(utc) + dt.timedelta(minutes=fw.durations.supervision_meeting)).astimezone(start.tzinfo)
    return Event(uid=make_uid(loop_id, SUPERVISION_MEETING, unit.id, report.number, part), kind=SUPERVISION_MEETING,
                 start=start, end=end, title=f"Opfølgningsmøde om tilsyn – {unit.name}", unit_id=unit.id,
                 number=report.number, attendees=event_attendees(fw, unit, SUPERVISION_MEETING), host_role="chief",
                 sector=unit.sector, details={"supervision_report_uid": report.uid})


def talk_title(fw: Framework, unit: Unit, number: int) -> str:
    label = fw.talks.labels.get(number)
    if label:
        return f"{label}: {unit.name}"
    return f"{fw.talk_label} {number} af {fw.talks.count}: {unit.name}"


def deadline_title(fw: Framework, deadline: kinds.DeadlineKind, unit: Unit, number: int | None, **fields) -> str:
    """The title of a unit's deadline event, in the framework's words (the registry's title)."""
    return deadline.words.title.format(**vocabulary.words(fw), n=number, unit=unit.name, **fields)


def talk_dependents(fw: Framework, tl: LoopTimeline, spec: LoopSpec, unit: Unit, talk: Event) -> list[Event]:
    """The deadlines that hang off one learning talk; recomputed when the talk moves."""
    cal, clock, n = tl.cal, tl.clock, talk.number or 0
    day = talk.start.astimezone(clock.tz).date()
    out: list[Event] = []

    def deadline(kind: str, due: dt.date, title: str, **details) -> Event:
        return Event(
            uid=make_uid(spec.loop_id, kind, unit.id, n), kind=kind, unit_id=unit.id, number=n, all_day=True,
            start=clock.midnight(due), end=clock.midnight(due + dt.timedelta(days=1)), title=title,
            attendees=event_attendees(fw, unit, kind, n), parent_uid=talk.uid, sector=unit.sector, details=details)

    dp = fw.data_packages
    # Deadlines fall on the unit's own working days (not in its school holidays or closing days);
    # the trigger counts the data team's working days.
    sector = unit.sector
    if dp is not None:  # a framework without data packages (Albertslund [004]) has none
        available = cal.add_working_days(day, -dp.available_working_days_before_talk, sector)
        trigger = cal.add_working_days(available, -dp.trigger_working_days_before_available)
        package = kinds.DATA_PACKAGE
        out.append(deadline(package.event_kind, available, deadline_title(fw, package, unit, n),
                            trigger_date=trigger.isoformat(), tailored=unit.special_needs, talk_date=day.isoformat()))
    bs = fw.board_statements
    # A statement only where the board chose to write one (not attend), and never for a
    # self-owned daycare's board, which holds the talk itself [000].
    if board_choice(fw, unit, n, talk.details.get("board_choice")) == "statement":
        due = cal.add_working_days(day, -bs.due_working_days_before_talk, sector)
        out.append(deadline(kinds.BOARD_STATEMENT.event_kind, due, deadline_title(fw, kinds.BOARD_STATEMENT, unit, n),
                            talk_date=day.isoformat()))
    yi = fw.youth_input
    if yi and unit.sector in yi.sectors and n in yi.talks:
        due = cal.add_working_days(day, -yi.due_working_days_before_talk, sector)
        body = vocabulary.youth_body(unit.sector)
        out.append(deadline(kinds.YOUTH_INPUT.event_kind, due, deadline_title(fw, kinds.YOUTH_INPUT, unit, n, body=body),
                            body=body, talk_date=day.isoformat()))
    ff = fw.followup_form
    due = cal.add_working_days(day, ff.due_working_days_after_talk, sector)
    what = ff.subjects.get(n, ff.subject)
    back = {}
    if ff.to_board_working_days_after_due is not None:
        # The talk's outcome goes back to the board [000: "tilbageløb fra læringsamtaler"]: whom
        # the recorded form is sent to, and by when (the portal sends it once forms are recorded).
        back = {"to_board": sorted(p.email for p in unit.role("board")),
                "to_board_by": cal.add_working_days(due, ff.to_board_working_days_after_due, sector).isoformat()}
    out.append(deadline(kinds.FOLLOWUP_FORM.event_kind, due, deadline_title(fw, kinds.FOLLOWUP_FORM, unit, n, what=what),
                        talk_date=day.isoformat(), **back))
    return out


class _Planner:
    def __init__(self, org: Organisation, fw: Framework, cal: WorkCalendar, spec: LoopSpec):
        self.fw, self.cal, self.spec = fw, cal, spec
        self.tl = LoopTimeline(fw, cal, spec.council_date)
        self.clock = self.tl.clock
        self.ledger = Ledger(fw)
        self.units = org.in_sectors(fw.areas[spec.area].sectors)
        self.events: list[Event] = []
        wh = fw.working_hours
        self.day_start, self.day_end = minutes(wh.start), minutes(wh.end)
        self.talks: dict[tuple[str, int], Event] = {}
        # One-to-ones a unit already held (one removed and restored, cycle.joining): the new ones
        # are numbered on from them.
        self.one_to_ones_held: dict[str, int] = {}
        self._by_id = {u.id: u for u in self.units}

    def book_existing(self, events) -> None:
        tz = self.clock.tz
        for e in events:
            if e.is_meeting and e.status != "cancelled":
                s, t = e.start.astimezone(tz), e.end.astimezone(tz)
                self.ledger.book([a.email for a in e.attendees], s.date(), minutes(s.time()), minutes(t.time()), e.uid)

    # -- slots -----------------------------------------------------------------------------
    def _starts(self, duration: int):
        return range(self.day_start, self.day_end - duration + 1, self.fw.slot_minutes)

    def _slot(self, emails, day: dt.date, duration: int) -> int | None:
        for start in self._starts(duration):
            if self.ledger.is_free(emails, day, start, start + duration):
                return start
        return None

    def _meeting(self, kind, unit: Unit | None, number, day, start, duration, title, attendees, part="", **extra) -> Event:
        uid = make_uid(self.spec.loop_id, kind, unit.id if unit else None, number, part)
        self.ledger.book([a.email for a in attendees], day, start, start + duration, uid)
        ev = Event(uid=uid, kind=kind, unit_id=unit.id if unit else None, number=number,
                   start=self.clock.at(day, start), end=self.clock.at(day, start + duration), title=title,
                   attendees=attendees, sector=unit.sector if unit else extra.pop("sector", None), **extra)
        self.events.append(ev)
        return ev

    def _daily_capacity(self, duration: int) -> int:
        """How many meetings of this length one person can hold in a day, given buffer and limit."""
        fits = (self.day_end - self.day_start + self.fw.buffer_minutes) // (duration + self.fw.buffer_minutes)
        return min(fits, self.fw.max_meetings_per_person_per_day)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> list[Event]:
        if not self.units:
            raise PlanningError(f"the organisation has no units in the {self.spec.area} area "
                                f"(sectors {', '.join(self.fw.areas[self.spec.area].sectors)})")
        self._check_holiday_calendars()
        self._council()
        self._networks()
        self._check_talk_capacity()
        for n in range(1, self.fw.talks.count + 1):
            self._talks(n)
        self._yearly_participants()
        self._one_to_ones()
        # Imported here: the optional element's module builds on this one.
        from cycle.layer_followups import plan_next_layer_followups

        plan_next_layer_followups(self)
        observations.plan_visits(self)
        self._deadlines()
        return sorted(self.events, key=lambda e: (e.start, e.kind, e.unit_id or "", e.number or 0, e.uid))

    def _check_holiday_calendars(self) -> None:
        """A sector without its school holidays would get meetings in them: refuse instead."""
        first_day = self.tl.first_day
        named: dict[str, str] = {}
        for sector in self.fw.areas[self.spec.area].sectors:
            if self.cal.calendar_name(sector):
                named.setdefault(self.cal.calendar_name(sector), sector)
        # The summer every sector avoids may come from another sector's calendar (the schools').
        if self.cal.summer_calendar():
            named.setdefault(self.cal.summer_calendar(), "the summer holiday")
        for name, what in named.items():
            since, until = self.cal.coverage(name) or (None, None)
            if until is None or since is None:
                raise PlanningError(f"the framework names the holiday calendar '{name}' for {what}, but no calendar of "
                                    f"that name is shipped in frameworks/holidays or imported")
            if since > first_day or until < self.tl.next_council:
                raise PlanningError(
                    f"the holiday calendar '{name}' covers {since.isoformat()} to {until.isoformat()}, but the loop runs from "
                    f"{first_day.isoformat()} until {self.tl.next_council.isoformat()}: the missing school "
                    f"holidays and closing days must be imported first")

    def _council(self) -> None:
        if not self.fw.has_council:
            return  # the loop starts on a start date, not at a council meeting (Albertslund [004])
        b = self.fw.bodies  # the municipality's own words for council and report
        reason = self.cal.closed_reason(self.spec.council_date)
        if reason:
            raise PlanningError(f"the council date {self.spec.council_date.isoformat()} is not a working day ({reason}); "
                                f"give the date of the council meeting that discusses the quality report")
        cm = self.fw.council_meeting
        s = minutes(cm.start)
        day = self.spec.council_date
        self.events.append(Event(
            uid=make_uid(self.spec.loop_id, "council_meeting", None, None), kind="council_meeting",
            start=self.clock.at(day, s), end=self.clock.at(day, s + cm.duration_minutes),
            title=f"{b.council[0].upper()}{b.council[1:]}s drøftelse af {b.report} ({self.spec.area} år)",
            details={"themes": list(self.spec.themes)}))

    def _network_groups(self) -> list[tuple[str, str, list[Unit]]]:
        nm = self.fw.network_meetings
        if nm.grouping == "sector":
            return [(s, f"Fagligt ledernetværk, {vocabulary.sector_label(s)}", [u for u in self.units if u.sector == s])
                    for s in self.fw.areas[self.spec.area].sectors if any(u.sector == s for u in self.units)]
        groups: list[list[Unit]] = [[] for _ in range(nm.groups)]
        # Fixed groups: contiguous parts of the leaders in the order of their first unit, each unit
        # with its leader's group, so a leader of several daycares sits in exactly one network
        # [004: "Gruppen af dagtilbudsledere er delt i tre mindre grupper"].
        leaders = list(dict.fromkeys(u.leader.email for u in self.units))
        group_of = {email: i * nm.groups // len(leaders) for i, email in enumerate(leaders)}
        for u in self.units:
            groups[group_of[u.leader.email]].append(u)
        return [(f"gruppe-{i + 1}", f"Ledernetværk, gruppe {i + 1}", g) for i, g in enumerate(groups) if g]

    def _networks(self) -> None:
        nm, dur = self.fw.network_meetings, self.fw.durations.network_meeting
        # Weeks before the council [000], or after the start of a loop without one [004].
        offsets = [-w for w in nm.weeks_before_council] or nm.weeks_after_start
        total = len(offsets)
        # Theme meetings choose the council's themes [000]; without a council they are network meetings.
        meeting = "temamøde" if self.fw.has_council else "netværksmøde"
        for key, label, units in self._network_groups():
            att = network_attendees(self.fw, units)
            emails = [a.email for a in att]
            sectors = sorted({u.sector for u in units})
            for i, weeks in enumerate(offsets, start=1):
                target = network_target(self.cal, sectors, self.clock.add_weeks(self.spec.council_date, weeks))
                placed = False
                for offset in _nearest(nm.search_days):
                    day = target + dt.timedelta(days=offset)
                    if not self.cal.is_working_day_for_all(day, sectors):
                        continue
                    start = self._slot(emails, day, dur)
                    if start is not None:
                        self._meeting("network_meeting", None, i, day, start, dur,
                                      f"{label}: {meeting} {i} af {total} om {self.fw.bodies.report}", att,
                                      part=key, sector=sectors[0] if len(sectors) == 1 else None,
                                      details={"group": key, "units": [u.id for u in units]})
                        placed = True
                        break
                if not placed:
                    raise PlanningError(
                        f"no working day within {nm.search_days} days of {target.isoformat()} has room for "
                        f"{label} ({len(emails)} people): move the {'council' if self.fw.has_council else 'start'} "
                        f"date or widen network_meetings.search_days")

    def _check_talk_capacity(self) -> None:
        """Refuse early, naming the person, when a talk window cannot hold all their talks."""
        per_day = self._daily_capacity(self.fw.durations.learning_talk)
        for n in range(1, self.fw.talks.count + 1):
            demand: dict[str, list[Unit]] = defaultdict(list)
            for u in self.units:
                for a in event_attendees(self.fw, u, "learning_talk", n):
                    demand[a.email].append(u)
            for email, units in sorted(demand.items()):
                if len(units) < 2:
                    continue
                days: set[dt.date] = set()
                for sector in {u.sector for u in units}:
                    w = self.tl.talk_windows(sector)[n - 1]
                    days.update(self.cal.working_days(w.start, w.end, sector))
                capacity = len(days) * per_day
                if len(units) > capacity:
                    w = self.tl.talk_windows(units[0].sector)[n - 1]
                    raise PlanningError(
                        f"{email} must attend learning talk {n} of {len(units)} units between {w.start.isoformat()} "
                        f"and {w.end.isoformat()}, but that window has room for {capacity} ({len(days)} working "
                        f"day{'s' if len(days) != 1 else ''}, {per_day} talk{'s' if per_day != 1 else ''} a day): "
                        f"{len(units) - capacity} over capacity")

    def _one_to_one_bounds(self, u: Unit, n: int) -> tuple[dt.date | None, dt.date | None]:
        """The earliest and latest day talk n of a unit may take, so that every gap around it still
        holds its one-to-ones at the required distance from the talks [000: three between each pair]."""
        oo = self.fw.one_to_ones
        if oo is None:
            return None, None
        margin = dt.timedelta(days=oo.min_days_from_talk)
        earliest = latest = None
        if oo.per_gap and n > 1 and (u.id, n - 1) in self.talks:  # a unit joining late has no earlier talk
            prev = self.talks[(u.id, n - 1)].start.astimezone(self.clock.tz).date()
            first = self.cal.on_or_after_working_day(prev + margin, u.sector)
            earliest = self.cal.add_working_days(first, oo.per_gap - 1, u.sector) + margin
        if oo.per_gap and oo.after_last_talk and n == self.fw.talks.count:
            last = self.cal.on_or_before_working_day(self.tl.next_council - margin, u.sector)
            latest = self.cal.add_working_days(last, -(oo.per_gap - 1), u.sector) - margin
        return earliest, latest

    def _talks(self, n: int) -> None:
        dur = self.fw.durations.learning_talk
        # Spread each chief's talks evenly over the window so no week is crowded.
        by_chief: dict[str, list[Unit]] = defaultdict(list)
        for u in self.units:
            by_chief[u.chief.email].append(u)
        for chief in sorted(by_chief):
            units = by_chief[chief]
            for i, u in enumerate(units):
                w = self.tl.talk_windows(u.sector)[n - 1]
                days = self.cal.working_days(w.start, w.end, u.sector)
                earliest, latest = self._one_to_one_bounds(u, n)
                days = [d for d in days if (earliest is None or d >= earliest) and (latest is None or d <= latest)]
                if not days and self.fw.one_to_ones is None:
                    raise PlanningError(f"learning talk {n} of {u.id} ({u.name}) has no working day in its window {w}")
                if not days:
                    raise PlanningError(
                        f"learning talk {n} of {u.id} ({u.name}) has no day in its window {w} that leaves room for "
                        f"{self.fw.one_to_ones.per_gap} one-to-ones of {u.chief.email} and {u.leader.email} at least "
                        f"{self.fw.one_to_ones.min_days_from_talk} days from the talks: 1 talk over capacity")
                first = (i * len(days)) // len(units)
                att = event_attendees(self.fw, u, "learning_talk", n)
                emails = [a.email for a in att]
                for day in days[first:] + days[:first]:
                    start = self._slot(emails, day, dur)
                    if start is not None:
                        host = self.fw.talks.self_owned_host if u.self_owned else "chief"
                        ev = self._meeting("learning_talk", u, n, day, start, dur, talk_title(self.fw, u, n), att,
                                           host_role=host,
                                           details={"window": w.name, "window_start": w.start.isoformat(),
                                                    "window_end": w.end.isoformat()})
                        self.talks[(u.id, n)] = ev
                        break
                else:
                    busiest = max(emails, key=lambda e: sum(self.ledger.count(e, d) for d in days))
                    raise PlanningError(
                        f"learning talk {n} of {u.id} ({u.name}) finds no free slot between {w.start.isoformat()} and "
                        f"{w.end.isoformat()}: {busiest} has no room left in that window (at least 1 talk over capacity)")

    def _yearly_participants(self) -> None:
        """Roles that take part in a number of talks each loop-year rather than in fixed talks:
        the first talks of each year that they are free for [003: "Dvs. 1 årlig
        læringssamtale" for the FU youth representative]."""
        anniversary = self.clock.add_years(self.spec.council_date, 1)
        tz = self.clock.tz
        for u in self.units:
            for p in self.fw.yearly_participants(u.sector):
                people = [person.email for person in u.role(p.role)]
                if not people:
                    continue
                talks = sorted((t for (uid, _), t in self.talks.items() if uid == u.id), key=lambda t: t.start)
                for first_year in (True, False):
                    left = p.per_loop_year
                    for talk in talks:
                        s, e = talk.start.astimezone(tz), talk.end.astimezone(tz)
                        if left == 0 or (s.date() < anniversary) != first_year:
                            continue
                        if not self.ledger.is_free(people, s.date(), minutes(s.time()), minutes(e.time())):
                            continue
                        self.ledger.book(people, s.date(), minutes(s.time()), minutes(e.time()), talk.uid)
                        details = {**talk.details, "yearly_roles": [*talk.details.get("yearly_roles", []), p.role]}
                        new = talk.with_changes(details=details, attendees=event_attendees(
                            self.fw, u, "learning_talk", talk.number, details))
                        self.events[self.events.index(talk)] = new
                        self.talks[(u.id, talk.number)] = new
                        talks[talks.index(talk)] = new
                        left -= 1

    def _one_to_ones(self) -> None:
        oo = self.fw.one_to_ones
        if oo is None or (oo.per_gap == 0 and not oo.per_year):
            return
        dur, count = self.fw.durations.one_to_one, self.fw.talks.count
        margin = dt.timedelta(days=oo.min_days_from_talk)
        # The loop-years: council date to its anniversary, and on to the next council [000: "seks
        # 1:1 ledelsesopfølgninger om året"; 003: "minimum 6 årlige"].
        anniversary = self.clock.add_years(self.spec.council_date, 1)
        for u in self.units:
            # Every talk, or those a unit joining a running loop still has (cycle.joining).
            numbers = [n for n in range(1, count + 1) if (u.id, n) in self.talks]
            talk_days = [self.talks[(u.id, n)].start.astimezone(self.clock.tz).date() for n in numbers]
            gaps = [(talk_days[k] + margin, talk_days[k + 1] - margin, numbers[k]) for k in range(len(numbers) - 1)]
            if oo.after_last_talk and numbers[-1] == count:
                gaps.append((talk_days[-1] + margin, self.tl.next_council - margin, count))
            att = event_attendees(self.fw, u, "one_to_one")
            emails = [a.email for a in att]
            parts = []  # (first day, last day, after talk, working days, how many)
            for a, b, after_talk in gaps:
                days = self.cal.working_days(a, b, u.sector)
                if len(days) < oo.per_gap:
                    raise PlanningError(
                        f"{u.chief.email} and {u.leader.email} need {oo.per_gap} one-to-ones for {u.id} ({u.name}) "
                        f"between {a.isoformat()} and {b.isoformat()} but that gap has {len(days)} working days: "
                        f"{oo.per_gap - len(days)} over capacity")
                parts.append((a, b, after_talk, days))
            number = self.one_to_ones_held.get(u.id, 0)
            for a, b, after_talk, days, n in self._per_year(u, parts, anniversary):
                last_idx = -1
                for j in range(n):
                    number += 1
                    # Evenly spread: the j-th meeting aims at the middle of the j-th part of the gap; each
                    # comes on a later day than the one before and leaves days for those after it.
                    top = len(days) - (n - j)
                    target = min(top, max(last_idx + 1, math.floor((j + 0.5) * len(days) / n)))
                    for idx in _nearest_index(target, len(days)):
                        if idx <= last_idx or idx > top:
                            continue
                        day = days[idx]
                        start = self._slot(emails, day, dur)
                        if start is not None:
                            self._meeting("one_to_one", u, number, day, start, dur,
                                          f"1:1 ledelsesopfølgning {number}: {u.name}", att, host_role="chief",
                                          details={"after_talk": after_talk})
                            last_idx = idx
                            break
                    else:
                        raise PlanningError(
                            f"one-to-one {number} of {u.id} ({u.name}) finds no free slot between {a.isoformat()} and "
                            f"{b.isoformat()}: {u.chief.email} and {u.leader.email} have no common free time left (1 over capacity)")

    def _per_year(self, u: Unit, parts, anniversary: dt.date):
        """How many one-to-ones each gap holds, and on which of its days: per_gap in each gap [000:
        "tre opfølgninger mellem hver læringssamtale"], split at the loop's anniversary so that each
        loop-year holds at least per_year [000: "seks ... om året"]; a year that the gaps cannot
        fill gets the missing ones in its longest stretch ("minimum 6" [003])."""
        oo = self.fw.one_to_ones
        # Each gap in its year-1 and year-2 stretches.
        halves = []
        for a, b, after_talk, days in parts:
            y1 = [d for d in days if d < anniversary]
            y2 = [d for d in days if d >= anniversary]
            halves.append([after_talk, y1, y2, 0, 0])
        if not oo.per_year:
            # No yearly minimum: per_gap spread over the whole gap.
            return [(a, b, t, days, oo.per_gap) for a, b, t, days in parts]
        fixed1 = sum(oo.per_gap for h in halves if not h[2])
        need1 = max(0, oo.per_year - fixed1)
        for h in halves:
            if h[1] and h[2]:  # a gap across the anniversary: year 1 takes what it still needs
                h[3] = min(oo.per_gap, need1, len(h[1]))
                h[4] = oo.per_gap - h[3]
                need1 -= h[3]
            elif h[1]:
                h[3] = oo.per_gap
            else:
                h[4] = oo.per_gap
        for year in (3, 4):
            short = oo.per_year - sum(h[year] for h in halves)
            room = [h for h in halves if h[year - 2]]
            if short > 0 and room:
                longest = max(room, key=lambda h: len(h[year - 2]) - h[year])
                longest[year] += short
        out = []
        for (a, b, after_talk, days), (_, y1, y2, n1, n2) in zip(parts, halves):
            if n1 + n2 == 0:
                continue
            if n1 and n2:
                out.append((a, b, after_talk, y1, n1))
                out.append((a, b, after_talk, y2, n2))
            else:
                out.append((a, b, after_talk, y1 if n1 else y2, n1 or n2))
        for a, b, after_talk, days, n in out:
            if len(days) < n:
                raise PlanningError(
                    f"{u.chief.email} and {u.leader.email} need {n} one-to-ones for {u.id} ({u.name}) between "
                    f"{days[0].isoformat() if days else a.isoformat()} and {b.isoformat()} to hold {oo.per_year} in "
                    f"each loop-year, but there are {len(days)} working days: {n - len(days)} over capacity")
        return out

    def _deadlines(self) -> None:
        fw, tl, spec, clock = self.fw, self.tl, self.spec, self.clock
        for (uid, n), talk in sorted(self.talks.items()):
            self.events.extend(talk_dependents(fw, tl, spec, self._by_id[uid], talk))

        def all_day(kind, unit, number, due, title, attendees=(), **details) -> Event:
            return Event(uid=make_uid(spec.loop_id, kind, unit.id if unit else None, number), kind=kind,
                         unit_id=unit.id if unit else None, number=number, all_day=True,
                         start=clock.midnight(due), end=clock.midnight(due + dt.timedelta(days=1)), title=title,
                         attendees=attendees, sector=unit.sector if unit else None, details=details)

        first_talks = [t.start for (u, n), t in self.talks.items() if n == 1]
        if first_talks and fw.committee_overview is not None:  # a unit joining a running loop after talk 1 has none
            last_first_talk = max(first_talks).astimezone(clock.tz).date()
            co = fw.committee_overview
            ready = self.cal.add_working_days(last_first_talk, co.working_days_after_last_first_talk)
            details = {}
            if co.calendar:
                # On a meeting of the committee [000: "afrapporteres til Børn og Unge-udvalget"].
                meeting = self.cal.first_meeting_on_or_after(co.calendar, ready)
                if meeting is None:
                    raise PlanningError(
                        f"the committee calendar '{co.calendar}' has no meeting on or after {ready.isoformat()}, when "
                        f"the overview of the focus areas is ready: import the committee's meeting dates first")
                ready, details = meeting.start, {"committee_meeting": meeting.name}
            self.events.append(all_day("committee_overview", None, None, ready,
                                       f"Oversigt over lokale fokusområder til {fw.bodies.committee}", **details))
        report_back = kinds.REPORT_BACK
        for u in self.units if fw.report_back is not None else ():
            # One loop-wide date: the report-back feeds the next loop's network meetings together.
            # On a working day of the unit's own calendar (not a daycare closing day).
            self.events.append(all_day(report_back.event_kind, u, None,
                                       tl.report_back_of(u.sector),
                                       deadline_title(fw, report_back, u, None),
                                       event_attendees(fw, u, report_back.event_kind)))
        if fw.report_back is not None:
            aggregated = self.cal.add_working_days(tl.report_back_due, fw.report_back.aggregated_working_days_after_due)
            self.events.append(all_day(report_back.event_kind, None, None, aggregated,
                                       f"Samlet afrapportering for {spec.area}-årsområdet", aggregated=True))
        sr = fw.supervision_report
        if sr:
            for u in self.units:
                if not u.self_owned:
                    continue
                for i, weeks in enumerate(sr.due_weeks_after_council, start=1):
                    due = self.cal.on_or_before_working_day(clock.add_weeks(spec.council_date, weeks), u.sector)
                    supervision = kinds.SUPERVISION_REPORT
                    self.events.append(all_day(
                        supervision.event_kind, u, i, due, deadline_title(fw, supervision, u, i, year=due.year),
                        event_attendees(fw, u, supervision.event_kind, i)))


def network_attendees(fw: Framework, units) -> tuple[Attendee, ...]:
    """Who a leader network's theme meeting is for: the network's roles of its units, each person
    once, the chiefs first. The planner's and an organisation update's one rule."""
    attendees: dict[str, Attendee] = {}
    for u in units:
        for a in attendees_in_roles(u, fw.network_meetings.attendees):
            attendees.setdefault(a.email, a)
    return tuple(sorted(attendees.values(), key=lambda a: (a.role != "chief", a.email)))


def network_target(cal: WorkCalendar, sectors, target: dt.date) -> dt.date:
    """A theme meeting's target day; one that falls in the summer holiday moves to its nearer edge
    (the last day before it or the first after it), since nobody meets in the summer (issue 9, 2)."""
    spans = [s for s in (cal.summer_holiday(sector, target.year) for sector in sectors) if s and s.covers(target)]
    if not spans:
        return target
    start, end = min(s.start for s in spans), max(s.end for s in spans)
    before, after = start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    return before if (target - before) <= (after - target) else after


def _nearest(radius: int):
    """0, 1, -1, 2, -2, ...: the day offsets to try around a target date."""
    yield 0
    for d in range(1, radius + 1):
        yield d
        yield -d


def _nearest_index(target: int, length: int):
    yield target
    for d in range(1, length):
        if target + d < length:
            yield target + d
        if target - d >= 0:
            yield target - d


def plan_loop(org: Organisation, framework: Framework, calendar: WorkCalendar, spec: LoopSpec,
              busy: list[Event] | tuple[Event, ...] = ()) -> Plan:
    """Plan every event of a loop; raise PlanningError when the rules cannot all be met.

    `busy` are meetings people already have (other running loops): the new plan books around them,
    since a chief of both areas sits in both loops."""
    planner = _Planner(org, framework, calendar, spec)
    planner.book_existing(busy)
    return Plan(spec, planner.run())
