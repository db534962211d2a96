"""The Danish text of invitations and feeds: descriptions, the data basis, the agenda.

Every text follows the loop's framework (``ctx.loop``, filled by calendars.context.loop_info): the
talk label and the talks' names, the role names, the administration, committee and council, the
data basis, and the prose a framework gives in ``calendar_texts``. What a framework leaves out
gets the standard text below, which is Aarhus's (seeds/000 and 003: læringssamtale, 1:1
ledelsesopfølgning, datapakke, opfølgningsskema, bestyrelse, Børn og Unge-chef, the data basis
A-E). A sentence that states a framework rule (a board statement, the board's or the youth's
part in a talk) appears only for the talks the framework says. Plain strings, not Jinja2: a
description is built for every event of a feed, and a feed has a 50 ms budget.
"""

from __future__ import annotations

import datetime as dt

from calendars.context import CalendarContext, UnitInfo, Wording
from calendars.timezone import ZONE
from cycle import kinds
from cycle.events import (NEXT_LAYER_FOLLOWUP, OBSERVATION_AGREEMENT, OBSERVATION_FEEDBACK, OBSERVATION_SUMMARY,
                          OBSERVATION_VISIT, SUPERVISION_MEETING, Attendee, Event)
from cycle.framework import AARHUS_DATA_BASIS, AARHUS_ROLE_LABELS
from cycle.vocabulary import AREA_LABELS, CHILDREN, cap, definite, genitive, sector_label, youth_body

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
          "oktober", "november", "december")
ORDINALS = ("første", "anden", "tredje", "fjerde", "femte", "sjette", "syvende", "ottende", "niende",
            "tiende", "ellevte", "tolvte")

# The role names when no loop is known; a loop's framework may name them otherwise.
ROLE_LABELS = {**AARHUS_ROLE_LABELS, "guest": "gæst"}
STANDARD = Wording()

# Aarhus's data basis of every learning talk [000, "Datagrundlag for læringsamtaler"].
DATA_BASIS: tuple[tuple[str, str], ...] = tuple(zip("ABCDE", AARHUS_DATA_BASIS))
# The data basis items the notes below refer to; a note names the item's letter when the loop's
# data basis has that item, and no letter when it has not.
BASIS_ONE_TO_ONES, BASIS_PARENTS_AND_BOARD, BASIS_CHILDREN = AARHUS_DATA_BASIS[2:5]

LEARNING_CIRCLE = ("Samtalen følger læringscirklen: data, refleksion over hvad data peger på, "
                   "beslutning om næste skridt og opfølgningen herpå.")
FIRST_TALK_PURPOSE = ("Første {talk}: fælles refleksion over de politiske temaer i en lokal "
                      "kontekst og valg af tilbuddets lokale fokusområder. I drøfter og beslutter også, "
                      "hvordan børnenes og de unges perspektiv inddrages, afpasset efter deres alder.")
LATER_TALK_PURPOSE = "Samtalen går i dybden med tilbuddets lokale fokusområder."
BOARD_STATEMENT_NOTE = "{board} skriftlige udtalelse indgår i datagrundlaget{ref}."
BOARD_AT_TALK_NOTE = "{board} deltager i {ordinal} {talk}{ref}."
YOUTH_INPUT_NOTE = "Input fra {body} indgår i datagrundlaget{ref}."

# The one-to-one's shared agenda: structured and systematic, with the data calendar [000, 003].
ONE_TO_ONE_AGENDA: tuple[str, ...] = (
    "Opfølgning på aftaler fra sidste møde",
    "Status på de lokale fokusområder siden seneste læringssamtale",
    "Nye data fra dataårshjulet",
    "Drift og udvikling: økonomi, personale, trivsel og tilsyn i ledelseslinjen",
    "Ledelsessparring på aktuelle udfordringer",
    "Beslutninger og aftaler til næste møde",
)
ONE_TO_ONE_PURPOSE = ("1:1 ledelsesopfølgning mellem {chief} og {leader}: et bredt blik på "
                      "drift og udvikling af tilbuddet og et rum for ledelsesmæssige beslutninger.")
ONE_TO_ONE_FEEDS_TALK = "Pointer herfra indgår som input{ref} i næste {talk}."

# The chief's follow-up meeting with a self-owned daycare's board about its supervision report
# [000: "I de tilfælde hvor data giver anledning til yderligere opfølgning, afholder Børn- og
# Unge-chefen møde med bestyrelsen i det selvejende dagtilbud"].
SUPERVISION_MEETING_PURPOSE = ("{Chief} følger op på {board_s} tilsyn med det selvejende dagtilbud. Mødet "
                               "holdes, fordi {board_s} skriftlige tilsynsafrapportering og data fra "
                               "fællesfunktionerne giver anledning til yderligere opfølgning.")

# [003: "Samme type opfølgning afholdes også mellem tilbuddets leder og næste ledelseslag"].
NEXT_LAYER_PURPOSE = ("Samme type opfølgning som 1:1 ledelsesopfølgningen med Børn og Unge-chefen: "
                      "opfølgning på de lokale fokusområder, data og aftaler i ledelsesteamet.")

NETWORK_PURPOSE = ("De faglige ledernetværk foreslår temaerne til kvalitetsrapporten. Viden fra "
                   "tilbuddenes tidligere fokusområder indgår.")

REPORT_BACK_SUBJECT = "det lokale arbejde med fokusområderne"
COMMITTEE_OVERVIEW_SUBJECT = "tilbuddenes lokale fokusområder"
# The deadline kinds' texts come from the registry (cycle.kinds); the other all-day events' here.
DEADLINE_TEXT = {
    **{d.event_kind: d.words.calendar for d in kinds.DEADLINES},
    "committee_overview": "Oversigten over {overview} sendes til {committee}.",
    "council_meeting": "{Council} drøfter {report} for {area}.",
}
AGGREGATED_REPORT_BACK = "Frist for den samlede afrapportering for {area}."

CANCELLED_NOTE = "AFLYST: Mødet er aflyst."
# Said in the calendar file to a person taken off a meeting (the email says why: an organisation
# update or an ad hoc participant taken off).
UNINVITED_NOTE = "Du deltager ikke længere i dette møde. Mødet slettes fra din kalender."
FEED_NAME = "Kvalitetsloop – {name}"
LOOP_CALENDAR_NAME = "Kvalitetsloop {area}, {council} {date}"
LOOP_CALENDAR_NAME_PLAIN = "Kvalitetsloop"


def _wording(ctx: CalendarContext) -> Wording:
    return ctx.loop.wording if ctx.loop is not None else STANDARD


def _role(w: Wording, role: str) -> str:
    return w.role_labels.get(role) or ROLE_LABELS.get(role, role)


def _ref(w: Wording, item: str) -> str:
    """ " (D)" for the data basis item's letter, or "" when the data basis does not list it."""
    try:
        return f" ({chr(ord('A') + w.data_basis.index(item))})"
    except ValueError:
        return ""


def danish_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} den {day.day}. {MONTHS[day.month - 1]} {day.year}"


def danish_time(moment: dt.datetime, zone=ZONE) -> str:
    local = moment.astimezone(zone)
    return f"{danish_date(local.date())} kl. {local.hour:02d}.{local.minute:02d}"


def _unit_name(event: Event, unit: UnitInfo | None) -> str:
    if unit is not None:
        return unit.name
    # The planner's titles end in ": <unit name>".
    return event.title.rsplit(": ", 1)[-1] if ": " in event.title else (event.unit_id or "")


def _person(a: Attendee) -> str:
    return a.name or a.email


def _host_lines(event: Event, w: Wording) -> list[str]:
    if event.host_role == "board":
        board = _role(w, "board")
        boards = [a for a in event.attendees if a.role == "board"]
        contact = ", ".join(f"{_person(a)} <{a.email}>" for a in boards) or board
        return [f"Vært: {board} (selvejende dagtilbud). Kontakt: {contact}.",
                f"{w.administration} sender indkaldelsen på {genitive(board)} vegne; "
                f"{definite(_role(w, 'chief'))} er inviteret."]
    if event.host_role in ("chief", "leader"):  # the leader hosts the follow-up with the next layer [003]
        hosts = [a for a in event.attendees if a.role == event.host_role]
        if hosts:
            label = _role(w, event.host_role)
            return ["Vært: " + ", ".join(f"{label} {_person(a)} <{a.email}>" for a in hosts) + "."]
    return []


def participant_lines(event: Event, w: Wording = STANDARD) -> list[str]:
    """Who takes part, by name and role: what every invitee already sees in the invitation."""
    if len(event.attendees) > 20:
        roles = sorted({_role(w, a.role) for a in event.attendees})
        return [f"Deltagere: {len(event.attendees)} ({', '.join(roles)})."]
    lines = ["Deltagere:"]
    for a in event.attendees:
        lines.append(f"- {_person(a)} ({_role(w, a.role)})")
    return lines


def _links(event: Event, ctx: CalendarContext) -> list[str]:
    lines = []
    package = ctx.url(ctx.data_package_urls.get(event.uid) or ctx.data_package_urls.get(event.parent_uid or ""))
    if package:
        lines.append(f"{_wording(ctx).data_package_label}: {package}")
    form = ctx.url(ctx.followup_form_urls.get(event.uid) or ctx.followup_form_urls.get(event.parent_uid or ""))
    if form:
        lines.append(f"Opfølgningsskema: {form}")
    return lines


def _loop_line(ctx: CalendarContext) -> str | None:
    loop = ctx.loop
    if loop is None:
        return None
    w = loop.wording
    area = AREA_LABELS.get(loop.area, loop.area)
    if loop.has_council:
        text = (f"Kvalitetsloop for {area} efter {genitive(w.council)} drøftelse af {w.report} "
                f"{danish_date(loop.council_date)}.")
    else:  # a loop that starts on a start date (a framework without a council)
        text = f"Kvalitetsloop for {area} om {w.report}, startet {danish_date(loop.council_date)}."
    if loop.themes:
        text += " Temaer: " + "; ".join(loop.themes) + "."
    return text


def _of(number: int | None, count: int | None) -> str:
    if number is None:
        return ""
    return f"{number} af {count}" if count else f"{number}"


def _talk_heading(event: Event, ctx: CalendarContext, unit: UnitInfo | None, w: Wording) -> str:
    """The first line of a talk: 'Læringssamtale 2 af 4 for X (dagtilbud).', or with the talk's
    own name when the framework gives one: 'Evaluering af den pædagogiske læreplan
    (kvalitetsdialog 3 af 3) for X (dagtilbud).'"""
    n = event.number
    talk = w.talk_label.lower()
    of = _of(n, ctx.loop.talk_count if ctx.loop else None)
    label = w.talk_labels.get(n) if n is not None else None
    if label:
        heading = f"{label} ({talk} {of})" if of else label
    else:
        heading = f"{w.talk_label} {of}" if of else w.talk_label
    sector_key = event.sector or (unit.sector if unit else "") or ""
    sector = sector_label(sector_key)
    name = _unit_name(event, unit)
    return f"{heading} for {name}" + (f" ({sector})." if sector else ".")


def _talk_body(event: Event, ctx: CalendarContext, w: Wording) -> list[str]:
    """Purpose, method, data basis, and the notes the framework's rules support for this talk."""
    n = event.number
    talk = w.talk_label.lower()
    unit = ctx.unit(event.unit_id)
    sector = event.sector or (unit.sector if unit else "") or ""
    purpose = w.talk_purposes.get(n) if n is not None else None
    if purpose is None:
        purpose = FIRST_TALK_PURPOSE.format(talk=talk) if n == 1 else LATER_TALK_PURPOSE
    lines = [purpose, w.talk_method or LEARNING_CIRCLE]
    notes = []
    loop = ctx.loop
    if loop is not None and n is not None:
        board = _role(w, "board")
        if n in loop.board_talks.get(sector, ()) and 1 <= n <= len(ORDINALS):
            notes.append(BOARD_AT_TALK_NOTE.format(board=cap(board), ordinal=ORDINALS[n - 1], talk=talk,
                                                   ref=_ref(w, BASIS_PARENTS_AND_BOARD)))
        if n in loop.youth_input_talks.get(sector, ()):
            notes.append(YOUTH_INPUT_NOTE.format(body=youth_body(sector),
                                                 ref=_ref(w, BASIS_CHILDREN)))
        if n in loop.board_statement_talks:
            notes.append(BOARD_STATEMENT_NOTE.format(board=cap(genitive(board)),
                                                     ref=_ref(w, BASIS_PARENTS_AND_BOARD)))
    if w.data_basis or notes:
        lines.append("")
    if w.data_basis:
        lines.append("Datagrundlag:")
        lines += [f"{chr(ord('A') + i)}. {text}" for i, text in enumerate(w.data_basis)]
    return lines + notes


OBSERVATION_KINDS = (OBSERVATION_VISIT, OBSERVATION_FEEDBACK, OBSERVATION_AGREEMENT, OBSERVATION_SUMMARY)
# 001's words for a learning-environment observation: a day of short informal visits, a
# feedback talk with the host's leadership at the end, and a written summary afterwards.
OBSERVATION_PURPOSE = ("Et observationsteam fra et andet tilbud observerer læringsmiljøet gennem korte, uformelle "
                       "besøg i udvalgte dele af tilbuddet. Det er ikke en vurdering af den enkelte medarbejder "
                       "eller det enkelte barn.")
OBSERVATION_HEADINGS = {
    OBSERVATION_VISIT: "{label} hos {host}: besøg fra {visitor}, {day}.",
    OBSERVATION_FEEDBACK: "Feedbacksamtale ved dagens afslutning efter {label_l} hos {host} (besøg fra {visitor}).",
    OBSERVATION_AGREEMENT: "Frist for aftalen om rammer for {label_l} hos {host}: hvad besøget skal bidrage til, "
                           "og besøgsholdets spørgsmål. Besøget: {day}.",
    OBSERVATION_SUMMARY: "Frist for besøgsholdets skriftlige opsamling til {host} efter {label_l} {day}.",
}


def _observation_lines(event: Event, ctx: CalendarContext, unit: UnitInfo | None, w: Wording) -> list[str]:
    day = event.details.get("visit_date")
    day = dt.date.fromisoformat(day) if day else event.start.astimezone(ZONE).date()
    lines = [OBSERVATION_HEADINGS[event.kind].format(
        label=w.observation_label, label_l=w.observation_label.lower(), host=_unit_name(event, unit),
        visitor=event.details.get("visitor_name", ""), day=danish_date(day))]
    loop_line = _loop_line(ctx)
    if loop_line:
        lines.append(loop_line)
    if event.kind == OBSERVATION_VISIT:
        lines += ["", w.observation_purpose or OBSERVATION_PURPOSE]
    return lines


def describe(event: Event, ctx: CalendarContext, *, with_participants: bool = True) -> str:
    """The DESCRIPTION of one event, in Danish, in the words of the event's loop (ctx.loop)."""
    unit = ctx.unit(event.unit_id)
    w = _wording(ctx)
    kind = event.kind
    lines: list[str] = []
    loop_line = _loop_line(ctx)
    if kind == "learning_talk":
        lines.append(_talk_heading(event, ctx, unit, w))
        if loop_line:
            lines.append(loop_line)
        lines += _host_lines(event, w)
        lines.append("")
        lines += _talk_body(event, ctx, w)
    elif kind == "one_to_one":
        name = _unit_name(event, unit)
        if event.details.get("extra"):
            # Beyond the planned ones [003: "kan beslutte at afholde flere opfølgninger"].
            lines.append(f"Ekstra 1:1 ledelsesopfølgning for {name}, ud over de planlagte.")
        else:
            count = ctx.loop.one_to_one_count if ctx.loop else None
            lines.append(f"1:1 ledelsesopfølgning {_of(event.number, count)} for {name}.")
        if loop_line:
            lines.append(loop_line)
        lines += _host_lines(event, w)
        lines.append("")
        lines.append(w.one_to_one_purpose or ONE_TO_ONE_PURPOSE.format(
            chief=definite(_role(w, "chief")), leader=definite(_role(w, "leader"))))
        lines.append("")
        lines.append("Dagsorden:")
        agenda = w.one_to_one_agenda if w.one_to_one_agenda is not None else ONE_TO_ONE_AGENDA
        lines += [f"{i}. {item}" for i, item in enumerate(agenda, start=1)]
        if BASIS_ONE_TO_ONES in w.data_basis:
            lines.append("")
            lines.append(ONE_TO_ONE_FEEDS_TALK.format(ref=_ref(w, BASIS_ONE_TO_ONES), talk=w.talk_label.lower()))
    elif kind == NEXT_LAYER_FOLLOWUP:
        lines.append(f"Ledelsesopfølgning {_of(event.number, None)} mellem {definite(_role(w, 'leader'))} og næste "
                     f"ledelseslag for {_unit_name(event, unit)}.")
        if loop_line:
            lines.append(loop_line)
        lines += _host_lines(event, w)
        lines.append("")
        lines.append(NEXT_LAYER_PURPOSE)
    elif kind == SUPERVISION_MEETING:
        lines.append(f"Opfølgningsmøde om tilsyn for {_unit_name(event, unit)} (selvejende dagtilbud).")
        if loop_line:
            lines.append(loop_line)
        lines += _host_lines(event, w)
        lines.append("")
        lines.append(SUPERVISION_MEETING_PURPOSE.format(Chief=cap(definite(_role(w, "chief"))),
                                                        board_s=genitive(_role(w, "board"))))
    elif kind in OBSERVATION_KINDS:
        lines += _observation_lines(event, ctx, unit, w)
    elif kind == "network_meeting":
        lines.append(event.title + ".")
        if loop_line:
            lines.append(loop_line)
        lines.append("")
        lines.append(w.network_purpose or NETWORK_PURPOSE)
    else:
        area = AREA_LABELS.get(ctx.loop.area, ctx.loop.area) if ctx.loop else "området"
        deadline = kinds.deadline_for_event_kind(kind)
        if deadline is kinds.REPORT_BACK and event.unit_id is None:
            template = AGGREGATED_REPORT_BACK
        else:
            template = DEADLINE_TEXT.get(kind, "{title}.")
        board = _role(w, "board")
        lines.append(template.format(
            number=event.number or "", unit=_unit_name(event, unit), area=area, title=event.title,
            body=event.details.get("body", CHILDREN), talk=w.talk_label.lower(),
            Data_package=w.data_package_label,
            board_s=genitive(board), committee=w.committee, Council=cap(w.council), report=w.report,
            report_back=w.report_back_subject or REPORT_BACK_SUBJECT,
            overview=w.committee_overview_subject or COMMITTEE_OVERVIEW_SUBJECT))
        talk_date = event.details.get("talk_date")
        if talk_date and deadline is not None and deadline.talk is not None:
            lines.append(f"{definite(w.talk_label)}: {danish_date(dt.date.fromisoformat(talk_date))}.")
        if loop_line and kind != "council_meeting":
            lines.append(loop_line)
    links = _links(event, ctx)
    if links:
        lines.append("")
        lines += links
    if with_participants and event.is_meeting and event.attendees:
        lines.append("")
        lines += participant_lines(event, w)
    return "\n".join(lines)
