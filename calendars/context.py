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


@dataclass(frozen=True)
class UnitInfo:
    name: str
    address: str = ""
    sector: str | None = None
    self_owned: bool = False


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
    # DTSTAMP of everything built with this context; None means the wall clock at build time.
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
            return dt.datetime.now(dt.timezone.utc)
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


def loop_info(loop_id: str, area: str, council_date: dt.date, framework: Any = None,
              themes: tuple[str, ...] = ()) -> LoopInfo:
    """LoopInfo with the counts taken from a cycle.framework.Framework when one is given."""
    if framework is None:
        return LoopInfo(loop_id, area, council_date, tuple(themes))
    talks = framework.talks.count
    oo = framework.one_to_ones
    gaps = talks - 1 + (1 if oo.after_last_talk else 0)
    return LoopInfo(loop_id, area, council_date, tuple(themes), talk_count=talks,
                    one_to_one_count=oo.per_gap * gaps if oo.per_gap else None,
                    framework=f"{framework.name} {framework.version}")
