"""What the calendar builders need to know besides the events themselves.

The builders never read the database, the settings or the clock on their own: the entry point
fills a CalendarContext (``CalendarContext.from_settings`` and ``units_from_organisation`` help)
and passes it in. ``now`` is the DTSTAMP of everything built with the context; give it from the
entry point's clock (``--now``) so simulated time gives simulated stamps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cycle.framework import AARHUS_DATA_BASIS, AARHUS_ROLE_LABELS


@dataclass(frozen=True)
class UnitInfo:
    name: str
    address: str = ""
    sector: str | None = None
    self_owned: bool = False


@dataclass(frozen=True)
class Wording:
    """The words of the loop's framework the texts use; the defaults are Aarhus's [000].

    Prose left as None gets the standard (Aarhus) text in calendars.texts.
    """
    talk_label: str = "Læringssamtale"
    data_package_label: str = "Datapakke"
    # Names per talk number where a talk is more than "<talk_label> N" (framework talks.labels).
    talk_labels: Mapping[int, str] = field(default_factory=dict)
    role_labels: Mapping[str, str] = field(default_factory=lambda: dict(AARHUS_ROLE_LABELS))
    administration: str = "Børn og Unge"
    committee: str = "Børn og Unge-udvalget"
    council: str = "byrådet"
    report: str = "kvalitetsrapporten"
    # What every talk builds on, listed A, B, C ...
    data_basis: tuple[str, ...] = AARHUS_DATA_BASIS
    talk_purposes: Mapping[int, str] = field(default_factory=dict)
    talk_method: str | None = None
    one_to_one_purpose: str | None = None
    one_to_one_agenda: tuple[str, ...] | None = None
    network_purpose: str | None = None
    report_back_subject: str | None = None
    committee_overview_subject: str | None = None
    # An observation visit's name and purpose (framework observation_visits).
    observation_label: str = "Læringsmiljøobservation"
    observation_purpose: str | None = None


@dataclass(frozen=True)
class LoopInfo:
    loop_id: str
    area: str
    council_date: dt.date
    themes: tuple[str, ...] = ()
    # How many talks and one-to-ones the loop has, for "2 af 4"; None leaves the "af N" out.
    talk_count: int | None = 4
    one_to_one_count: int | None = None
    framework: str = ""
    wording: Wording = field(default_factory=Wording)
    # What the framework promises per talk, so a text says it only where it is true. Without a
    # framework nothing is promised. Talk numbers with a board statement (board_statements.talks);
    # per sector, the talks the board takes part in, and the talks with youth input.
    board_statement_talks: tuple[int, ...] = ()
    board_talks: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    youth_input_talks: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    # False: the loop starts on council_date as its start date, not at a council meeting.
    has_council: bool = True


@dataclass(frozen=True)
class CalendarContext:
    organiser: str
    organiser_name: str = ""
    base_url: str = ""
    units: Mapping[str, UnitInfo] = field(default_factory=dict)
    loop: LoopInfo | None = None
    # Links per learning talk uid (the talk the data package and the form belong to).
    # A link that starts with "/" is made absolute with base_url.
    data_package_urls: Mapping[str, str] = field(default_factory=dict)
    followup_form_urls: Mapping[str, str] = field(default_factory=dict)
    # DTSTAMP of everything built with this context: the entry point's clock (--now). Required when
    # anything is built; None only while a context is being assembled.
    now: dt.datetime | None = None

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> "CalendarContext":
        """A context from kvalitetsloop.settings.Settings (organiser, organiser_name, base_url)."""
        return cls(organiser=settings.organiser, organiser_name=settings.organiser_name,
                   base_url=settings.base_url, **kwargs)

    def with_now(self, now: dt.datetime) -> "CalendarContext":
        return replace(self, now=now)

    def dtstamp(self) -> dt.datetime:
        if self.now is None:
            # Time is injected: only entry points read the clock, so a missing `now` is a bug.
            raise ValueError("CalendarContext.now is not set; the entry point passes its clock (--now)")
        if self.now.tzinfo is None:
            raise ValueError("CalendarContext.now must be timezone-aware")
        return self.now.astimezone(dt.timezone.utc)

    def url(self, link: str | None) -> str | None:
        if not link:
            return None
        if link.startswith("/") and self.base_url:
            return self.base_url.rstrip("/") + link
        return link

    def unit(self, unit_id: str | None) -> UnitInfo | None:
        if unit_id is None:
            return None
        return self.units.get(unit_id)


def units_from_organisation(org: Any) -> dict[str, UnitInfo]:
    """UnitInfo per unit id from a cycle.organisation.Organisation."""
    return {u.id: UnitInfo(u.name, getattr(u, "address", "") or "", u.sector, bool(u.self_owned))
            for u in org.units}


def wording(framework: Any) -> Wording:
    """The Wording of a cycle.framework.Framework."""
    texts = framework.calendar_texts
    bodies = framework.bodies
    agenda = texts.one_to_one_agenda
    return Wording(
        talk_label=framework.talk_label, talk_labels=dict(framework.talks.labels),
        data_package_label=framework.data_package_label,
        role_labels={**AARHUS_ROLE_LABELS, **framework.role_labels},
        administration=bodies.administration, committee=bodies.committee, council=bodies.council,
        report=bodies.report, data_basis=tuple(framework.talks.data_basis),
        talk_purposes=dict(texts.talk_purposes), talk_method=texts.talk_method,
        one_to_one_purpose=texts.one_to_one_purpose,
        one_to_one_agenda=tuple(agenda) if agenda is not None else None,
        network_purpose=texts.network_purpose, report_back_subject=texts.report_back_subject,
        committee_overview_subject=texts.committee_overview_subject,
        **({"observation_label": framework.observation_visits.label,
            "observation_purpose": framework.observation_visits.purpose} if framework.observation_visits else {}))


def loop_info(loop_id: str, area: str, council_date: dt.date, framework: Any = None,
              themes: tuple[str, ...] = ()) -> LoopInfo:
    """LoopInfo with counts, words and per-talk facts from a cycle.framework.Framework when one
    is given; without one, Aarhus's words and no per-talk facts."""
    if framework is None:
        return LoopInfo(loop_id, area, council_date, tuple(themes))
    talks = framework.talks.count
    oo = framework.one_to_ones
    gaps = talks - 1 + (1 if oo and oo.after_last_talk else 0)
    every = tuple(range(1, talks + 1))
    board_talks = {}
    for sector, plist in framework.talks.participants.items():
        numbers = sorted({n for p in plist if p.role == "board" for n in (p.talks or every)})
        if numbers:
            board_talks[sector] = tuple(numbers)
    youth = framework.youth_input
    youth_talks = {s: tuple(sorted(youth.talks)) for s in youth.sectors} if youth else {}
    return LoopInfo(loop_id, area, council_date, tuple(themes), talk_count=talks,
                    one_to_one_count=oo.per_gap * gaps if oo and oo.per_gap else None,
                    framework=f"{framework.name} {framework.version}", wording=wording(framework),
                    board_statement_talks=tuple(sorted(framework.board_statements.talks)),
                    board_talks=board_talks, youth_input_talks=youth_talks, has_council=framework.has_council)
