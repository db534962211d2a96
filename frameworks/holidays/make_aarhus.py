"""Generate the school-holiday and closing-day calendars in this folder.

    python frameworks/holidays/make_aarhus.py            # (re)write the YAML files next to this script
    python frameworks/holidays/make_aarhus.py --check    # exit 1 if a file differs from what it would write
    python frameworks/holidays/make_aarhus.py --stdout aarhus-skole

Writes, for the school years 2024/25 through 2031/32 (every date of 2025-2031 and January 2032):

* ``aarhus-skole.yaml``: the school holidays of Aarhus Kommune's schools (also used for FU).
* ``aarhus-dagtilbud.yaml``: the closing days ("lukkedage") of Aarhus Kommune's daycares.
* ``albertslund-dagtilbud.yaml``: the closing days of Albertslund Kommune's daycares. Seed 004
  says nothing about closing days, so they follow the Aarhus daycare pattern.

Rules for schools (``school_periods``), all dates inclusive:

* Vinterferie: ISO week 7, from the Saturday before its Monday through its Sunday.
* Påskeferie: the Saturday before Palm Sunday through Easter Monday (Anden påskedag).
* Sommerferie: the last Saturday of June through the Sunday before school starts; school starts
  on the Monday of ISO week 32.
* Efterårsferie: ISO week 42, from the Saturday before its Monday through its Sunday.
* Juleferie: the day after the last weekday on or before 21 December through 2 January; when 2 January is a
  Friday or a Saturday, through the following Sunday.

Rules for daycares (``daycare_periods``): daycares stay open in the winter, autumn and summer
breaks; they close Monday-Wednesday of Holy Week (before Skærtorsdag), the Friday after Kristi
himmelfartsdag, and the weekdays among 27-30 December. Public holidays and the framework's
``closed_days`` (24 and 31 December, Grundlovsdag) are not repeated here.

Easter comes from ``dateutil.easter`` (a dependency of the ``holidays`` package).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from dateutil.easter import easter

HERE = Path(__file__).resolve().parent
FIRST_SCHOOL_YEAR = 2023  # 2023/24: the summer of 2024 is inside loops with councils in 2025
LAST_SCHOOL_YEAR = 2037  # 2037/38: loops with council dates up to 2035 run into 2037

Period = tuple[str, dt.date, dt.date]

SATURDAY, SUNDAY = 5, 6  # date.weekday()


def iso_week_monday(year: int, week: int) -> dt.date:
    return dt.date.fromisocalendar(year, week, 1)


def week_break(year: int, week: int) -> tuple[dt.date, dt.date]:
    """Saturday before the ISO week through its Sunday (nine days)."""
    monday = iso_week_monday(year, week)
    return monday - dt.timedelta(days=2), monday + dt.timedelta(days=6)


def last_saturday_of_june(year: int) -> dt.date:
    d = dt.date(year, 6, 30)
    return d - dt.timedelta(days=(d.weekday() - SATURDAY) % 7)


def saturday_on_or_before(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=(d.weekday() - SATURDAY) % 7)


def christmas_break(year: int) -> tuple[dt.date, dt.date]:
    """Juleferie starting in December of ``year``."""
    # The last school day is the last weekday on or before 21 December; the break starts after it.
    last_day = dt.date(year, 12, 21)
    while last_day.weekday() >= 5:
        last_day -= dt.timedelta(days=1)
    start = last_day + dt.timedelta(days=1)
    end = dt.date(year + 1, 1, 2)
    if end.weekday() in (4, SATURDAY):  # Friday or Saturday: on to the Sunday
        end += dt.timedelta(days=(SUNDAY - end.weekday()))
    return start, end


def school_periods(first: int = FIRST_SCHOOL_YEAR, last: int = LAST_SCHOOL_YEAR) -> list[Period]:
    """Aarhus Kommune's school holidays for the school years first/first+1 .. last/last+1."""
    out: list[Period] = []
    for sy in range(first, last + 1):
        autumn = week_break(sy, 42)
        out.append(("Efterårsferie", *autumn))
        out.append(("Juleferie", *christmas_break(sy)))
        spring = sy + 1
        out.append(("Vinterferie", *week_break(spring, 7)))
        e = easter(spring)
        out.append(("Påskeferie", e - dt.timedelta(days=8), e + dt.timedelta(days=1)))
        school_start = iso_week_monday(spring, 32)
        out.append(("Sommerferie", last_saturday_of_june(spring), school_start - dt.timedelta(days=1)))
    return sorted(out, key=lambda p: p[1])


def _weekday_runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of the weekdays among ``days`` (sorted)."""
    runs: list[tuple[dt.date, dt.date]] = []
    for d in days:
        if d.weekday() >= SATURDAY:
            continue
        if runs and runs[-1][1] + dt.timedelta(days=1) == d:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def daycare_periods(first: int = FIRST_SCHOOL_YEAR, last: int = LAST_SCHOOL_YEAR) -> list[Period]:
    """Daycare closing days for the school years first/first+1 .. last/last+1."""
    out: list[Period] = []
    for sy in range(first, last + 1):
        dec = [dt.date(sy, 12, day) for day in (27, 28, 29, 30)]
        for start, end in _weekday_runs(dec):
            out.append(("Lukkedag (jul)", start, end))
        spring = sy + 1
        e = easter(spring)
        # Monday-Wednesday of Holy Week; Skærtorsdag (Thursday) is a public holiday.
        out.append(("Lukkedag (påske)", e - dt.timedelta(days=6), e - dt.timedelta(days=4)))
        ascension = e + dt.timedelta(days=39)  # Kristi himmelfartsdag, a Thursday
        friday = ascension + dt.timedelta(days=1)
        out.append(("Lukkedag (fredag efter Kristi himmelfart)", friday, friday))
    return sorted(out, key=lambda p: p[1])


SCHOOL_RULES = """\
# Rules (all dates inclusive):
#   Vinterferie: ISO week 7, from the Saturday before through its Sunday.
#   Påskeferie: the Saturday before Palm Sunday through Easter Monday (Anden påskedag).
#   Sommerferie: the last Saturday of June through the Sunday before school starts on the
#     Monday of ISO week 32.
#   Efterårsferie: ISO week 42, from the Saturday before through its Sunday.
#   Juleferie: the day after the last weekday on or before 21 December through 2 January (when 2 January is a
#     Friday or Saturday, through the following Sunday).
"""

DAYCARE_RULES = """\
# Rules: daycares stay open in the winter, autumn and summer school breaks. Closing days
# (lukkedage): Monday-Wednesday of Holy Week (before Skærtorsdag), the Friday after Kristi
# himmelfartsdag, and the weekdays among 27-30 December. Public holidays and the framework's
# holidays.closed_days (24 and 31 December, Grundlovsdag) are not repeated here.
"""

CALENDARS: dict[str, dict] = {
    "aarhus-skole": {
        "title": "Skoleferier i Aarhus Kommune",
        "periods": school_periods,
        "about": "Aarhus Kommune's school holidays (schools and FU), the municipality's usual pattern.\n"
        + SCHOOL_RULES,
    },
    "aarhus-dagtilbud": {
        "title": "Lukkedage i Aarhus Kommunes dagtilbud",
        "periods": daycare_periods,
        "about": "Aarhus Kommune's daycare closing days.\n" + DAYCARE_RULES,
    },
    "albertslund-dagtilbud": {
        "title": "Lukkedage i Albertslund Kommunes dagtilbud",
        "periods": daycare_periods,
        "about": "Albertslund Kommune's daycare closing days. Seed 004 (Kvalitet i dagtilbud) says nothing\n"
        "# about closing days; this is an assumption: the same pattern as Aarhus' daycares.\n"
        + DAYCARE_RULES,
    },
}


def _school_year(d: dt.date) -> str:
    y = d.year if d.month >= 8 else d.year - 1
    return f"{y}/{str(y + 1)[2:]}"


def render(name: str) -> str:
    spec = CALENDARS[name]
    periods: list[Period] = spec["periods"]()
    lines = [
        f"# Generated by frameworks/holidays/make_aarhus.py; do not edit by hand, change the script",
        f"# and run it again. School years {FIRST_SCHOOL_YEAR}/{str(FIRST_SCHOOL_YEAR + 1)[2:]}"
        f" through {LAST_SCHOOL_YEAR}/{str(LAST_SCHOOL_YEAR + 1)[2:]}.",
        f"# {spec['about'].rstrip()}",
        f"name: {name}",
        f'title: "{spec["title"]}"',
        "periods:",
    ]
    current = None
    for pname, start, end in periods:
        sy = _school_year(start)
        if sy != current:
            lines.append(f"  # Skoleåret {sy}")
            current = sy
        lines.append(f'  - {{name: "{pname}", start: {start.isoformat()}, end: {end.isoformat()}}}')
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if a file is missing or out of date")
    ap.add_argument("--stdout", metavar="NAME", choices=sorted(CALENDARS), help="print one calendar")
    ap.add_argument("--dir", type=Path, default=HERE, help="where the YAML files go")
    args = ap.parse_args(argv)
    if args.stdout:
        sys.stdout.write(render(args.stdout))
        return 0
    stale = []
    for name in CALENDARS:
        path = args.dir / f"{name}.yaml"
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run frameworks/holidays/make_aarhus.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
