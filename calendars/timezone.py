"""The one VTIMEZONE we write: Europe/Copenhagen, fixed and RRULE-based.

One STANDARD and one DAYLIGHT part with the EU rule in force since 1996: summer time starts on
the last Sunday of March at 02:00 local standard time (clocks go to 03:00) and ends on the last
Sunday of October at 03:00 local summer time (clocks go back to 02:00).

Written by hand on purpose. icalendar's generated block lists every transition as RDATEs, with
two STANDARD parts, and puts the March change at 03:00; some clients (Outlook among them) read
only the first STANDARD part or take the RDATE list as the whole rule.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

TZID = "Europe/Copenhagen"
ZONE = ZoneInfo(TZID)

# 1970-03-29 and 1970-10-25 were the last Sundays of their months, so DTSTART is itself an
# occurrence of its RRULE (RFC 5545 3.8.5.3 asks for that).
VTIMEZONE_LINES: tuple[str, ...] = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)

VTIMEZONE: bytes = b"".join(line.encode("ascii") + b"\r\n" for line in VTIMEZONE_LINES)
