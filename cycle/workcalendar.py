"""Working days per sector: weekdays, Danish public holidays, municipal closing days and the
sector's school holidays or daycare closing days (DOMAIN.md, "Calendar facts to respect").

The holiday calendars are data handed in by the caller; the public holidays come from the
`holidays` package, which computes them (no I/O).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays as holidays_lib

from cycle.framework import Framework


@dataclass(frozen=True)
class HolidayPeriod:
    calendar: str
    name: str
    start: dt.date
    end: dt.date  # inclusive

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class HolidayCalendarError(ValueError):
    pass


def parse_holiday_calendar(data: object, source: str) -> list[HolidayPeriod]:
    """Validate one holiday calendar document ({name, title, periods: [{name, start, end}]})."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise HolidayCalendarError(f"{source}: a holiday calendar needs a 'name' and 'periods'")
    periods = data.get("periods")
    if not isinstance(periods, list):
        raise HolidayCalendarError(f"{source}: 'periods' must be a list")
    out = []
    for i, p in enumerate(periods):
        try:
            start = p["start"] if isinstance(p["start"], dt.date) else dt.date.fromisoformat(str(p["start"]))
            end = p["end"] if isinstance(p["end"], dt.date) else dt.date.fromisoformat(str(p["end"]))
            name = str(p["name"])
        except (KeyError, TypeError, ValueError):
            raise HolidayCalendarError(f"{source}: periods[{i}] needs a name and ISO start and end dates") from None
        if end < start:
            raise HolidayCalendarError(f"{source}: periods[{i}] ('{name}') ends before it starts")
        out.append(HolidayPeriod(data["name"], name, start, end))
    return out


@lru_cache(maxsize=32)
def _public_holidays(country: str, language: str, year: int) -> dict[dt.date, str]:
    return dict(holidays_lib.country_holidays(country, years=[year], language=language))


class WorkCalendar:
    """Answers 'can a meeting of this sector take place on this day?' and does working-day sums."""

    def __init__(self, framework: Framework, periods: list[HolidayPeriod]):
        self.framework = framework
        self._weekdays = frozenset(framework.working_hours.weekdays)
        self._by_calendar: dict[str, list[HolidayPeriod]] = {}
        for p in periods:
            self._by_calendar.setdefault(p.calendar, []).append(p)
        self._closed_cache: dict[tuple[dt.date, str | None], str | None] = {}
        # The planner asks the same questions thousands of times; the answers never change.
        self._range_cache: dict[tuple[dt.date, dt.date, str | None], tuple[dt.date, ...]] = {}
        self._add_cache: dict[tuple[dt.date, int, str | None], dt.date] = {}
        self._summer_cache: dict[tuple[str, int], HolidayPeriod | None] = {}

    def periods_for(self, sector: str) -> list[HolidayPeriod]:
        name = self.framework.holidays.school_holidays.get(sector)
        return self._by_calendar.get(name, []) if name else []

    def calendar_name(self, sector: str) -> str | None:
        return self.framework.holidays.school_holidays.get(sector)

    def coverage(self, calendar: str) -> tuple[dt.date, dt.date] | None:
        """The first and last day a named holiday calendar knows about; None if it has no periods."""
        periods = self._by_calendar.get(calendar, [])
        return (min(p.start for p in periods), max(p.end for p in periods)) if periods else None

    def first_meeting_on_or_after(self, calendar: str, day: dt.date) -> HolidayPeriod | None:
        """The first day of a meeting calendar (a committee's) on or after `day`."""
        return min((p for p in self._by_calendar.get(calendar, []) if p.start >= day),
                   key=lambda p: p.start, default=None)

    def covered_until(self, sector: str) -> dt.date | None:
        """The last day the sector's holiday calendar knows about; None if it has no periods."""
        periods = self.periods_for(sector)
        return max(p.end for p in periods) if periods else None

    def covered_from(self, sector: str) -> dt.date | None:
        periods = self.periods_for(sector)
        return min(p.start for p in periods) if periods else None

    def public_holiday(self, day: dt.date) -> str | None:
        h = self.framework.holidays
        name = _public_holidays(h.country, h.language, day.year).get(day)
        if name:
            return name
        return h.closed_days.get(day.strftime("%m-%d"))

    def closed_reason(self, day: dt.date, sector: str | None = None) -> str | None:
        """Why no meeting can be held that day, in Danish; None on a working day."""
        key = (day, sector)
        if key in self._closed_cache:
            return self._closed_cache[key]
        reason: str | None = None
        if day.isoweekday() not in self._weekdays:
            reason = "lørdag" if day.isoweekday() == 6 else "søndag" if day.isoweekday() == 7 else "ikke en arbejdsdag"
        else:
            reason = self.public_holiday(day)
            if reason is None and sector:
                for p in self.periods_for(sector):
                    if p.covers(day):
                        reason = p.name
                        break
            if reason is None and sector and self.framework.holidays.summer is not None:
                summer = self.summer_holiday(sector, day.year)
                if summer is not None and summer.covers(day):
                    reason = summer.name
        self._closed_cache[key] = reason
        return reason

    def is_working_day(self, day: dt.date, sector: str | None = None) -> bool:
        return self.closed_reason(day, sector) is None

    def is_working_day_for_all(self, day: dt.date, sectors) -> bool:
        return all(self.is_working_day(day, s) for s in sectors) if sectors else self.is_working_day(day)

    def add_working_days(self, day: dt.date, n: int, sector: str | None = None) -> dt.date:
        """The day n working days after (n > 0) or before (n < 0) `day`."""
        key = (day, n, sector)
        if key in self._add_cache:
            return self._add_cache[key]
        step = 1 if n >= 0 else -1
        left = abs(n)
        d = day
        while left:
            d += dt.timedelta(days=step)
            if self.is_working_day(d, sector):
                left -= 1
        self._add_cache[key] = d
        return d

    def on_or_before_working_day(self, day: dt.date, sector: str | None = None) -> dt.date:
        while not self.is_working_day(day, sector):
            day -= dt.timedelta(days=1)
        return day

    def on_or_after_working_day(self, day: dt.date, sector: str | None = None) -> dt.date:
        while not self.is_working_day(day, sector):
            day += dt.timedelta(days=1)
        return day

    def working_days(self, start: dt.date, end: dt.date, sector: str | None = None) -> list[dt.date]:
        key = (start, end, sector)
        if key not in self._range_cache:
            days, d = [], start
            while d <= end:
                if self.is_working_day(d, sector):
                    days.append(d)
                d += dt.timedelta(days=1)
            self._range_cache[key] = tuple(days)
        return list(self._range_cache[key])

    def summer_calendar(self) -> str | None:
        """The holiday calendar the framework's summer rule takes the summer holiday from."""
        rule = self.framework.holidays.summer
        return rule.calendar if rule else None

    def summer_holiday(self, sector: str, year: int) -> HolidayPeriod | None:
        """The summer a sector's meetings avoid in a year: its closing weeks where the framework
        narrows it to them, else the summer rule's calendar or weeks, else the longest period of
        the sector's own calendar touching July."""
        key = (sector, year)
        if key not in self._summer_cache:
            self._summer_cache[key] = self._summer(sector, year)
        return self._summer_cache[key]

    def _summer(self, sector: str, year: int) -> HolidayPeriod | None:
        rule = self.framework.holidays.summer
        if rule is not None:
            if sector in rule.closing_weeks:
                return _weeks_period("Sommerlukning", year, rule.closing_weeks[sector])
            if rule.calendar:
                return _longest_touching_july(self._by_calendar.get(rule.calendar, []), year)
            if rule.weeks:
                return _weeks_period("Sommerferie", year, rule.weeks)
        return _longest_touching_july(self.periods_for(sector), year)


def _weeks_period(name: str, year: int, weeks: list[int]) -> HolidayPeriod:
    return HolidayPeriod("summer", name, dt.date.fromisocalendar(year, weeks[0], 1),
                         dt.date.fromisocalendar(year, weeks[-1], 7))


def _longest_touching_july(periods: list[HolidayPeriod], year: int) -> HolidayPeriod | None:
    best = None
    july = dt.date(year, 7, 15)
    for p in periods:
        if p.start <= july <= p.end or (p.start.year == year and p.start.month in (6, 7, 8) and (p.end - p.start).days >= 14):
            if best is None or (p.end - p.start) > (best.end - best.start):
                best = p
    return best
