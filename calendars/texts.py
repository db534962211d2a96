"""The Danish text of invitations and feeds: descriptions, the data basis, the agenda.

Terms follow DOMAIN.md and the adopted framework (seeds/000): læringssamtale, 1:1
ledelsesopfølgning, datapakke, opfølgningsskema, bestyrelse, Børn og Unge-chef, and the data
basis A-E ("Datagrundlag for læringsamtaler" [000]). Plain strings, not Jinja2: a description is
built for every event of a feed, and a feed has a 50 ms budget.
"""

from __future__ import annotations

import datetime as dt

from calendars.context import CalendarContext, UnitInfo
from calendars.timezone import ZONE
from cycle.events import Attendee, Event

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
          "oktober", "november", "december")

ROLE_LABELS = {
    "chief": "Børn og Unge-chef",
    "leader": "leder",
    "deputy_leader": "souschef",
    "pedagogical_leader": "pædagogisk leder",
    "employee_rep": "medarbejderrepræsentant",
    "dept_leader_rep": "afdelingslederrepræsentant",
    "board": "bestyrelsen",
    "youth_rep": "ungerepræsentant",
    "consultant": "faglig konsulent",
    "guest": "gæst",
}
SECTOR_LABELS = {"dagtilbud": "dagtilbud", "skole": "skole", "fu": "FU"}
AREA_LABELS = {"0-6": "0-6-årsområdet", "6-18": "6-18-årsområdet"}

# The data basis of every learning talk [000, "Datagrundlag for læringsamtaler"].
DATA_BASIS: tuple[tuple[str, str], ...] = (
    ("A", "Kvantitative datapakker"),
    ("B", "Systematisk opsamlede data fra egen praksis"),
    ("C", "Input fra 1:1 ledelsesopfølgninger"),
    ("D", "Input fra forældre og bestyrelse"),
    ("E", "Input fra børnene og de unge"),
)
LEARNING_CIRCLE = ("Samtalen følger læringscirklen: data, refleksion over hvad data peger på, "
                   "beslutning om næste skridt og opfølgningen herpå.")
FIRST_TALK_PURPOSE = ("Første læringssamtale: fælles refleksion over de politiske temaer i en lokal "
                      "kontekst og valg af tilbuddets lokale fokusområder. I drøfter og beslutter også, "
                      "hvordan børnenes og de unges perspektiv inddrages, afpasset efter deres alder.")
LATER_TALK_PURPOSE = "Samtalen går i dybden med tilbuddets lokale fokusområder."
BOARD_STATEMENT_NOTE = "Bestyrelsens skriftlige udtalelse indgår i datagrundlaget (D)."
BOARD_AT_FIRST_TALK_NOTE = "Bestyrelsen deltager i første læringssamtale (D)."
YOUTH_BODY = {"skole": "elevrådet", "fu": "senatet"}

# The one-to-one's shared agenda: structured and systematic, with the data calendar [000, 003].
ONE_TO_ONE_AGENDA: tuple[str, ...] = (
    "Opfølgning på aftaler fra sidste møde",
    "Status på de lokale fokusområder siden seneste læringssamtale",
    "Nye data fra dataårshjulet",
    "Drift og udvikling: økonomi, personale, trivsel og tilsyn i ledelseslinjen",
    "Ledelsessparring på aktuelle udfordringer",
    "Beslutninger og aftaler til næste møde",
)
ONE_TO_ONE_PURPOSE = ("1:1 ledelsesopfølgning mellem Børn og Unge-chefen og lederen: et bredt blik på "
                      "drift og udvikling af tilbuddet og et rum for ledelsesmæssige beslutninger.")
ONE_TO_ONE_FEEDS_TALK = "Pointer herfra indgår som input (C) i næste læringssamtale."

NETWORK_PURPOSE = ("De faglige ledernetværk foreslår temaerne til kvalitetsrapporten. Viden fra "
                   "tilbuddenes tidligere fokusområder indgår.")

DEADLINE_TEXT = {
    "data_package": "Datapakke {number} til {unit} er tilgængelig senest denne dag (før læringssamtale {number}).",
    "board_statement_due": "Frist for bestyrelsens skriftlige udtalelse før læringssamtale {number} for {unit}.",
    "youth_input_due": "Frist for input fra {body} før læringssamtale {number} for {unit}.",
    "followup_form_due": "Frist for opfølgningsskemaet efter læringssamtale {number} for {unit}.",
    "committee_overview": "Oversigten over tilbuddenes lokale fokusområder sendes til Børn og Unge-udvalget.",
    "report_back_due": "Frist for afrapportering af det lokale arbejde med fokusområderne for {unit}.",
    "supervision_report_due": "Frist for bestyrelsens skriftlige tilsynsafrapportering for {unit}.",
    "council_meeting": "Byrådet drøfter kvalitetsrapporten for {area}.",
}
AGGREGATED_REPORT_BACK = "Frist for den samlede afrapportering for {area}."

CANCELLED_NOTE = "AFLYST: Mødet er aflyst."
UNINVITED_NOTE = ("Du deltager ikke længere i dette møde, fordi organisationen er opdateret. "
                  "Mødet slettes fra din kalender.")
FEED_NAME = "Kvalitetsloop – {name}"
LOOP_CALENDAR_NAME = "Kvalitetsloop {area}, byrådet {council}"
LOOP_CALENDAR_NAME_PLAIN = "Kvalitetsloop"


def danish_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} den {day.day}. {MONTHS[day.month - 1]} {day.year}"


def danish_time(moment: dt.datetime) -> str:
    local = moment.astimezone(ZONE)
    return f"{danish_date(local.date())} kl. {local.hour:02d}.{local.minute:02d}"


def _unit_name(event: Event, unit: UnitInfo | None) -> str:
    if unit is not None:
        return unit.name
    # The planner's titles end in ": <unit name>".
    return event.title.rsplit(": ", 1)[-1] if ": " in event.title else (event.unit_id or "")


def _person(a: Attendee) -> str:
    return a.name or a.email


def _host_lines(event: Event) -> list[str]:
    if event.host_role == "board":
        boards = [a for a in event.attendees if a.role == "board"]
        contact = ", ".join(f"{_person(a)} <{a.email}>" for a in boards) or "bestyrelsen"
        return [f"Vært: bestyrelsen (selvejende dagtilbud). Kontakt: {contact}.",
                "Børn og Unge sender indkaldelsen på bestyrelsens vegne; Børn og Unge-chefen er inviteret."]
    if event.host_role == "chief":
        chiefs = [a for a in event.attendees if a.role == "chief"]
        if chiefs:
            return ["Vært: " + ", ".join(f"Børn og Unge-chef {_person(a)} <{a.email}>" for a in chiefs) + "."]
    return []


def participant_lines(event: Event) -> list[str]:
    """Who takes part, by name and role: what every invitee already sees in the invitation."""
    if len(event.attendees) > 20:
        roles = sorted({ROLE_LABELS.get(a.role, a.role) for a in event.attendees})
        return [f"Deltagere: {len(event.attendees)} ({', '.join(roles)})."]
    lines = ["Deltagere:"]
    for a in event.attendees:
        lines.append(f"- {_person(a)} ({ROLE_LABELS.get(a.role, a.role)})")
    return lines


def _links(event: Event, ctx: CalendarContext) -> list[str]:
    lines = []
    package = ctx.url(ctx.data_package_urls.get(event.uid) or ctx.data_package_urls.get(event.parent_uid or ""))
    if package:
        lines.append(f"Datapakke: {package}")
    form = ctx.url(ctx.followup_form_urls.get(event.uid) or ctx.followup_form_urls.get(event.parent_uid or ""))
    if form:
        lines.append(f"Opfølgningsskema: {form}")
    return lines


def _loop_line(ctx: CalendarContext) -> str | None:
    loop = ctx.loop
    if loop is None:
        return None
    area = AREA_LABELS.get(loop.area, loop.area)
    text = f"Kvalitetsloop for {area} efter byrådets drøftelse af kvalitetsrapporten {danish_date(loop.council_date)}."
    if loop.themes:
        text += " Temaer: " + "; ".join(loop.themes) + "."
    return text


def _of(number: int | None, count: int | None) -> str:
    if number is None:
        return ""
    return f"{number} af {count}" if count else f"{number}"


def describe(event: Event, ctx: CalendarContext, *, with_participants: bool = True) -> str:
    """The DESCRIPTION of one event, in Danish."""
    unit = ctx.unit(event.unit_id)
    kind = event.kind
    lines: list[str] = []
    loop_line = _loop_line(ctx)
    if kind == "learning_talk":
        name = _unit_name(event, unit)
        count = ctx.loop.talk_count if ctx.loop else None
        sector = SECTOR_LABELS.get(event.sector or (unit.sector if unit else "") or "", "")
        lines.append(f"Læringssamtale {_of(event.number, count)} for {name}" + (f" ({sector})." if sector else "."))
        if loop_line:
            lines.append(loop_line)
        lines += _host_lines(event)
        lines.append("")
        lines.append(FIRST_TALK_PURPOSE if event.number == 1 else LATER_TALK_PURPOSE)
        lines.append(LEARNING_CIRCLE)
        lines.append("")
        lines.append("Datagrundlag:")
        lines += [f"{letter}. {text}" for letter, text in DATA_BASIS]
        if event.number == 1:
            lines.append(BOARD_AT_FIRST_TALK_NOTE)
            body = YOUTH_BODY.get(event.sector or "")
            if body:
                lines.append(f"Input fra {body} indgår i datagrundlaget (E).")
        else:
            lines.append(BOARD_STATEMENT_NOTE)
    elif kind == "one_to_one":
        name = _unit_name(event, unit)
        count = ctx.loop.one_to_one_count if ctx.loop else None
        lines.append(f"1:1 ledelsesopfølgning {_of(event.number, count)} for {name}.")
        if loop_line:
            lines.append(loop_line)
        lines += _host_lines(event)
        lines.append("")
        lines.append(ONE_TO_ONE_PURPOSE)
        lines.append("")
        lines.append("Dagsorden:")
        lines += [f"{i}. {item}" for i, item in enumerate(ONE_TO_ONE_AGENDA, start=1)]
        lines.append("")
        lines.append(ONE_TO_ONE_FEEDS_TALK)
    elif kind == "network_meeting":
        lines.append(event.title + ".")
        if loop_line:
            lines.append(loop_line)
        lines.append("")
        lines.append(NETWORK_PURPOSE)
    else:
        area = AREA_LABELS.get(ctx.loop.area, ctx.loop.area) if ctx.loop else "området"
        if kind == "report_back_due" and event.unit_id is None:
            template = AGGREGATED_REPORT_BACK
        else:
            template = DEADLINE_TEXT.get(kind, "{title}.")
        lines.append(template.format(number=event.number or "", unit=_unit_name(event, unit), area=area,
                                     title=event.title, body=event.details.get("body", "børnene og de unge")))
        talk_date = event.details.get("talk_date")
        if talk_date and kind in ("data_package", "board_statement_due", "youth_input_due", "followup_form_due"):
            lines.append(f"Læringssamtalen: {danish_date(dt.date.fromisoformat(talk_date))}.")
        if loop_line and kind != "council_meeting":
            lines.append(loop_line)
    links = _links(event, ctx)
    if links:
        lines.append("")
        lines += links
    if with_participants and event.is_meeting and event.attendees:
        lines.append("")
        lines += participant_lines(event)
    return "\n".join(lines)
