"""The year wheel (årshjul): one loop-year of a plan as an SVG picture — the months around the
circle, one ring for each kind of meeting or deadline the loop's framework has (its talks,
one-to-ones, follow-ups with the next leadership layer, data packages, observation visits and
deadlines), with a mark per week sized by how many fall in it; the council and the committee
marked on the rim. For the whole area, one chief or one unit. Drawn from the plan's events, like
Plandisc's wheels but ours.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from xml.sax.saxutils import escape

from cycle import kinds, vocabulary
from cycle.events import NEXT_LAYER_FOLLOWUP, OBSERVATION_AGREEMENT, OBSERVATION_SUMMARY, OBSERVATION_VISIT, Event
from cycle.framework import Framework

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")
MILESTONES = ("council_meeting", "committee_overview")


@dataclass(frozen=True)
class Ring:
    key: str
    label: str  # Danish, in the framework's words
    colour: str
    kinds: tuple[str, ...]  # the event kinds marked on it


_DEADLINE_KINDS = (*(k for k in kinds.DEADLINE_EVENT_KINDS if k != kinds.DATA_PACKAGE.event_kind),
                   OBSERVATION_AGREEMENT, OBSERVATION_SUMMARY)


def rings_of(fw: Framework) -> tuple[Ring, ...]:
    """The wheel's rings for a loop of this framework, the innermost first: only the elements it
    has, so an Albertslund wheel shows its dialogues, visits and deadlines and no empty rings of
    one-to-ones or data packages it never plans. A visit's feedback talk, the same day, is not
    counted again."""
    words = vocabulary.words(fw)
    rings = [Ring("talks", vocabulary.cap(vocabulary.plural(words["talk"])), "#00507a", ("learning_talk",))]
    if fw.one_to_ones is not None:
        rings.append(Ring("one_to_ones", "1:1 ledelsesopfølgning", "#1d6b2f", ("one_to_one",)))
    if fw.next_layer_followups.enabled:
        rings.append(Ring("next_layer", "Opfølgning med næste ledelseslag", "#4f6b1d", (NEXT_LAYER_FOLLOWUP,)))
    if fw.data_packages is not None:
        rings.append(Ring("packages", vocabulary.cap(vocabulary.plural(words["data_package"])), "#8a4b00",
                          (kinds.DATA_PACKAGE.event_kind,)))
    if fw.observation_visits is not None:
        ov = fw.observation_visits
        rings.append(Ring("visits", ov.label_plural or vocabulary.plural(ov.label), "#4b3b8f", (OBSERVATION_VISIT,)))
    rings.append(Ring("deadlines", "Frister", "#7a1f5c", _DEADLINE_KINDS))
    return tuple(rings)


def ring_kinds(rings: tuple[Ring, ...]) -> tuple[str, ...]:
    return tuple(k for ring in rings for k in ring.kinds)


def ring_of(rings: tuple[Ring, ...], kind: str) -> str | None:
    """The key of the ring an event of this kind is marked on, or None."""
    return next((ring.key for ring in rings if kind in ring.kinds), None)


def week_starts(start: dt.date) -> list[dt.date]:
    """The first day of each week of the year from `start` (week n: days since `start` // 7 == n),
    and the day after the year: the spans the wheel counts in."""
    end = _year_after(start)
    return [start + dt.timedelta(days=7 * n) for n in range(-(-(end - start).days // 7))] + [end]


def _year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _angle(start: dt.date, day: dt.date) -> float:
    """Clockwise from twelve o'clock, the year from `start` once around."""
    span = (_year_after(start) - start).days
    return 2 * math.pi * ((day - start).days / span)


def _point(cx: float, cy: float, r: float, a: float) -> tuple[float, float]:
    return cx + r * math.sin(a), cy - r * math.cos(a)


def year_wheel_svg(rings: tuple[Ring, ...], counts: dict[str, Counter], milestones: list[Event], start: dt.date,
                   tz, title: str) -> str:
    """The wheel of the year from `start` (a month's first day) as a standalone SVG document:
    `counts` per ring key, live events per week (`week_starts`); `milestones` marked on the rim."""
    size, cx, cy = 800, 400.0, 400.0
    most = max([c for ring in counts.values() for c in ring.values()] or [1])
    ring_inner, ring_width = 110.0, 50.0
    rim = ring_inner + ring_width * len(rings)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
             f'role="img" aria-labelledby="t d" font-family="DejaVu Sans, Arial, sans-serif">',
             f'<title id="t">{escape(title)}</title>',
             f'<desc id="d">Årshjul fra {start.isoformat()}: ' + "; ".join(
                 f"{ring.label} {sum(counts[ring.key].values())}" for ring in rings) + "</desc>",
             f'<circle cx="{cx}" cy="{cy}" r="{rim}" fill="#ffffff" stroke="#444444"/>']
    for i, ring in enumerate(rings):
        key, label, colour = ring.key, ring.label, ring.colour
        r0 = ring_inner + i * ring_width
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r0:.1f}" fill="none" stroke="#bbbbbb"/>')
        parts.append(f'<g class="ring" data-ring="{key}" fill="{colour}"><title>{escape(label)}</title>')
        for week, n in sorted(counts[key].items()):
            a0 = _angle(start, start + dt.timedelta(days=7 * week))
            a1 = a0 + 2 * math.pi * 6 / 365
            r1 = r0 + 4 + (ring_width - 8) * n / most
            p = [_point(cx, cy, r0 + 4, a0), _point(cx, cy, r1, a0), _point(cx, cy, r1, a1), _point(cx, cy, r0 + 4, a1)]
            d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in p) + " Z"
            when = start + dt.timedelta(days=7 * week)
            parts.append(f'<path class="mark" d="{d}" data-count="{n}"><title>{escape(label)}: {n} i ugen fra '
                         f'{when.isoformat()}</title></path>')
        parts.append("</g>")
        lx, ly = _point(cx, cy, r0 + ring_width / 2, 0)
        parts.append(f'<text x="{lx + 4:.1f}" y="{ly:.1f}" font-size="10" fill="#333333">{escape(label)}</text>')
    # Months: a spoke at each first day, the name outside the rim.
    for m in range(12):
        first = dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
        a = _angle(start, first)
        x0, y0 = _point(cx, cy, ring_inner, a)
        x1, y1 = _point(cx, cy, rim, a)
        parts.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#999999"/>')
        tx, ty = _point(cx, cy, rim + 22, a + math.pi / 12)
        parts.append(f'<text class="month" x="{tx:.1f}" y="{ty:.1f}" font-size="13" text-anchor="middle">'
                     f'{MONTHS[first.month - 1]} {first.year}</text>')
    for e in milestones:
        if e.kind in MILESTONES and e.status != "cancelled":
            day = e.start.astimezone(tz).date()
            if start <= day < _year_after(start):
                x, y = _point(cx, cy, rim, _angle(start, day))
                parts.append(f'<circle class="milestone" data-kind="{e.kind}" cx="{x:.1f}" cy="{y:.1f}" r="7" '
                             f'fill="#b35c00"><title>{escape(e.title)} {day.isoformat()}</title></circle>')
    parts.append(f'<text x="{cx}" y="{cy}" font-size="15" text-anchor="middle">{escape(title)[:40]}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def loop_year_start(council_date: dt.date, year: int) -> dt.date:
    """The first day of the month of the council date, for loop-year 1; a year later for 2."""
    first = council_date.replace(day=1)
    return first if year == 1 else _year_after(first)


def year_wheel_png(svg: str, width: int = 1600) -> bytes:
    """The wheel as a PNG of `width` pixels (twice the SVG's size by default, sharp when printed
    or pasted into a slide), drawn by CairoSVG (Cairo, with the DejaVu fonts the PDFs use)."""
    import cairosvg

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width, output_height=width)
