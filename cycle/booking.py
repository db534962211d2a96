"""Who is booked when: the ledger that keeps every person out of two meetings at once (with the
framework's buffer) and under the per-day limit (SPEC 3, "Meetings")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from cycle.framework import Framework


def minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class Conflict:
    email: str
    reason: str
    # The same in Danish, for a web page (a chief planning a meeting on the portal).
    da: str = ""


class Ledger:
    """Bookings per person and local date, as minute intervals within the day."""

    def __init__(self, framework: Framework):
        self.buffer = framework.buffer_minutes
        self.max_per_day = framework.max_meetings_per_person_per_day
        self._day: dict[tuple[str, dt.date], list[tuple[int, int, str]]] = defaultdict(list)

    def conflict(self, emails, day: dt.date, start: int, end: int, ignore_uid: str | None = None) -> Conflict | None:
        """The first reason one of `emails` cannot take a meeting [start, end) on `day`."""
        for email in emails:
            booked = self._day.get((email, day))
            if not booked:
                continue
            others = [b for b in booked if b[2] != ignore_uid] if ignore_uid else booked
            if len(others) >= self.max_per_day:
                return Conflict(email, f"{email} already has {len(others)} meeting{'s' if len(others) != 1 else ''} on {day.isoformat()} (the limit is {self.max_per_day} a day)",
                                f"{email} har allerede {len(others)} møde{'r' if len(others) != 1 else ''} den {day:%d.%m.%Y} (højst {self.max_per_day} om dagen)")
            for s, e, uid in others:
                if start < e + self.buffer and s < end + self.buffer:
                    return Conflict(email, f"{email} has another meeting on {day.isoformat()} from {s // 60:02d}:{s % 60:02d} to {e // 60:02d}:{e % 60:02d} (with {self.buffer} minute{'s' if self.buffer != 1 else ''} between meetings)",
                                    f"{email} har et andet møde den {day:%d.%m.%Y} kl. {s // 60:02d}.{s % 60:02d}-{e // 60:02d}.{e % 60:02d} (med {self.buffer} minutter imellem møder)")
        return None

    def is_free(self, emails, day: dt.date, start: int, end: int) -> bool:
        for email in emails:
            booked = self._day.get((email, day))
            if not booked:
                continue
            if len(booked) >= self.max_per_day:
                return False
            for s, e, _ in booked:
                if start < e + self.buffer and s < end + self.buffer:
                    return False
        return True

    def book(self, emails, day: dt.date, start: int, end: int, uid: str) -> None:
        for email in emails:
            self._day[(email, day)].append((start, end, uid))

    def unbook(self, emails, day: dt.date, uid: str) -> None:
        """Take back what `book` booked for these people under `uid` on `day`."""
        for email in emails:
            self._day[(email, day)] = [b for b in self._day.get((email, day), ()) if b[2] != uid]

    def count(self, email: str, day: dt.date) -> int:
        return len(self._day.get((email, day), ()))
