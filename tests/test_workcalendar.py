"""The working calendar: which days a meeting of a sector can be held on, and working-day sums.

Sources: DOMAIN.md "Calendar facts to respect"; SPEC 2.3 (Danish public holidays from the
`holidays` package, names in Danish) and SPEC 3 "Meetings"; the municipal closing days and the
school-holiday files are the `holidays` block of frameworks/aarhus.yaml (docs/framework-sources.md:
assumptions, no seed quote).
"""

from __future__ import annotations

import datetime as dt

import holidays as holidays_lib
import pytest

from cycle.workcalendar import HolidayCalendarError, HolidayPeriod, WorkCalendar, parse_holiday_calendar
from tests.conftest import framework_with

D = dt.date.fromisoformat

# Easter 2027 is 28 March: Skærtorsdag 25, Langfredag 26, Anden påskedag 29. Aarhus schools have
# Påskeferie 2027-03-20..03-29; the daycares close Monday-Wednesday of Holy Week (22-24 March).
EASTER_2027 = {
    "2027-03-25": "Skærtorsdag",
    "2027-03-26": "Langfredag",
    "2027-03-29": "Anden påskedag",
}


# -- public holidays and municipal closing days ------------------------------------------------

@pytest.mark.parametrize("day, name", [
    *EASTER_2027.items(),
    ("2027-01-01", "Nytårsdag"),
    ("2027-05-06", "Kristi himmelfartsdag"),
    ("2027-05-17", "Anden pinsedag"),
    ("2026-12-25", "Juledag"),
    ("2028-12-26", "Anden juledag"),
])
@pytest.mark.parametrize("sector", [None, "dagtilbud", "skole", "fu"])
def test_public_holidays_are_closed_with_their_danish_name(calendar, day, name, sector):
    """Danish public holidays from the `holidays` package, language da (SPEC 2.3)."""
    assert calendar.closed_reason(D(day), sector) == name
    assert not calendar.is_working_day(D(day), sector)


def test_public_holiday_names_come_from_the_holidays_package_in_danish(calendar):
    """Every weekday public holiday of 2025-2037 is closed under the package's Danish name."""
    for year in range(2025, 2038):
        for day, name in holidays_lib.country_holidays("DK", years=[year], language="da").items():
            if day.isoweekday() <= 5:
                assert calendar.closed_reason(day) == name, day


@pytest.mark.parametrize("day, name", [
    ("2026-06-05", "Grundlovsdag"),      # a Friday
    ("2030-06-05", "Grundlovsdag"),      # a Wednesday
    ("2026-12-24", "Juleaftensdag"),
    ("2029-12-24", "Juleaftensdag"),
    ("2026-12-31", "Nytårsaftensdag"),
    ("2031-12-31", "Nytårsaftensdag"),
])
@pytest.mark.parametrize("sector", [None, "dagtilbud", "skole", "fu"])
def test_municipal_closing_days_close_every_sector(calendar, day, name, sector):
    """holidays.closed_days: Grundlovsdag, 24 and 31 December are not public holidays in the
    package, yet every unit is closed (frameworks/aarhus.yaml)."""
    assert D(day).isoweekday() <= 5
    assert calendar.closed_reason(D(day), sector) == name


def test_store_bededag_is_a_working_day_from_2024(calendar):
    """Store bededag was abolished as a public holiday from 2024; the package knows (SPEC 2.3)."""
    assert calendar.closed_reason(D("2023-05-05")) == "Store bededag"
    assert calendar.is_working_day(D("2025-05-16"))
    assert calendar.is_working_day(D("2027-04-23"))


def test_weekends_are_closed(calendar):
    assert calendar.closed_reason(D("2027-06-05")) == "lørdag"  # Grundlovsdag on a Saturday
    assert calendar.closed_reason(D("2027-03-28"), "skole") == "søndag"  # Påskedag, a Sunday
    assert calendar.is_working_day(D("2027-06-04"))


def test_working_weekdays_follow_the_framework(aarhus_data, holiday_periods):
    """working_hours.weekdays: a four-day week makes Friday no working day."""
    fw = framework_with(aarhus_data, working_hours={"start": "08:00", "end": "16:00", "weekdays": [1, 2, 3, 4]})
    cal = WorkCalendar(fw, holiday_periods)
    assert not cal.is_working_day(D("2027-06-04"))  # a Friday
    assert cal.is_working_day(D("2027-06-03"))
    assert cal.add_working_days(D("2027-06-03"), 1) == D("2027-06-07")


# -- school holidays and daycare closing days --------------------------------------------------

@pytest.mark.parametrize("day, name", [
    ("2027-02-15", "Vinterferie"),
    ("2027-02-19", "Vinterferie"),
    ("2027-03-22", "Påskeferie"),
    ("2027-07-15", "Sommerferie"),
    ("2027-10-18", "Efterårsferie"),
    ("2027-12-22", "Juleferie"),
])
def test_school_holidays_close_schools_and_fu(calendar, day, name):
    """The aarhus-skole calendar applies to skole and fu (holidays.school_holidays)."""
    for sector in ("skole", "fu"):
        assert calendar.closed_reason(D(day), sector) == name
    assert calendar.is_working_day(D(day))  # the administration works


def test_daycares_stay_open_in_the_school_winter_break(calendar):
    """Daycares do not close for the school winter break (week 7); schools and FU do."""
    week7 = [dt.date.fromisocalendar(2027, 7, d) for d in range(1, 6)]
    for day in week7:
        assert calendar.is_working_day(day, "dagtilbud"), day
        assert calendar.closed_reason(day, "skole") == "Vinterferie"
        assert calendar.closed_reason(day, "fu") == "Vinterferie"
    # The autumn break too. (The summer is another matter: the loop's meetings avoid it in every
    # sector, tests/test_plan_fidelity.py.)
    assert calendar.is_working_day(D("2027-10-19"), "dagtilbud")


@pytest.mark.parametrize("day, name", [
    ("2027-03-22", "Lukkedag (påske)"),
    ("2027-03-24", "Lukkedag (påske)"),
    ("2027-05-07", "Lukkedag (fredag efter Kristi himmelfart)"),
    ("2026-12-28", "Lukkedag (jul)"),
    ("2026-12-30", "Lukkedag (jul)"),
])
def test_daycare_closing_days(calendar, day, name):
    assert calendar.closed_reason(D(day), "dagtilbud") == name
    assert calendar.is_working_day(D(day)) or D(day).month == 12


def test_a_public_holiday_inside_a_school_holiday_is_named_as_the_holiday(calendar):
    assert calendar.closed_reason(D("2027-03-25"), "skole") == "Skærtorsdag"
    assert calendar.closed_reason(D("2027-12-24"), "skole") == "Juleaftensdag"


def test_summer_holiday_per_sector(calendar):
    s = calendar.summer_holiday("skole", 2027)
    assert (s.name, s.start, s.end) == ("Sommerferie", D("2027-06-26"), D("2027-08-08"))
    # Daycares stay open, but the loop's meetings avoid the school summer holiday there too
    # (frameworks/aarhus.yaml holidays.summer; issue 9).
    d = calendar.summer_holiday("dagtilbud", 2027)
    assert (d.name, d.start, d.end) == ("Sommerferie", D("2027-06-26"), D("2027-08-08"))


# -- working-day sums --------------------------------------------------------------------------

def test_add_working_days_across_easter(calendar):
    """Easter 2027: Skærtorsdag, Langfredag, the weekend and Anden påskedag are skipped; the
    daycares' Holy-Week closing days and the schools' Påskeferie only for their sector."""
    assert calendar.add_working_days(D("2027-03-24"), 1) == D("2027-03-30")
    assert calendar.add_working_days(D("2027-03-30"), -1) == D("2027-03-24")
    assert calendar.add_working_days(D("2027-03-19"), 1, "dagtilbud") == D("2027-03-30")
    assert calendar.add_working_days(D("2027-03-19"), 1, "skole") == D("2027-03-30")
    assert calendar.add_working_days(D("2027-03-30"), -1, "dagtilbud") == D("2027-03-19")
    assert calendar.add_working_days(D("2027-03-30"), -1, "fu") == D("2027-03-19")
    # Ten working days before the Tuesday after Easter (the data-package rule).
    assert calendar.add_working_days(D("2027-03-30"), -10) == D("2027-03-11")
    assert calendar.add_working_days(D("2027-03-11"), 10) == D("2027-03-30")
    # Across Christmas and New Year 2026/27: 24, 25 (Fri), 31 Dec and 1 Jan (Fri) are closed.
    assert calendar.add_working_days(D("2026-12-23"), 1) == D("2026-12-28")
    assert calendar.add_working_days(D("2026-12-30"), 1) == D("2027-01-04")
    assert calendar.add_working_days(D("2026-12-23"), 1, "dagtilbud") == D("2027-01-04")


def test_add_working_days_zero_and_round_trip(calendar):
    assert calendar.add_working_days(D("2027-03-27"), 0) == D("2027-03-27")
    day = D("2026-09-01")
    for n in (1, 5, 10, 23, 60):
        later = calendar.add_working_days(day, n, "skole")
        assert calendar.is_working_day(later, "skole")
        assert len(calendar.working_days(day + dt.timedelta(days=1), later, "skole")) == n
        assert calendar.add_working_days(later, -n, "skole") == day


def test_on_or_before_and_after_working_day(calendar):
    assert calendar.on_or_before_working_day(D("2027-03-29")) == D("2027-03-24")
    assert calendar.on_or_after_working_day(D("2027-03-25")) == D("2027-03-30")
    assert calendar.on_or_after_working_day(D("2027-02-13"), "skole") == D("2027-02-22")
    assert calendar.on_or_after_working_day(D("2027-02-13"), "dagtilbud") == D("2027-02-15")


def test_working_days_lists_only_open_days(calendar):
    days = calendar.working_days(D("2027-03-15"), D("2027-04-02"), "dagtilbud")
    assert days == [D("2027-03-15"), D("2027-03-16"), D("2027-03-17"), D("2027-03-18"), D("2027-03-19"),
                    D("2027-03-30"), D("2027-03-31"), D("2027-04-01"), D("2027-04-02")]


# -- holiday calendar files --------------------------------------------------------------------

def test_shipped_calendars_parse(holiday_periods):
    names = {p.calendar for p in holiday_periods}
    assert {"aarhus-skole", "aarhus-dagtilbud", "albertslund-dagtilbud"} <= names
    assert all(isinstance(p, HolidayPeriod) and p.start <= p.end for p in holiday_periods)


def test_holiday_calendar_parses_dates_and_strings():
    periods = parse_holiday_calendar({"name": "x", "periods": [
        {"name": "Vinterferie", "start": "2027-02-13", "end": "2027-02-21"},
        {"name": "Lukkedag", "start": dt.date(2027, 5, 7), "end": dt.date(2027, 5, 7)}]}, "x.yaml")
    assert periods == [HolidayPeriod("x", "Vinterferie", D("2027-02-13"), D("2027-02-21")),
                       HolidayPeriod("x", "Lukkedag", D("2027-05-07"), D("2027-05-07"))]


@pytest.mark.parametrize("data, message", [
    (None, "needs a 'name' and 'periods'"),
    (["a"], "needs a 'name' and 'periods'"),
    ({"periods": []}, "needs a 'name' and 'periods'"),
    ({"name": "x", "periods": {"a": 1}}, "'periods' must be a list"),
    ({"name": "x"}, "'periods' must be a list"),
    ({"name": "x", "periods": [{"name": "a", "start": "2027-02-30", "end": "2027-03-01"}]},
     "periods[0] needs a name and ISO start and end dates"),
    ({"name": "x", "periods": [{"name": "a", "start": "2027-02-01", "end": "2027-02-02"},
                               {"start": "2027-02-01", "end": "2027-02-02"}]},
     "periods[1] needs a name and ISO start and end dates"),
    ({"name": "x", "periods": [{"name": "Sommerferie", "start": "2027-08-08", "end": "2027-06-26"}]},
     "periods[0] ('Sommerferie') ends before it starts"),
])
def test_bad_holiday_calendar_files_are_refused_with_the_place(data, message):
    with pytest.raises(HolidayCalendarError) as exc:
        parse_holiday_calendar(data, "frameworks/holidays/bad.yaml")
    assert str(exc.value).startswith("frameworks/holidays/bad.yaml: ")
    assert message in str(exc.value)


def test_imported_periods_extend_the_shipped_calendar(aarhus, holiday_periods):
    """School holidays are importable (SPEC 2.3): an imported period closes schools only."""
    extra = HolidayPeriod("aarhus-skole", "Vinterferie", D("2039-02-12"), D("2039-02-20"))
    cal = WorkCalendar(aarhus, [*holiday_periods, extra])
    assert cal.closed_reason(D("2039-02-14"), "skole") == "Vinterferie"
    assert cal.is_working_day(D("2039-02-14"), "dagtilbud")
    assert WorkCalendar(aarhus, holiday_periods).is_working_day(D("2039-02-14"), "skole")


def test_shipped_school_holidays_cover_every_loop_the_issue_asks_for(holiday_periods):
    """Council dates 2025-2035 (issue): a loop runs from its first network meeting (up to 24 weeks
    before the council) to the next council two years on, so the calendars must cover 2024-2037.
    (The first shipped data ended in 2032, and a 6-18 loop with the council on 2032-04-28 put 48
    school meetings in the 2033 summer holiday; the planner now also refuses a loop that runs past
    its holiday calendar.)"""
    by_calendar: dict[str, set[tuple[str, int]]] = {}
    for p in holiday_periods:
        by_calendar.setdefault(p.calendar, set()).add((p.name, p.start.year))
    missing = []
    for year in range(2024, 2038):
        for calendar, name in (("aarhus-skole", "Sommerferie"), ("aarhus-skole", "Vinterferie"),
                               ("aarhus-dagtilbud", "Lukkedag (påske)"),
                               ("albertslund-dagtilbud", "Lukkedag (påske)")):
            if (name, year) not in by_calendar.get(calendar, set()) and year >= 2025:
                missing.append(f"{calendar} {name} {year}")
    assert missing == []


# -- importing holiday periods (SPEC 2.3 "importable"), on SQLite and PostgreSQL -----------------

@pytest.mark.parametrize("text, message", [
    ("kalender,navn,start,slut\naarhus-skole,Vinterferie,2033-02-12,2033-02-20\n",
     "the holiday file must have the header row: calendar,name,start,end"),
    ("calendar,name,start,end\naarhus-skole,Vinterferie,2033-02-12,2033-02-20\n"
     "aarhus-skole,Påskeferie,2033-04-09,18-04-2033\n"
     "aarhus-skole,Sommerferie,2033-08-07,2033-06-25\n"
     "aarhus-skole,,2033-10-15,2033-10-23\n",
     "the holiday file was not imported: line 3: start and end must be dates like 2027-10-18; "
     "line 4: the period ends before it starts; line 5: calendar and name are required"),
])
def test_a_bad_holiday_file_is_refused_and_nothing_stored(db_url, text, message):
    from kvalitetsloop.bootstrap import unit_of_work_for as uow_for, upgrade_database
    from kvalitetsloop.errors import UserError
    from kvalitetsloop.unit_of_work import SqlUnitOfWork
    from kvalitetsloop.usecases import organisation as org_cases
    from storage import repository
    from tests.conftest import FRAMEWORKS

    with pytest.raises(UserError) as exc:
        org_cases.import_holidays(uow_for(db_url), text, FRAMEWORKS)
    assert str(exc.value) == message
    upgrade_database(db_url)
    with SqlUnitOfWork(db_url) as uow:
        s = uow.session
        assert repository.load_holiday_periods(s) == []


def test_imported_closing_days_are_kept_by_the_planner(db_url):
    """An imported week of daycare closing days (aarhus-dagtilbud) inside talk 1's window: the 0-6
    loop planned afterwards holds no daycare meeting that week; a re-import changes nothing."""
    from kvalitetsloop.bootstrap import unit_of_work_for as uow_for, upgrade_database
    from kvalitetsloop.errors import UserError
    from kvalitetsloop.usecases import events as event_cases, loops as loop_cases, organisation as org_cases
    from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, NOW

    text = "calendar,name,start,end\naarhus-dagtilbud,Lukkeuge (ombygning),2027-05-24,2027-05-28\n"
    assert org_cases.import_holidays(uow_for(db_url), text, FRAMEWORKS).added == 1
    assert org_cases.import_holidays(uow_for(db_url), text, FRAMEWORKS).added == 0
    now = dt.datetime.fromisoformat(NOW)
    org_cases.import_organisation(uow_for(db_url), EXAMPLE_ORG.read_text(encoding="utf-8"), now)
    started = loop_cases.start_loop(uow_for(db_url), FRAMEWORKS, "aarhus", "0-6", D("2027-04-28"), now, past="held")
    meetings = [e for e in started.events if e.is_meeting]
    assert not [e for e in meetings if D("2027-05-24") <= e.start.date() <= D("2027-05-28")]
    # The weeks around it are used, and without the import that week holds meetings.
    assert [e for e in meetings if D("2027-05-18") <= e.start.date() <= D("2027-05-21")]
    assert [e for e in meetings if D("2027-05-31") <= e.start.date() <= D("2027-06-04")]
    assert [e for e in plan_without_import(started.organisation)
            if e.is_meeting and D("2027-05-24") <= e.start.date() <= D("2027-05-28")]


def plan_without_import(org):
    from cycle.planner import LoopSpec, plan_loop
    from kvalitetsloop.frameworks import load_framework, shipped_holidays
    from tests.conftest import FRAMEWORKS

    fw = load_framework("aarhus", FRAMEWORKS).framework
    return plan_loop(org, fw, WorkCalendar(fw, shipped_holidays(FRAMEWORKS)), LoopSpec("x", "0-6", D("2027-04-28"))).events
