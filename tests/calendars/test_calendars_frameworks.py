"""Invitations and feeds speak the loop's framework: Albertslund's [004] talks, roles, bodies and
data basis, never Aarhus's; a sentence that states a framework rule appears only where the
framework has that rule; the calendar's PRODID names the product, not a municipality."""

from __future__ import annotations

import re
from dataclasses import replace

import icalendar
import pytest

from calendars import feeds, invitations, texts
from calendars.context import loop_info
from cycle.framework import AARHUS_DATA_BASIS, AARHUS_ROLE_LABELS

# Aarhus's words [000] that are false or foreign in an Albertslund loop.
AARHUS_ONLY = ("Børn og Unge", "Aarhus", "læringssamtale", "Læringssamtale", "byråd", "Byråd",
               "kvalitetsrapport", "fokusområde", "læringscirkel", "skriftlige udtalelse",
               "1:1 ledelsesopfølgninger", "dataårshjul", *AARHUS_DATA_BASIS)
STATEMENT = "skriftlige udtalelse indgår i datagrundlaget"


def _vevent(data: bytes):
    [ev] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return ev


def _description(event, ctx) -> str:
    return str(_vevent(invitations.request(event, ctx))["DESCRIPTION"])


def test_albertslunds_evaluation_talk_is_named_and_described_as_albertslund_has_it(alb06, albertslund, org):
    talk = alb06.one("learning_talk", "dt-003", 3)
    unit = org.by_id()["dt-003"]
    ev = _vevent(invitations.request(talk, alb06.ctx))
    text = str(ev["DESCRIPTION"])
    assert str(ev["SUMMARY"]) == f"Evaluering af hele den pædagogiske læreplan: {unit.name}"
    assert text.startswith(
        f"Evaluering af hele den pædagogiske læreplan (kvalitetsdialog 3 af 3) for {unit.name} (dagtilbud).")
    assert "Læringssamtale 3 af 3" not in text
    # Albertslund has no board statements (board_statements.talks is empty) ...
    assert albertslund.board_statements.talks == []
    assert STATEMENT not in text
    # ... but its parents' board takes part in talks 1 and 3.
    assert "Forældrebestyrelsen deltager i tredje kvalitetsdialog." in text
    # The data basis is Albertslund's, lettered in order.
    basis = text.split("Datagrundlag:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    want = [f"{chr(ord('A') + i)}. {item}" for i, item in enumerate(albertslund.talks.data_basis)]
    assert basis[:len(want)] == want
    assert "den pædagogiske læreplan" in text.lower()
    assert albertslund.calendar_texts.talk_purposes[3] in text
    assert f"Vært: dagtilbudschef {unit.chief.name} <{unit.chief.email}>." in text
    assert f"- {unit.chief.name} (dagtilbudschef)" in text and f"- {unit.leader.name} (dagtilbudsleder)" in text
    # No council [004]: the loop is named by its start date.
    assert "Kvalitetsloop for 0-6-årsområdet om kvaliteten i dagtilbuddene, startet onsdag den 28. april 2027." in text
    assert "kommunalbestyrelse" not in text.lower() and "drøftelse" not in text
    for word in AARHUS_ONLY:
        assert word not in text, word


def test_no_albertslund_description_uses_aarhus_words(alb06):
    """Every event of the loop, as the loop calendar shows it (the planner's titles aside)."""
    cal = icalendar.Calendar.from_ical(feeds.loop_calendar(alb06.events, alb06.ctx))
    by_uid = {e.uid: e for e in alb06.events}
    kinds = set()
    for ev in cal.walk("VEVENT"):
        e = by_uid[str(ev["UID"])]
        kinds.add(e.kind)
        text = str(ev["DESCRIPTION"]).replace(e.title, "")
        for word in AARHUS_ONLY:
            assert word not in text, (e.kind, e.title, word)
    assert kinds == {"learning_talk", "network_meeting", "followup_form_due", "observation_visit",
                     "observation_feedback", "observation_agreement_due"}
    name = str(cal["X-WR-CALNAME"])
    assert name.startswith("Kvalitetsloop 0-6") and name.endswith(" start 2027-04-28") and "byråd" not in name


def test_a_self_owned_albertslund_daycare_names_albertslunds_board_and_administration(alb06, org):
    unit = org.by_id()["dt-001"]
    assert unit.self_owned
    text = _description(alb06.one("learning_talk", "dt-001", 2), alb06.ctx)
    assert (f"Vært: forældrebestyrelsen (selvejende dagtilbud). Kontakt: {unit.board.name} "
            f"<{unit.board.email}>.") in text
    assert ("Afdelingen for dagtilbud sender indkaldelsen på forældrebestyrelsens vegne; "
            "dagtilbudschefen er inviteret.") in text
    assert "deltager i anden" not in text  # talk 2 is not one the framework invites the board to


def test_an_albertslund_visit_is_described_in_albertslunds_words(alb06, albertslund, org):
    """A mutual visit [004: "GENSIDIGE BESØG"]: its name, host and visitors, and the framework's
    purpose in the seed's words; not 001's learning-environment observation."""
    visit = alb06.one("observation_visit", "dt-003", 1)
    text = _description(visit, alb06.ctx)
    host, visitor = org.by_id()["dt-003"], org.by_id()[visit.details["visitor_unit"]]
    assert text.startswith(f"Gensidigt besøg hos {host.name}: besøg fra {visitor.name}, ")
    assert albertslund.observation_visits.purpose in text
    assert "observationsteam" not in text and "Læringsmiljø" not in text
    for word in AARHUS_ONLY:
        assert word not in text, word


@pytest.mark.parametrize("statement_talks", [[2, 3, 4], [3], []])
def test_the_board_statement_sentence_is_there_only_for_the_frameworks_statement_talks(loop06, framework,
                                                                                       statement_talks):
    fw = framework.model_copy(update={"board_statements": framework.board_statements.model_copy(
        update={"talks": statement_talks})})
    ctx = replace(loop06.ctx, loop=loop_info(loop06.ctx.loop.loop_id, "0-6", loop06.ctx.loop.council_date, fw))
    for n in (1, 2, 3, 4):
        text = _description(loop06.one("learning_talk", "dt-003", n), ctx)
        assert (f"Bestyrelsens {STATEMENT} (D)." in text) == (n in statement_talks), n


def test_aarhus_keeps_its_words(loop06, loop618, org):
    """The defaults are Aarhus's: the texts of an Aarhus loop did not change."""
    unit = org.by_id()["dt-003"]
    text = _description(loop06.one("learning_talk", "dt-003", 1), loop06.ctx)
    assert text.startswith(f"Læringssamtale 1 af 4 for {unit.name} (dagtilbud).")
    assert "efter byrådets drøftelse af kvalitetsrapporten onsdag den 28. april 2027." in text
    assert "Første læringssamtale: fælles refleksion over de politiske temaer" in text
    assert "Bestyrelsen deltager i første læringssamtale (D)." in text and STATEMENT not in text
    assert f"- {unit.chief.name} (Børn og Unge-chef)" in text
    one = _description(loop06.one("one_to_one", "dt-003", 1), loop06.ctx)
    assert "1:1 ledelsesopfølgning mellem Børn og Unge-chefen og lederen:" in one
    assert "Pointer herfra indgår som input (C) i næste læringssamtale." in one
    overview = texts.describe(loop06.one("committee_overview"), loop06.ctx)
    assert overview.startswith("Oversigten over tilbuddenes lokale fokusområder sendes til Børn og Unge-udvalget.")
    council = texts.describe(loop618.one("council_meeting"), loop618.ctx)
    assert council == "Byrådet drøfter kvalitetsrapporten for 6-18-årsområdet."
    assert loop06.ctx.loop.wording.role_labels == AARHUS_ROLE_LABELS


def test_the_prodid_names_the_product_for_every_framework(loop06, alb06):
    for loop in (loop06, alb06):
        talk = loop.one("learning_talk", "dt-003", 2)
        for data in (invitations.request(talk, loop.ctx), feeds.loop_calendar(loop.events[:5], loop.ctx)):
            prodid = str(icalendar.Calendar.from_ical(data)["PRODID"])
            assert prodid == "-//kvalitetsloop//kvalitetsloop//DA"
            assert not re.search(r"(?i)aarhus|albertslund|børn og unge", prodid)
