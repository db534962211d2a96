"""Danish text survives: escaped, folded at 75 octets, never split inside a character."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from ics_readers import physical_lines, read_all

from calendars import feeds, ical, invitations
from calendars.context import CalendarContext, UnitInfo
from cycle.events import Attendee, Event, make_uid

CPH = ZoneInfo("Europe/Copenhagen")
LONG_NAME = ("Den Integrerede Institution Æblehaven, Østergårdens Børnehus & Ålykkens Vuggestue; "
             "afdeling Søndervangen – med særlige pladser for børn med behov for støtte")
TRICKY_TITLE = 'Læringssamtale 2 af 4: Børnehuset "Ærø"; Østre, Åby \\ Skæring\nafd. 2'
ADDRESS = "Ørnevej 7, 1. sal; indgang fra gården, 8270 Højbjerg"


def _event(**changes) -> Event:
    start = dt.datetime(2027, 9, 14, 9, 0, tzinfo=CPH)
    base = Event(uid=make_uid("text", "learning_talk", "dt-999", 2), kind="learning_talk", start=start,
                 end=start + dt.timedelta(minutes=150), title=TRICKY_TITLE, unit_id="dt-999", number=2,
                 attendees=(Attendee("chief-09@example.dk", "chief", "Søren Ærbødig-Åkjær, cand.pæd."),
                            Attendee("leder@example.dk", "leader", "Mette; Ørsted: Ågård"),
                            Attendee("bestyrelse-dt-999@example.dk", "board", LONG_NAME)),
                 host_role="chief", sector="dagtilbud")
    return base.with_changes(**changes)


def _ctx() -> CalendarContext:
    return CalendarContext(organiser="kvalitet@aarhus.example.dk", organiser_name="Børn og Unge, Aarhus Kommune",
                           base_url="https://kvalitet.aarhus.example.dk/",
                           units={"dt-999": UnitInfo(LONG_NAME, ADDRESS, "dagtilbud")},
                           data_package_urls={_event().uid: "/datapakker/dt-999/2?sprog=da&år=2027"},
                           now=dt.datetime(2027, 8, 1, tzinfo=dt.timezone.utc))


def test_danish_text_comes_back_exactly_in_every_parser():
    event = _event()
    data = invitations.request(event, _ctx())
    for name, (_, [r]) in read_all(data).items():
        assert r.summary == TRICKY_TITLE, name
        assert r.location == ADDRESS, name
        assert LONG_NAME in r.description, name
        assert "Datagrundlag:\nA. Kvantitative datapakker\n" in r.description, name
        assert "Datapakke: https://kvalitet.aarhus.example.dk/datapakker/dt-999/2?sprog=da&år=2027" in r.description
        cns = {a[0]: a[1] for a in r.attendees}
        assert cns == {"chief-09@example.dk": "Søren Ærbødig-Åkjær, cand.pæd.",
                       "leder@example.dk": "Mette; Ørsted: Ågård",
                       "bestyrelse-dt-999@example.dk": LONG_NAME}, name


def test_no_physical_line_is_longer_than_75_octets_or_splits_a_character():
    data = invitations.request(_event(), _ctx()) + feeds.loop_calendar([_event()], _ctx())
    lines = physical_lines(data)
    assert any(line.startswith(b" ") for line in lines), "long lines are folded"
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a multi-byte character was cut
        assert not line.startswith(b"  "), "a fold inserts exactly one space"


@pytest.mark.parametrize("prefix", range(0, 8))
def test_folding_never_cuts_a_character_wherever_it_falls(prefix):
    """ASCII prefixes of every length shift 2-, 3- and 4-byte characters across the fold point."""
    for char in ("æ", "ø", "å", "Å", "–", "€", "😀"):
        text = "x" * prefix + char * 60
        folded = ical.text_line("SUMMARY", text)
        physical = folded[:-2].split(b"\r\n")
        for line in physical:
            assert len(line) <= 75
            line.decode("utf-8")
        unfolded = folded[:-2].replace(b"\r\n ", b"").decode("utf-8")
        assert unfolded == "SUMMARY:" + text


def test_folding_keeps_backslash_escapes_together():
    for n in range(60, 80):
        text = "a" * n + "\n;,\\" * 10
        folded = ical.text_line("DESCRIPTION", text)
        for line in folded[:-2].split(b"\r\n"):
            stripped = line.lstrip(b" ")
            # Count the backslashes at the end: an odd run would be an escape cut in two.
            run = len(stripped) - len(stripped.rstrip(b"\\"))
            assert run % 2 == 0, line
        assert folded[:-2].replace(b"\r\n ", b"").decode() == "DESCRIPTION:" + ical.escape_text(text)


def test_text_values_escape_commas_semicolons_backslashes_and_newlines():
    assert ical.escape_text('a,b;c\\d\ne\r\nf') == "a\\,b\\;c\\\\d\\ne\\nf"
    data = invitations.request(_event(), _ctx())
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    summary = next(line for line in unfolded.split("\r\n") if line.startswith("SUMMARY:"))
    assert summary == 'SUMMARY:Læringssamtale 2 af 4: Børnehuset "Ærø"\\; Østre\\, Åby \\\\ Skæring\\nafd. 2'


def test_names_with_quotes_and_line_breaks_still_give_a_valid_attendee():
    event = _event(attendees=(Attendee("x@example.dk", "leader", 'Bestyrelsen for "Solsikken"\nafd. 2'),))
    data = invitations.request(event, _ctx())
    for name, (_, [r]) in read_all(data).items():
        assert r.attendees[0][:2] == ("x@example.dk", "Bestyrelsen for 'Solsikken' afd. 2"), name


def test_control_characters_pasted_into_a_name_do_not_break_the_file():
    event = _event(title="Læringssamtale 2 af 4:\x0bBørnehuset\x00 Ærø\tvest")
    data = invitations.request(event, _ctx())
    for name, (_, [r]) in read_all(data).items():
        assert r.summary == "Læringssamtale 2 af 4:Børnehuset Ærø\tvest", name
