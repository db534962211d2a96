"""Real plans from the shipped framework and example organisation, and parsers to read them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import yaml

from calendars.context import CalendarContext, loop_info, units_from_organisation
from cycle.framework import parse_framework
from cycle.organisation import parse_organisation
from cycle.planner import LoopSpec, plan_loop
from cycle.workcalendar import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]
# The tests import their readers as `ics_readers`, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))
ORGANISER = "kvalitet@aarhus.example.dk"
ORGANISER_NAME = "Børn og Unge, Aarhus Kommune"
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="session")
def framework():
    return parse_framework(yaml.safe_load((ROOT / "frameworks/aarhus.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def albertslund():
    return parse_framework(yaml.safe_load((ROOT / "frameworks/albertslund.yaml").read_text(encoding="utf-8")))


def _periods() -> list:
    """The shipped dated calendars: holidays and the committee's meetings."""
    from kvalitetsloop.frameworks import shipped_holidays

    return shipped_holidays(ROOT / "frameworks")


@pytest.fixture(scope="session")
def work_calendar(framework):
    return WorkCalendar(framework, _periods())


@pytest.fixture(scope="session")
def org_text():
    return (ROOT / "examples/aarhus.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def org(org_text):
    return parse_organisation(org_text)


class Loop:
    """A planned loop with the context its calendars are built with."""

    def __init__(self, org, framework, work_calendar, loop_id, area, council):
        self.org = org
        self.events = plan_loop(org, framework, work_calendar, LoopSpec(loop_id, area, council)).events
        self.ctx = CalendarContext(
            organiser=ORGANISER, organiser_name=ORGANISER_NAME, base_url="https://kvalitet.aarhus.example.dk",
            units=units_from_organisation(org), loop=loop_info(loop_id, area, council, framework), now=NOW)

    def one(self, kind, unit_id=None, number=None):
        for e in self.events:
            if e.kind == kind and (unit_id is None or e.unit_id == unit_id) and (number is None or e.number == number):
                return e
        raise LookupError((kind, unit_id, number))


@pytest.fixture(scope="session")
def loop06(org, framework, work_calendar):
    return Loop(org, framework, work_calendar, "0-6-2027-04-28", "0-6", dt.date(2027, 4, 28))


@pytest.fixture(scope="session")
def loop618(org, framework, work_calendar):
    return Loop(org, framework, work_calendar, "6-18-2028-04-26", "6-18", dt.date(2028, 4, 26))


@pytest.fixture(scope="session")
def alb06(org, albertslund):
    """The same daycares in a 0-6 loop under Albertslund's framework [004]."""
    return Loop(org, albertslund, WorkCalendar(albertslund, _periods()), "0-6-2027-04-28", "0-6", dt.date(2027, 4, 28))


@pytest.fixture(scope="session")
def small_loop(org_text, framework, work_calendar):
    """A whole loop for four daycares (two of them self-owned): small enough for a CalDAV server."""
    lines = org_text.splitlines()
    keep = [lines[0]] + [l for l in lines[1:] if l.split(",", 1)[0] in ("dt-001", "dt-002", "dt-005", "dt-006")]
    small = parse_organisation("\n".join(keep) + "\n")
    return Loop(small, framework, work_calendar, "0-6-2027-04-28", "0-6", dt.date(2027, 4, 28))
