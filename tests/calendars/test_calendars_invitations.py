"""What an invitation tells its reader, for every meeting kind."""

from __future__ import annotations

import icalendar
from dataclasses import replace

from calendars import invitations
from calendars.texts import DATA_BASIS, ONE_TO_ONE_AGENDA


def _vevent(data: bytes):
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "REQUEST"
    [ev] = cal.walk("VEVENT")
    return ev


def _attendees(ev):
    atts = ev.get("ATTENDEE", [])
    return {str(a)[7:]: a.params for a in (atts if isinstance(atts, list) else [atts])}


def test_a_learning_talk_says_which_talk_for_which_unit_and_on_what_data(loop06, org):
    talk = loop06.one("learning_talk", "dt-003", 2)
    unit = org.by_id()["dt-003"]
    ev = _vevent(invitations.request(talk, loop06.ctx))
    text = str(ev["DESCRIPTION"])
    assert str(ev["SUMMARY"]) == f"Læringssamtale 2 af 4: {unit.name}"
    assert text.startswith(f"Læringssamtale 2 af 4 for {unit.name} (dagtilbud).")
    assert "0-6-årsområdet" in text and "28. april 2027" in text
    assert "Datagrundlag:" in text
    for letter, basis in DATA_BASIS:
        assert f"{letter}. {basis}" in text
    assert "Bestyrelsens skriftlige udtalelse indgår i datagrundlaget (D)." in text
    assert f"Vært: Børn og Unge-chef {unit.chief.name} <{unit.chief.email}>." in text
    assert str(ev["LOCATION"]) == unit.address
    atts = _attendees(ev)
    assert atts[unit.chief.email]["ROLE"] == "CHAIR"
    assert atts[unit.leader.email]["ROLE"] == "REQ-PARTICIPANT"
    assert set(atts) == {a.email for a in talk.attendees}
    # No links promised that do not exist yet.
    assert "Datapakke:" not in text and "Opfølgningsskema:" not in text


def test_the_first_talk_is_about_choosing_focus_areas_and_the_childrens_perspective(loop618):
    talk = loop618.one("learning_talk", "sk-001", 1)
    text = str(_vevent(invitations.request(talk, loop618.ctx))["DESCRIPTION"])
    assert "lokale fokusområder" in text and "børnenes og de unges perspektiv" in text
    assert "Input fra elevrådet indgår i datagrundlaget (E)." in text
    assert "Bestyrelsen deltager i første læringssamtale (D)." in text
    fu = loop618.one("learning_talk", "fu-001", 1)
    assert "Input fra senatet" in str(_vevent(invitations.request(fu, loop618.ctx))["DESCRIPTION"])


def test_in_a_self_owned_daycare_the_board_hosts_and_the_chief_is_invited(loop06, org):
    unit = org.by_id()["dt-001"]
    assert unit.self_owned
    for n in (1, 2, 3, 4):
        talk = loop06.one("learning_talk", "dt-001", n)
        ev = _vevent(invitations.request(talk, loop06.ctx))
        atts = _attendees(ev)
        assert atts[unit.board.email]["ROLE"] == "CHAIR"
        assert atts[unit.chief.email]["ROLE"] == "REQ-PARTICIPANT"
        assert atts[unit.chief.email]["PARTSTAT"] == "NEEDS-ACTION"
        text = str(ev["DESCRIPTION"])
        assert f"Vært: bestyrelsen (selvejende dagtilbud). Kontakt: {unit.board.name} <{unit.board.email}>." in text
        assert "Børn og Unge-chefen er inviteret" in text
        # The invitation itself still comes from the administration's mailbox.
        assert str(ev["ORGANIZER"]) == "mailto:kvalitet@aarhus.example.dk"


def test_links_to_the_data_package_and_the_follow_up_form_when_they_exist(loop06):
    talk = loop06.one("learning_talk", "dt-003", 3)
    ctx = replace(loop06.ctx, data_package_urls={talk.uid: "/datapakke/dt-003/3"},
                  followup_form_urls={talk.uid: "https://forms.example.dk/opfoelgning/abc"})
    text = str(_vevent(invitations.request(talk, ctx))["DESCRIPTION"])
    assert "Datapakke: https://kvalitet.aarhus.example.dk/datapakke/dt-003/3" in text
    assert "Opfølgningsskema: https://forms.example.dk/opfoelgning/abc" in text


def test_a_one_to_one_carries_its_agenda(loop06, org):
    one = loop06.one("one_to_one", "dt-003", 5)
    unit = org.by_id()["dt-003"]
    ev = _vevent(invitations.request(one, loop06.ctx))
    text = str(ev["DESCRIPTION"])
    assert text.startswith(f"1:1 ledelsesopfølgning 5 af 12 for {unit.name}.")
    assert "Dagsorden:" in text
    for i, item in enumerate(ONE_TO_ONE_AGENDA, start=1):
        assert f"{i}. {item}" in text
    assert set(_attendees(ev)) == {unit.chief.email, unit.leader.email}
    assert str(ev["LOCATION"]) == unit.address


def test_a_network_meeting_invites_the_whole_network_without_listing_every_name(loop06):
    meeting = loop06.one("network_meeting")
    ev = _vevent(invitations.request(meeting, loop06.ctx))
    assert len(_attendees(ev)) == len(meeting.attendees) > 20
    text = str(ev["DESCRIPTION"])
    assert "temaerne til kvalitetsrapporten" in text
    assert f"Deltagere: {len(meeting.attendees)}" in text
    assert "LOCATION" not in ev


def test_no_location_when_the_unit_has_no_address(loop618, org):
    assert org.by_id()["sk-018"].address == ""
    ev = _vevent(invitations.request(loop618.one("learning_talk", "sk-018", 1), loop618.ctx))
    assert "LOCATION" not in ev


def test_a_person_added_as_recipient_appears_among_the_attendees(loop06):
    one = loop06.one("one_to_one", "dt-006", 2)
    ev = _vevent(invitations.request(one, loop06.ctx, recipients=["Vikar.Leder@Example.dk"]))
    assert "vikar.leder@example.dk" in _attendees(ev)
    assert len(_attendees(ev)) == len(one.attendees) + 1


def test_the_organiser_is_the_administrations_mailbox_from_the_settings(loop06, monkeypatch):
    from calendars.context import CalendarContext
    from kvalitetsloop.settings import Settings

    monkeypatch.setenv("KVALITETSLOOP_ORGANISER", "kvalitetsopfoelgning@kommune.example.dk")
    monkeypatch.setenv("KVALITETSLOOP_ORGANISER_NAME", "Børn og Unge, Forvaltningen")
    ctx = CalendarContext.from_settings(Settings(), units=loop06.ctx.units, now=loop06.ctx.now)
    ev = _vevent(invitations.request(loop06.one("one_to_one", "dt-003", 1), ctx))
    assert str(ev["ORGANIZER"]) == "mailto:kvalitetsopfoelgning@kommune.example.dk"
    assert ev["ORGANIZER"].params["CN"] == "Børn og Unge, Forvaltningen"
