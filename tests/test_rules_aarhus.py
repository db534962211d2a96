"""The rules of the default framework (SPEC 3), one test per rule, each citing the seed it comes
from: 000 = the adopted Aarhus framework (seeds/000_fa9e6f5cd94fe886.txt), 001 = the June 2020
draft, 003 = the council minutes with the consultation summary and the FU adjustments. The quotes
in the docstrings are copied from the seeds (docs/framework-sources.md lists them per key);
`test_cited_quotes_are_in_the_seeds` checks each one against its seed file.

The plans are the example organisation (examples/aarhus.csv: 5 chiefs, 80 daycares of which 12
self-owned, 45 schools, 12 FU areas, 5 special-needs units, 3 leaders who lead two units) for a
0-6 loop with the council on 2027-04-28 and a 6-18 loop with the council on 2026-04-29.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import pytest

from cycle.events import MEETING_KINDS, Event
from cycle.organisation import parse_organisation
from cycle.planner import LoopSpec, PlanningError, parity_problem, plan_loop
from cycle.rules import check_placement
from cycle.workcalendar import WorkCalendar
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, NOW, ROOT, framework_with

TZ = ZoneInfo("Europe/Copenhagen")
D = dt.date.fromisoformat
C06 = D("2027-04-28")   # a Wednesday in an odd year: 0-6
C618 = D("2026-04-29")  # a Wednesday in an even year: 6-18

# Every quote a docstring below cites, with its seed: checked against the seed files.
SEED_QUOTES = {
    "000": [
        "en rapport på 6-18-årsområdet i lige år og en rapport på 0-6-årsområdet i ulige år",
        "udvælges temaerne i samarbejde med de lokale ledere via de faglige ledernetværk",
        "Den første af de fire læringsamtaler finder sted hvert andet år i umiddelbar forlængelse af den politiske drøftelse",
        "Over en periode på to år afholdes fire læringsamtaler",
        "Én samtale i foråret",
        "Én samtale i efteråret",
        "Datapakken vil være tilgængelig forud for en læringsamtale",
        "Der vil blive afholdt seks 1:1 ledelsesopfølgninger om året – tre opfølgninger mellem hver læringssamtale.",
        "1:1 ledelsesopfølgninger mellem Børn og Unge-chef og hhv. dagtilbuds-, skole- og FU-leder",
        "På de efterfølgende læringsamtaler kan bestyrelsens perspektiv indgå i læringsamtalens refleksioner enten i form af en udtalelse eller ved deltagelse",
        "Repræsentanter fra bestyrelsen deltager også i den første læringsamtale",
        "På skolerne og i fritidstilbuddene vil henholdsvis elevrådene og senaterne få en central rolle.",
        "Input vil indgå som data ved den første læringssamtale",
        "Fællesfunktionerne understøtter læringsamtalen med en refleksionsguide samt et opfølgningsskema",
        "Der laves en oversigt over de lokale fokusområder, som afrapporteres til Børn og Unge-udvalget.",
        "Ved afslutning på den to-årige periode samles der systematisk op på det lokale arbejde med fokusområderne",
        "indgår som data i netværksdrøftelserne næste gang, der skal vælges temaer",
        "For de selvejende dagtilbud gælder det, at bestyrelsen afholder de halvårslige læringsamtaler.",
        "Børn og Unge-chefens opfølgning består af bestyrelsens skriftlige afrapportering samt data fra fællesfunktionerne.",
        "Børn og Unge-chef • Dagtilbudsleder • Pædagogiske ledere • Medarbejderrepræsentant",
        "Børn og Unge-chef • Skoleleder • Pædagogiske ledere • Medarbejderrepræsentant",
        "FU-leder • FU-Viceleder • Fritidscenterledere • Ungdomsskolekoordinatorer",
        "Bestyrelsesrepræsentant (som minimum på første samtale)",
        "Faglig konsulent",
    ],
    "001": [
        "der afseettes god tid pa ledernetvaerkene til input og anbefalinger til den politiske rapport",
        "Forud for hver lzeringssamtale bliver en datapakke",
    ],
    "003": [
        "Der vil være minimum 6 årlige ledelsesopfølgninger mel-",
        "ligt højde for specialområdet",
        "Bestyrelserne for de selvejende dagtilbud afrapporterer",
        "Der tilføjes ”afdelingslederrepræsentant”.",
        "Deltagelse af ungerepræsentant tilføjes som obligatorisk på linje",
        "Dvs. 1 årlig læringssamtale.",
        "udtrykker dog bekymring i forhold til tidsforbruget for medarbejdere",
    ],
}
SEED_FILES = {"000": "000_fa9e6f5cd94fe886.txt", "001": "001_6f61decf5df6d0f1.txt", "003": "003_7b7eee2cc083415a.txt",
              "004": "004_798dbc1353dd476d.txt"}


def _seed_dir() -> Path | None:
    # shared/ lies beside the checkout in CI.
    for d in (ROOT / "seeds", ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds")):
        if (d / SEED_FILES["000"]).exists():
            return d
    return None


def check_quotes(quotes: dict[str, list[str]]) -> None:
    """Each quote is in its seed file (grep -F), as docs/framework-sources.md promises."""
    seeds = _seed_dir()
    if seeds is None:
        pytest.skip("the seed files are not available here")
    for seed, listed in quotes.items():
        text = (seeds / SEED_FILES[seed]).read_text(encoding="utf-8")
        for q in listed:
            assert q in text, f"[{seed}] does not contain: {q}"


def test_cited_quotes_are_in_the_seeds():
    """Each quote cited below is in its seed file."""
    check_quotes(SEED_QUOTES)


# -- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def plan06(example_org, aarhus, calendar):
    return plan_loop(example_org, aarhus, calendar, LoopSpec("0-6-2027-04-28", "0-6", C06)).events


@pytest.fixture(scope="module")
def plan618(example_org, aarhus, calendar):
    return plan_loop(example_org, aarhus, calendar, LoopSpec("6-18-2026-04-29", "6-18", C618)).events


@pytest.fixture(scope="module")
def units(example_org):
    return example_org.by_id()


def day(e: Event) -> dt.date:
    return e.start.astimezone(TZ).date()


def of(events, kind, unit_id=None) -> list[Event]:
    return sorted((e for e in events if e.kind == kind and (unit_id is None or e.unit_id == unit_id)),
                  key=lambda e: (e.start, e.number or 0))


def per_unit(events, kind) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = collections.defaultdict(list)
    for e in events:
        if e.kind == kind and e.unit_id:
            out[e.unit_id].append(e)
    for v in out.values():
        v.sort(key=lambda e: (e.number or 0, e.start))
    return out


def emails(unit, *roles) -> set[str]:
    return {p.email for r in roles for p in unit.role(r)}


def wd_before(cal: WorkCalendar, due: dt.date, talk: dt.date, sector=None) -> int:
    """Working days in [due, talk)."""
    return len(cal.working_days(due, talk - dt.timedelta(days=1), sector))


def wd_after(cal: WorkCalendar, talk: dt.date, due: dt.date, sector=None) -> int:
    """Working days in (talk, due]."""
    return len(cal.working_days(talk + dt.timedelta(days=1), due, sector))


def org_csv(rows: list[dict]) -> str:
    cols = ["id", "name", "sector", "chief_email", "leader_name", "leader_email", "board_email", "self_owned",
            "consultant_emails", "pedagogical_leader_emails", "employee_rep_emails"]
    lines = [",".join(cols)]
    for r in rows:
        lines.append(",".join(str(r.get(c, "")) for c in cols))
    return "\n".join(lines) + "\n"


def daycares(n: int, chief="chief@example.dk", prefix="dt", **extra) -> list[dict]:
    return [dict(id=f"{prefix}-{i:03d}", name=f"Børnehuset Æble {i}", sector="dagtilbud", chief_email=chief,
                 leader_name=f"Leder {i}", leader_email=f"leder-{prefix}-{i}@example.dk",
                 board_email=f"bestyrelse-{prefix}-{i}@example.dk", self_owned="false",
                 consultant_emails=f"konsulent-{prefix}-{i}@example.dk", **extra) for i in range(1, n + 1)]


# -- parity [000, 003] -------------------------------------------------------------------------

def test_parity_0_6_in_odd_years_6_18_in_even_years(aarhus):
    """Parity [000, 003]: "en rapport på 6-18-årsområdet i lige år og en rapport på 0-6-årsområdet
    i ulige år" [000]; the council recommendation in [003] keeps the rhythm."""
    assert parity_problem(aarhus, "0-6", D("2027-04-28")) is None
    assert parity_problem(aarhus, "6-18", D("2026-04-29")) is None
    assert parity_problem(aarhus, "0-6", D("2026-04-29")) == \
        "the council discusses the 0-6 area in odd years, and 2026 is even"
    assert parity_problem(aarhus, "6-18", D("2027-04-28")) == \
        "the council discusses the 6-18 area in even years, and 2027 is odd"
    assert "has no area '0-18'" in parity_problem(aarhus, "0-18", C06)


def test_parity_is_refused_unless_overridden(sqlite_url):
    """Parity [000, 003]: a wrong council year is a clear error unless the administrator
    explicitly overrides it (SPEC 3); the override plans the loop."""
    from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
    from kvalitetsloop.errors import CouncilYearRefused
    from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases

    now = dt.datetime.fromisoformat(NOW)
    org_cases.import_organisation(uow_for(sqlite_url), EXAMPLE_ORG.read_text(encoding="utf-8"), now)
    with pytest.raises(CouncilYearRefused) as exc:
        loop_cases.start_loop(uow_for(sqlite_url), FRAMEWORKS, "aarhus", "0-6", D("2026-04-29"), now)
    # The use case speaks of the rule; the command line adds its option (tests/test_cli.py).
    assert "0-6 area in odd years" in str(exc.value) and "2026" in str(exc.value)
    assert "--" not in str(exc.value)
    assert loop_cases.list_loops(uow_for(sqlite_url)) == []
    started = loop_cases.start_loop(uow_for(sqlite_url), FRAMEWORKS, "aarhus", "0-6", D("2026-04-29"), now, allow_any_year=True,
                                     allow_past=True, past="held")
    assert len(of(started.events, "learning_talk")) == 4 * 80
    assert [l.allow_any_year for l in loop_cases.list_loops(uow_for(sqlite_url))] == [True]


# -- network meetings [000, 001] ---------------------------------------------------------------

@pytest.mark.parametrize("area", ["0-6", "6-18"])
def test_network_meetings_per_sector_about_20_and_12_weeks_before_the_council(
        area, plan06, plan618, example_org, aarhus, calendar):
    """Network meetings [000, 001]: the themes are chosen "udvælges temaerne i samarbejde med de
    lokale ledere via de faglige ledernetværk" [000], with "god tid pa ledernetvaerkene til input og
    anbefalinger til den politiske rapport" [001]: per sector, before the council, about 20 and 12
    weeks before (SPEC 3), for all the sector's leaders and chiefs."""
    events, council = (plan06, C06) if area == "0-6" else (plan618, C618)
    sectors = aarhus.areas[area].sectors
    nets = of(events, "network_meeting")
    assert len(nets) == 2 * len(sectors)
    for sector in sectors:
        mine = sorted((e for e in nets if e.details["group"] == sector), key=lambda e: e.start)
        assert [e.number for e in mine] == [1, 2]
        sector_units = [u for u in example_org.units if u.sector == sector]
        assert mine[0].emails() == {p for u in sector_units for p in emails(u, "leader", "chief")}
        for e, weeks in zip(mine, (20, 12)):
            target = council - dt.timedelta(weeks=weeks)
            assert abs((day(e) - target).days) <= aarhus.network_meetings.search_days
            assert day(e) < council
            assert calendar.is_working_day(day(e), sector)
            assert e.end - e.start == dt.timedelta(minutes=180)
            assert e.sector == sector and e.unit_id is None


# -- talk 1 [000] ------------------------------------------------------------------------------

def test_talk_1_right_after_the_council(plan06, calendar):
    """Talk 1 [000]: "Den første af de fire læringsamtaler finder sted hvert andet år i umiddelbar
    forlængelse af den politiske drøftelse": within C+1 week to C+8 weeks (SPEC 3)."""
    first = [e for e in of(plan06, "learning_talk") if e.number == 1]
    assert len(first) == 80
    lo, hi = C06 + dt.timedelta(weeks=1), C06 + dt.timedelta(weeks=8)
    for e in first:
        assert lo <= day(e) <= hi, (e.unit_id, day(e))
        assert (e.details["window_start"], e.details["window_end"]) == (lo.isoformat(), hi.isoformat())
    # The talks are spread over the window, not crowded into its first week.
    assert max(day(e) for e in first) - min(day(e) for e in first) >= dt.timedelta(weeks=5)


def test_talk_1_window_that_meets_the_summer_holiday_continues_after_it(example_org, aarhus, aarhus_data, calendar,
                                                                         holiday_periods):
    """Talk 1 [000] "i umiddelbar forlængelse af den politiske drøftelse"; a window that meets the
    summer holiday continues after it (SPEC 3). Council 2026-05-27: the window 2026-06-03..07-22
    meets the school summer holiday 2026-06-27..08-02 and continues to 2026-08-28."""
    council = D("2026-05-27")
    events = plan_loop(example_org, aarhus, calendar, LoopSpec("s", "6-18", council)).events
    first = [e for e in of(events, "learning_talk") if e.number == 1]
    summer = calendar.summer_holiday("skole", 2026)
    assert (summer.start, summer.end) == (D("2026-06-27"), D("2026-08-02"))
    assert {e.details["window_end"] for e in first} == {"2026-08-28"}
    assert all(not summer.start <= day(e) <= summer.end for e in first)
    assert all(D("2026-06-03") <= day(e) <= D("2026-08-28") for e in first)
    after = [e for e in first if day(e) > summer.end]
    assert after, "some talks 1 are held after the summer holiday"
    # Without the extension the window ends 8 weeks after the council.
    fw = framework_with(aarhus_data, talks__first_window__extend_over_summer=False)
    plain = plan_loop(example_org, fw, WorkCalendar(fw, holiday_periods), LoopSpec("s", "6-18", council)).events
    assert all(day(e) <= D("2026-07-22") for e in of(plain, "learning_talk") if e.number == 1)


# -- talks 2, 3, 4 [000 table] -----------------------------------------------------------------

@pytest.mark.parametrize("area", ["0-6", "6-18"])
def test_talks_2_3_4_one_in_each_following_half_year(area, plan06, plan618, calendar):
    """Talks 2-4 [000 table]: "Over en periode på to år afholdes fire læringsamtaler", "Én samtale
    i foråret • Én samtale i efteråret": one in each following half-year (spring Feb-mid June,
    autumn Sep-mid Dec), in number order, all before the report-back (SPEC 3)."""
    events, council = (plan06, C06) if area == "0-6" else (plan618, C618)
    y = council.year
    expected = {2: (D(f"{y}-09-01"), D(f"{y}-12-15")), 3: (D(f"{y + 1}-02-01"), D(f"{y + 1}-06-15")),
                4: (D(f"{y + 1}-09-01"), D(f"{y + 1}-12-15"))}
    report_back = {e.unit_id: e.due_date for e in of(events, "report_back_due") if e.unit_id}
    talks = per_unit(events, "learning_talk")
    assert len(talks) == (80 if area == "0-6" else 57)
    for unit_id, ts in talks.items():
        assert [t.number for t in ts] == [1, 2, 3, 4]
        days = [day(t) for t in ts]
        assert days == sorted(days)
        for t in ts[1:]:
            lo, hi = expected[t.number]
            assert lo <= day(t) <= min(hi, report_back[unit_id]), (unit_id, t.number, day(t))
            assert calendar.is_working_day(day(t), t.sector)
        assert days[-1] < report_back[unit_id]


# -- data packages [000, 001, 003] -------------------------------------------------------------

def test_data_package_before_each_talk(plan06, plan618, units, calendar):
    """Data packages [000, 001, 003]: "Datapakken vil være tilgængelig forud for en læringsamtale"
    [000], "Forud for hver lzeringssamtale bliver en datapakke" [001]; available at least 10
    working days before the talk, the trigger to the data team 10 working days before that; the
    special-needs units get tailored packages ("ligt højde for specialområdet" [003])."""
    tailored = set()
    for events in (plan06, plan618):
        talks = {(e.unit_id, e.number): e for e in of(events, "learning_talk")}
        packages = of(events, "data_package")
        assert len(packages) == len(talks)
        for p in packages:
            talk = talks[(p.unit_id, p.number)]
            assert p.parent_uid == talk.uid and p.all_day
            assert calendar.is_working_day(p.due_date)
            assert wd_before(calendar, p.due_date, day(talk), p.sector) >= 10
            trigger = D(p.details["trigger_date"])
            assert wd_before(calendar, trigger, p.due_date) >= 10
            assert p.details["talk_date"] == day(talk).isoformat()
            unit = units[p.unit_id]
            assert p.details["tailored"] is unit.special_needs
            if unit.special_needs:
                tailored.add(unit.id)
            assert p.emails() == emails(unit, "leader", "board")
    assert len(tailored) == 5  # 2 daycares, 2 schools, 1 FU area


# -- one-to-ones [000, 003] --------------------------------------------------------------------

@pytest.mark.parametrize("area", ["0-6", "6-18"])
def test_one_to_ones_three_between_talks_and_three_after_the_last(area, plan06, plan618, units, calendar):
    """One-to-ones [000, 003]: "Der vil blive afholdt seks 1:1 ledelsesopfølgninger om året – tre
    opfølgninger mellem hver læringssamtale." [000]; "minimum 6 årlige ledelsesopfølgninger" [003];
    "1:1 ledelsesopfølgninger mellem Børn og Unge-chef og hhv. dagtilbuds-, skole- og FU-leder"
    [000]. Twelve per loop, three per gap and three after talk 4, at least 14 days from every
    talk, spread evenly across the gap, for the chief and the leader only."""
    events, council = (plan06, C06) if area == "0-6" else (plan618, C618)
    next_council = council.replace(year=council.year + 2)
    talks = per_unit(events, "learning_talk")
    ones = per_unit(events, "one_to_one")
    assert set(ones) == set(talks)
    for unit_id, oo in ones.items():
        unit = units[unit_id]
        tdays = [day(t) for t in talks[unit_id]]
        assert [e.number for e in oo] == list(range(1, 13))
        assert [day(e) for e in oo] == sorted(day(e) for e in oo)
        assert len({day(e) for e in oo}) == 12
        for e in oo:
            assert e.emails() == {unit.chief.email, unit.leader.email}
            assert {a.role for a in e.attendees} == {"chief", "leader"}
            assert e.end - e.start == dt.timedelta(minutes=90)
            assert all(abs((day(e) - td).days) >= 14 for td in tdays)
        anniversary = council.replace(year=council.year + 1)
        assert sum(1 for e in oo if day(e) < anniversary) == 6  # six in each loop-year [000]
        for k in (1, 2, 3, 4):
            mine = [e for e in oo if e.details["after_talk"] == k]
            assert len(mine) == 3
            a = tdays[k - 1] + dt.timedelta(days=14)
            b = (tdays[k] if k < 4 else next_council) - dt.timedelta(days=14)
            gap = calendar.working_days(a, b, unit.sector)
            # Spread evenly over the gap's days in their loop-year (a gap across the anniversary
            # holds what each year still needs).
            for first_year in (True, False):
                part_of = [e for e in mine if (day(e) < anniversary) == first_year]
                stretch = [d for d in gap if (d < anniversary) == first_year]
                for j, e in enumerate(part_of):
                    part = stretch[j * len(stretch) // len(part_of):(j + 1) * len(stretch) // len(part_of)]
                    assert part[0] <= day(e) <= part[-1], (unit_id, k, j, day(e), part[0], part[-1])


def test_one_to_ones_of_a_unit_never_share_a_day(aarhus, calendar):
    """One-to-ones [000]: "tre opfølgninger mellem hver læringssamtale", spread evenly across the
    gap (SPEC 3): never two on the same day. A busy chief (one chief, 76 units from
    bench/make_org.py seed 0, 44 daycares) with the council on 2027-12-02: dt-013 gets one-to-ones
    1 and 2 both on 2028-01-28 (08:00 and 10:00)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_org", ROOT / "bench" / "make_org.py")
    make_org = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_org)
    org = parse_organisation(make_org.render(make_org.generate(76, 1, 0)))
    events = plan_loop(org, aarhus, calendar, LoopSpec("x", "0-6", D("2027-12-02"))).events
    for unit_id, oo in per_unit(events, "one_to_one").items():
        days = [day(e) for e in oo]
        assert len(set(days)) == len(days), (unit_id, sorted(days))


def test_a_feasible_loop_is_not_refused_for_one_to_one_room(aarhus_data, holiday_periods):
    """One-to-ones [000]: "tre opfølgninger mellem hver læringssamtale"; counts are tunable. With
    one_to_ones.min_days_from_talk: 28 and one daycare, council 2027-07-06: talk 1 falls on
    2027-07-13 and talk 2 on the first day of its window 2027-09-01, and the planner refuses
    ("needs 3 one-to-ones between 2027-08-10 and 2027-08-04 ...: 3 over capacity") although talk 2
    could be held any day until 2027-12-15 (e.g. 2027-10-13 leaves 2027-08-10..09-15 free)."""
    fw = framework_with(aarhus_data, one_to_ones__min_days_from_talk=28)
    cal = WorkCalendar(fw, holiday_periods)
    org = parse_organisation(org_csv(daycares(1)))
    events = plan_loop(org, fw, cal, LoopSpec("x", "0-6", D("2027-07-06"))).events
    # Three in each gap; the gap between talks 3 and 4 lies wholly before the anniversary (the
    # summer of 2028 takes its end), so the second loop-year gets three more to hold six
    # [003: "minimum 6 årlige ledelsesopfølgninger"]: 15 in all.
    ones = of(events, "one_to_one")
    assert len(ones) == 15
    assert sum(1 for e in ones if day(e) < D("2028-07-06")) == 9


# -- board statements [000] --------------------------------------------------------------------

def test_board_statements_before_talks_2_3_4_and_the_board_at_talk_1(plan06, plan618, units, calendar):
    """Board statements [000]: "På de efterfølgende læringsamtaler kan bestyrelsens perspektiv
    indgå i læringsamtalens refleksioner enten i form af en udtalelse eller ved deltagelse"; due 5
    working days before talks 2, 3, 4 (SPEC 3); "Repræsentanter fra bestyrelsen deltager også i
    den første læringsamtale" [000]: the board is invited to talk 1."""
    for events in (plan06, plan618):
        talks = {(e.unit_id, e.number): e for e in of(events, "learning_talk")}
        statements = per_unit(events, "board_statement_due")
        # A self-owned daycare's board holds the talks itself [000]: no statement to write.
        assert set(statements) == {u for u, _ in talks if not units[u].self_owned}
        for unit_id, ss in statements.items():
            unit = units[unit_id]
            assert [s.number for s in ss] == [2, 3, 4]
            for s in ss:
                talk = talks[(unit_id, s.number)]
                assert s.parent_uid == talk.uid
                assert calendar.is_working_day(s.due_date)
                assert wd_before(calendar, s.due_date, day(talk), unit.sector) == 5
                assert emails(unit, "board", "leader", "chief") == s.emails()
            board = unit.board.email
            assert board in talks[(unit_id, 1)].emails()
            if not unit.self_owned:
                assert all(board not in talks[(unit_id, n)].emails() for n in (2, 3, 4))


# -- youth input [000, 003] --------------------------------------------------------------------

def test_youth_input_before_talk_1_for_schools_and_fu_only(plan06, plan618, units, calendar):
    """Youth input [000]: "På skolerne og i fritidstilbuddene vil henholdsvis elevrådene og
    senaterne få en central rolle."; "Input vil indgå som data ved den første læringssamtale":
    schools (pupils' council) and FU (youth senate) get a youth-input deadline before talk 1;
    daycares none."""
    assert of(plan06, "youth_input_due") == []
    talks = {(e.unit_id, e.number): e for e in of(plan618, "learning_talk")}
    youth = per_unit(plan618, "youth_input_due")
    assert set(youth) == {u for u, _ in talks}
    for unit_id, ys in youth.items():
        (y,) = ys
        assert y.number == 1
        assert wd_before(calendar, y.due_date, day(talks[(unit_id, 1)]), y.sector) == 3
        body = {"skole": "elevrådet", "fu": "senatet"}[units[unit_id].sector]
        assert y.details["body"] == body and body in y.title


def test_fu_youth_representative_at_one_talk_a_year(plan618, units):
    """FU youth representative [003]: "Deltagelse af ungerepræsentant tilføjes som obligatorisk på
    linje" ... "Dvs. 1 årlig læringssamtale.": invited to one talk in each loop-year (council
    date to its anniversary, and the second year): the first talk of each; schools have no youth
    representative at the talks."""
    anniversary = C618.replace(year=C618.year + 1)
    for unit_id, ts in per_unit(plan618, "learning_talk").items():
        unit = units[unit_id]
        reps = emails(unit, "youth_rep")
        with_reps = [t for t in ts if reps and reps <= t.emails()]
        if unit.sector == "fu":
            assert reps
            assert [day(t) < anniversary for t in with_reps] == [True, False]
            first_of_year2 = min((t for t in ts if day(t) >= anniversary), key=lambda t: t.start)
            assert with_reps == [ts[0], first_of_year2]
            assert all(not (reps & t.emails()) for t in ts if t not in with_reps)
        else:
            assert not reps and all(a.role != "youth_rep" for t in ts for a in t.attendees)


# -- follow-up form [000] ----------------------------------------------------------------------

def test_followup_form_within_10_working_days_after_each_talk(plan06, plan618, calendar):
    """Follow-up form [000]: "Fællesfunktionerne understøtter læringsamtalen med en
    refleksionsguide samt et opfølgningsskema": due 10 working days after each talk; after talk 1
    it records the focus areas and the children's perspective (SPEC 3)."""
    for events in (plan06, plan618):
        talks = {(e.unit_id, e.number): e for e in of(events, "learning_talk")}
        forms = of(events, "followup_form_due")
        assert len(forms) == len(talks)
        for f in forms:
            talk = talks[(f.unit_id, f.number)]
            assert f.parent_uid == talk.uid
            assert wd_after(calendar, day(talk), f.due_date, f.sector) == 10
            assert calendar.is_working_day(f.due_date)
            if f.number == 1:
                assert "fokusområder" in f.title and "børnenes perspektiv" in f.title
            assert {"leader", "chief"} == {a.role for a in f.attendees}


# -- committee overview [000] ------------------------------------------------------------------

def test_committee_overview_after_the_last_talk_1(plan06, plan618, calendar):
    """Committee overview [000]: "Der laves en oversigt over de lokale fokusområder, som
    afrapporteres til Børn og Unge-udvalget.": one, on the first meeting of the committee at
    least 10 working days after the last talk 1 of the loop (frameworks/aarhus.yaml and its
    committee calendar), before any talk 2."""
    meetings = sorted(p.start for p in calendar._by_calendar["aarhus-boern-og-unge-udvalget"])
    for events in (plan06, plan618):
        (overview,) = of(events, "committee_overview")
        firsts = [day(e) for e in of(events, "learning_talk") if e.number == 1]
        seconds = [day(e) for e in of(events, "learning_talk") if e.number == 2]
        assert overview.due_date > max(firsts)
        ready = [m for m in meetings if wd_after(calendar, max(firsts), m) >= 10]
        assert overview.due_date == ready[0]
        assert overview.details["committee_meeting"] == "Møde i Børn og Unge-udvalget"
        assert overview.due_date < min(seconds)
        assert overview.unit_id is None


# -- report-back [000] -------------------------------------------------------------------------

def test_report_back_before_the_next_loops_network_meetings(plan06, example_org, aarhus, calendar):
    """Report-back [000]: "Ved afslutning på den to-årige periode samles der systematisk op på det
    lokale arbejde med fokusområderne", which "indgår som data i netværksdrøftelserne næste gang,
    der skal vælges temaer": each unit's report-back is due before the next loop's network
    meetings, after its last talk; the aggregated report-back follows."""
    next_loop = plan_loop(example_org, aarhus, calendar, LoopSpec("0-6-2029-04-25", "0-6", D("2029-04-25"))).events
    first_next_network = min(day(e) for e in of(next_loop, "network_meeting"))
    backs = of(plan06, "report_back_due")
    unit_backs = [b for b in backs if b.unit_id]
    (aggregated,) = [b for b in backs if not b.unit_id]
    assert len(unit_backs) == 80
    due = {b.due_date for b in unit_backs}
    assert len(due) == 1
    (due,) = due
    assert due < first_next_network
    # About two weeks before (weeks_before_next_network_meeting: 2, counted from the nominal date
    # two years on, as the next council date is not known yet), so the networks can use it.
    assert (first_next_network - due).days >= 7
    assert due == calendar.on_or_before_working_day(D("2029-04-28") - dt.timedelta(weeks=22))
    last_talks = [day(e) for e in of(plan06, "learning_talk")]
    assert max(last_talks) <= due - dt.timedelta(days=7)
    assert aggregated.details["aggregated"] is True
    assert wd_after(calendar, due, aggregated.due_date) == 5
    assert aggregated.due_date < D("2029-04-25")


# -- self-owned daycares [000, 003] ------------------------------------------------------------

def test_self_owned_daycares_board_hosts_every_talk(plan06, units):
    """Self-owned daycares [000, 003]: "For de selvejende dagtilbud gælder det, at bestyrelsen
    afholder de halvårslige læringsamtaler." [000]: host_role 'board' on every talk, the board at
    every talk, the chief invited; other units' talks are hosted by the chief."""
    talks = per_unit(plan06, "learning_talk")
    self_owned = [u for u in talks if units[u].self_owned]
    assert len(self_owned) == 12
    for unit_id, ts in talks.items():
        unit = units[unit_id]
        for t in ts:
            if unit.self_owned:
                assert t.host_role == "board"
                assert unit.board.email in t.emails() and unit.chief.email in t.emails()
                assert next(a.role for a in t.attendees if a.email == unit.board.email) == "board"
            else:
                assert t.host_role == "chief"


def test_self_owned_daycares_yearly_supervision_report(plan06, plan618, units, calendar):
    """Supervision report [000, 003]: "Bestyrelserne for de selvejende dagtilbud afrapporterer"
    [003]; "Børn og Unge-chefens opfølgning består af bestyrelsens skriftlige afrapportering samt
    data fra fællesfunktionerne." [000]: one written report a year (30 and 82 weeks after the
    council), self-owned daycares only, to the board and the chief."""
    reports = per_unit(plan06, "supervision_report_due")
    assert set(reports) == {u for u, unit in units.items() if unit.self_owned}
    for unit_id, rs in reports.items():
        assert [r.number for r in rs] == [1, 2]
        expected = [calendar.on_or_before_working_day(C06 + dt.timedelta(weeks=w)) for w in (30, 82)]
        assert [r.due_date for r in rs] == expected
        assert rs[1].due_date - rs[0].due_date >= dt.timedelta(days=350)
        assert rs[0].emails() == emails(units[unit_id], "board", "chief")
    assert of(plan618, "supervision_report_due") == []


# -- participants [000 table, 003] -------------------------------------------------------------

EXPECTED_ROLES = {
    # [000 table]: "Børn og Unge-chef • Dagtilbudsleder • Pædagogiske ledere • Medarbejderrepræsentant",
    # "Bestyrelsesrepræsentant (som minimum på første samtale)", "Faglig konsulent".
    "dagtilbud": {"chief", "leader", "pedagogical_leader", "employee_rep", "consultant"},
    "skole": {"chief", "leader", "pedagogical_leader", "employee_rep", "consultant"},
    # [000 table] "FU-leder • FU-Viceleder • Fritidscenterledere • Ungdomsskolekoordinatorer";
    # [003] "Der tilføjes ”afdelingslederrepræsentant”."
    "fu": {"chief", "leader", "deputy_leader", "leisure_centre_leader", "youth_school_coordinator", "employee_rep",
           "dept_leader_rep", "consultant"},
}


def test_participants_per_sector_and_talk_number(plan06, plan618, units):
    """Participants [000 table, 003]: "Børn og Unge-chef • Dagtilbudsleder • Pædagogiske ledere •
    Medarbejderrepræsentant", "Bestyrelsesrepræsentant (som minimum på første samtale)", "Faglig
    konsulent" [000]; FU: "FU-leder • FU-Viceleder • Fritidscenterledere •
    Ungdomsskolekoordinatorer" [000], "Der tilføjes ”afdelingslederrepræsentant”." and the youth
    representative [003]. Every person of those roles is invited, nobody else."""
    for events in (plan06, plan618):
        for unit_id, ts in per_unit(events, "learning_talk").items():
            unit = units[unit_id]
            for t in ts:
                roles = set(EXPECTED_ROLES[unit.sector])
                if t.number == 1 or unit.self_owned:
                    roles.add("board")
                if unit.sector == "fu" and "youth_rep" in t.details.get("yearly_roles", []):
                    roles.add("youth_rep")
                assert t.emails() == emails(unit, *roles), (unit_id, t.number)
                assert {a.role for a in t.attendees} == {r for r in roles if unit.role(r)}
                assert t.end - t.start == dt.timedelta(minutes=150)


# -- meetings: working days, hours, holidays [SPEC 3; DOMAIN calendar facts] --------------------

@pytest.mark.parametrize("area", ["0-6", "6-18"])
def test_meetings_on_working_days_inside_working_hours(area, plan06, plan618, calendar):
    """Meetings [SPEC 3; 003 "udtrykker dog bekymring i forhold til tidsforbruget for
    medarbejdere"]: talks, one-to-ones and network meetings fall on weekdays inside 08:00-16:00
    Europe/Copenhagen, never on a Danish public holiday (the holidays package, in Danish), a
    municipal closing day (Grundlovsdag, 24 and 31 December) or the sector's school holidays and
    closing days. The check here does not ask the work calendar; it asks the sources."""
    events = plan06 if area == "0-6" else plan618
    closed_days = {"06-05", "12-24", "12-31"}
    meetings = [e for e in events if e.kind in MEETING_KINDS]
    assert len(meetings) > 900
    for e in meetings:
        start, end = e.start.astimezone(TZ), e.end.astimezone(TZ)
        d = start.date()
        assert d.isoweekday() <= 5, e
        assert d not in holidays_lib.country_holidays("DK", years=[d.year], language="da"), e
        assert d.strftime("%m-%d") not in closed_days, e
        assert dt.time(8) <= start.time() and end.time() <= dt.time(16) and end.date() == d, e
        assert e.start.utcoffset() == TZ.utcoffset(start.replace(tzinfo=None))
        sectors = [e.sector] if e.sector else []
        for s in sectors:
            for p in calendar.periods_for(s):
                assert not p.start <= d <= p.end, (e.kind, e.unit_id, d, p.name)


def test_daycare_meetings_may_be_in_the_winter_break_school_meetings_not(plan06, plan618):
    """Daycares do not close for the school winter break (week 7); schools and FU do (DOMAIN,
    calendar facts; frameworks/holidays). The 0-6 loop holds daycare meetings in week 7 of 2028;
    the 6-18 loop holds no school or FU meeting in week 7 (Vinterferie 2027-02-13..21)."""
    week7_daycare = [e for e in plan06 if e.kind in MEETING_KINDS and day(e).isocalendar()[:2] == (2028, 7)]
    assert week7_daycare and {e.sector for e in week7_daycare} == {"dagtilbud"}
    for year in (2027, 2028):
        assert not [e for e in plan618 if e.kind in MEETING_KINDS and day(e).isocalendar()[:2] == (year, 7)]
    # The 6-18 loop does have meetings in the weeks around it.
    assert [e for e in plan618 if e.kind in MEETING_KINDS and day(e).isocalendar()[:2] == (2027, 8)]


def test_meeting_times_across_the_daylight_saving_changes(example_org, aarhus, calendar):
    """Times are right across daylight-saving changes (SPEC 3 "08:00-16:00 Europe/Copenhagen";
    SPEC 6). Council 2027-03-15: network meeting 1 targets Monday 2026-10-26, the day after the
    October change, so it is 08:00+01:00 (07:00 UTC). Council 2025-06-23: network meeting 2 targets
    Monday 2025-03-31, the day after the March change: 08:00+02:00 (06:00 UTC)."""
    utc = dt.timezone.utc
    autumn = plan_loop(example_org, aarhus, calendar, LoopSpec("a", "0-6", D("2027-03-15"))).events
    (n1,) = [e for e in of(autumn, "network_meeting") if e.number == 1]
    assert n1.start.isoformat() == "2026-10-26T08:00:00+01:00"
    assert n1.start.astimezone(utc) == dt.datetime(2026, 10, 26, 7, 0, tzinfo=utc)
    assert n1.end.isoformat() == "2026-10-26T11:00:00+01:00"
    spring = plan_loop(example_org, aarhus, calendar, LoopSpec("s", "0-6", D("2025-06-23"))).events
    (n2,) = [e for e in of(spring, "network_meeting") if e.number == 2]
    assert n2.start.isoformat() == "2025-03-31T08:00:00+02:00"
    assert n2.start.astimezone(utc) == dt.datetime(2025, 3, 31, 6, 0, tzinfo=utc)
    # Every meeting of both loops: wall clock 08:00-16:00, offset as zoneinfo has it that date.
    for e in autumn + spring:
        if e.kind in MEETING_KINDS:
            local = e.start.astimezone(TZ)
            assert e.start.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))
            assert e.start.utcoffset() == TZ.utcoffset(local.replace(tzinfo=None)), (e.kind, local)
            assert dt.time(8) <= local.time() and e.end.astimezone(TZ).time() <= dt.time(16)


# -- people: no overlap, buffer, per-day limit, shared leaders [SPEC 3; 003] --------------------

def _meetings_per_person(events):
    out = collections.defaultdict(list)
    for e in events:
        if e.kind in MEETING_KINDS:
            for a in e.attendees:
                out[a.email].append(e)
    for v in out.values():
        v.sort(key=lambda e: e.start)
    return out


@pytest.mark.parametrize("area", ["0-6", "6-18"])
def test_no_person_in_two_meetings_at_once_with_the_buffer(area, plan06, plan618, aarhus):
    """Meetings [SPEC 3]: no person is booked into two meetings at once, and 30 minutes lie
    between two meetings of the same person (buffer_minutes); at most 3 meetings a person a day
    (max_meetings_per_person_per_day; "udtrykker dog bekymring i forhold til tidsforbruget for
    medarbejdere" [003])."""
    events = plan06 if area == "0-6" else plan618
    busiest = 0
    for email, evs in _meetings_per_person(events).items():
        for a, b in zip(evs, evs[1:]):
            assert b.start >= a.end + dt.timedelta(minutes=aarhus.buffer_minutes), (email, a.start, b.start)
        per_day = collections.Counter(day(e) for e in evs)
        busiest = max(busiest, max(per_day.values()))
        assert max(per_day.values()) <= aarhus.max_meetings_per_person_per_day, email
    assert busiest >= 2  # the limit and buffer are exercised, not vacuous


def test_per_person_per_day_limit_and_buffer_are_tunable(aarhus_data, holiday_periods):
    """Meetings [SPEC 3]: the limit and the buffer are framework data: one meeting a person a day
    and a 60-minute buffer are kept by the plan."""
    fw = framework_with(aarhus_data, max_meetings_per_person_per_day=1, buffer_minutes=60)
    cal = WorkCalendar(fw, holiday_periods)
    org = parse_organisation(org_csv(daycares(12, chief="chief-a@example.dk") +
                                     daycares(12, chief="chief-b@example.dk", prefix="dv")))
    events = plan_loop(org, fw, cal, LoopSpec("x", "0-6", C06)).events
    for email, evs in _meetings_per_person(events).items():
        assert max(collections.Counter(day(e) for e in evs).values()) == 1, email
        for a, b in zip(evs, evs[1:]):
            assert b.start >= a.end + dt.timedelta(minutes=60)


def test_a_leader_of_two_units_is_never_double_booked(plan06, plan618, example_org, aarhus, calendar):
    """Meetings [SPEC 2.1 "A leader may lead several units"; SPEC 3]: the example organisation's
    three leaders of two units are never in two meetings at once; nor is a leader whose two units
    have different chiefs (so the chiefs' spreading would put both talks at the same time)."""
    leaders = collections.Counter(u.leader.email for u in example_org.units)
    shared = [e for e, n in leaders.items() if n == 2]
    assert len(shared) == 3
    for events in (plan06, plan618):
        per_person = _meetings_per_person(events)
        for email in shared:
            evs = per_person.get(email, [])
            for a, b in zip(evs, evs[1:]):
                assert b.start >= a.end + dt.timedelta(minutes=30), (email, a.start, b.start)
    rows = daycares(1, chief="chief-a@example.dk") + daycares(1, chief="chief-b@example.dk", prefix="dv")
    rows[1]["leader_email"], rows[1]["leader_name"] = rows[0]["leader_email"], rows[0]["leader_name"]
    org = parse_organisation(org_csv(rows))
    events = plan_loop(org, aarhus, calendar, LoopSpec("x", "0-6", C06)).events
    evs = _meetings_per_person(events)[rows[0]["leader_email"]]
    assert len([e for e in evs if e.kind == "learning_talk"]) == 8
    for a, b in zip(evs, evs[1:]):
        assert b.start >= a.end + dt.timedelta(minutes=30), (a.title, a.start, b.title, b.start)


# -- deterministic [SPEC 3] --------------------------------------------------------------------

def test_the_same_inputs_give_the_same_plan(example_org, aarhus, calendar, holiday_periods, aarhus_data):
    """Deterministic (SPEC 3): the same inputs give an identical event list, uids included; the
    order of the rows in the organisation file does not matter; another loop gets other uids."""
    spec = LoopSpec("0-6-2027-04-28", "0-6", C06)
    first = plan_loop(example_org, aarhus, calendar, spec).events
    lines = EXAMPLE_ORG.read_text(encoding="utf-8").splitlines()
    body = lines[1:]
    random.Random(7).shuffle(body)
    shuffled = parse_organisation("\n".join([lines[0], *body]) + "\n")
    fresh_fw = framework_with(copy.deepcopy(aarhus_data))
    again = plan_loop(shuffled, fresh_fw, WorkCalendar(fresh_fw, list(holiday_periods)), spec).events
    assert again == first
    assert [e.uid for e in again] == [e.uid for e in first]
    other = plan_loop(example_org, aarhus, calendar, LoopSpec("0-6-2027-05-05", "0-6", C06)).events
    assert not {e.uid for e in other} & {e.uid for e in first}


# -- refusals [SPEC 3; issue] ------------------------------------------------------------------

def _over_capacity_org(n: int) -> str:
    return org_csv(daycares(n, chief="chief@example.dk"))


def test_a_chief_over_capacity_is_refused_naming_the_person_window_and_excess(aarhus, calendar):
    """When the constraints cannot all be met (a chief with more talks than the window has
    slots), the planner refuses with a message that names the person, the window and how far over
    capacity (issue; SPEC 3). One chief with 80 daycares: talk 1's window 2027-05-05..06-23 has 33
    daycare working days, two 2.5-hour talks a day: room for 66, 14 over capacity."""
    org = parse_organisation(_over_capacity_org(80))
    working = calendar.working_days(D("2027-05-05"), D("2027-06-23"), "dagtilbud")
    assert len(working) == 33
    with pytest.raises(PlanningError) as exc:
        plan_loop(org, aarhus, calendar, LoopSpec("x", "0-6", C06))
    message = str(exc.value)
    assert "chief@example.dk" in message                       # the person
    assert "2027-05-05" in message and "2027-06-23" in message  # the window
    assert "14 over capacity" in message                       # how far over
    assert "learning talk 1 of 80 units" in message and "room for 66" in message and "33 working days" in message
    assert "2 talks a day" in message
    # Within the room: planned. (66, the room's size, no longer fits: the same chief's 198
    # one-to-ones between talk 1 and talk 2 have the summer holiday taken out of their gap.)
    org = parse_organisation(_over_capacity_org(60))
    events = plan_loop(org, aarhus, calendar, LoopSpec("x", "0-6", C06)).events
    assert len(of(events, "learning_talk")) == 60 * 4


def test_the_capacity_refusal_counts_in_good_english(aarhus_data, calendar):
    """One 5-hour talk a day fits: the sentence says "1 talk a day", not "1 talks a day", and
    names talk 1 and the units ("learning talk 1 of 80 units", not "80 learning talks 1")."""
    fw = framework_with(aarhus_data, durations__learning_talk=300)
    with pytest.raises(PlanningError) as exc:
        plan_loop(parse_organisation(_over_capacity_org(80)), fw, calendar, LoopSpec("x", "0-6", C06))
    message = str(exc.value)
    assert "must attend learning talk 1 of 80 units between 2027-05-05 and 2027-06-23" in message
    assert "(33 working days, 1 talk a day): 47 over capacity" in message


def test_over_capacity_through_the_command_line_changes_nothing(cli, tmp_path):
    """The same refusal from `kvalitetsloop loop start`, on SQLite and PostgreSQL: one sentence on
    stderr, exit code 2, no traceback, no loop stored."""
    csv_file = tmp_path / "org.csv"
    csv_file.write_text(_over_capacity_org(80), encoding="utf-8")
    cli("org", "import", str(csv_file), "--now", NOW)
    proc = cli("loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held", check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    err = " ".join(proc.stderr.split())
    assert err.startswith("Error: the loop cannot be planned: chief@example.dk must attend learning talk 1 of 80 units")
    assert "between 2027-05-05 and 2027-06-23" in err and "14 over capacity" in err
    assert "No loop has been started yet." in cli("loop", "list").stdout


# -- the rules module agrees with the planner ---------------------------------------------------

@pytest.fixture(scope="module")
def small_plans(aarhus, calendar):
    org = parse_organisation(EXAMPLE_ORG.read_text(encoding="utf-8"))
    keep = {u.id for u in org.units if u.id.endswith(("1", "5"))}
    small = type(org)(tuple(u for u in org.units if u.id in keep))
    return small, {area: plan_loop(small, aarhus, calendar, LoopSpec("x", area, c)).events
                   for area, c in (("0-6", C06), ("6-18", C618))}


def test_every_planned_meeting_passes_check_placement(small_plans, aarhus, calendar):
    """rules.check_placement, the rules a moved event must keep (SPEC 3 "Meetings"), accepts every
    meeting where the planner put it."""
    _, plans = small_plans
    for events in plans.values():
        for e in events:
            if e.kind in MEETING_KINDS:
                assert check_placement(e, e.start, e.end, events, aarhus, calendar, TZ) == [], (e.kind, e.uid)


def test_every_planned_deadline_passes_check_placement(small_plans, aarhus, calendar):
    """A talk's deadlines (data package, board statement, youth input, follow-up form) are where
    rules.check_placement allows them: on a working day of the unit. In the 6-18 loop of
    2026-04-29 a school's follow-up form falls due in the summer holiday (2026-06-29..07-03) and
    a data package in the autumn break; in the 0-6 loop one in the daycares' Easter closing days."""
    _, plans = small_plans
    problems = []
    for events in plans.values():
        for e in events:
            if e.parent_uid:
                for p in check_placement(e, e.start, e.end, events, aarhus, calendar, TZ):
                    problems.append(f"{e.kind} {e.unit_id} {e.number}: {p}")
    assert problems == []
