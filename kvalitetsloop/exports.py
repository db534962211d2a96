"""The loop as JSON (the contract other tools read, SPEC 4.1) and CSV."""

from __future__ import annotations

import csv
import io
import json

from cycle.events import Event


def event_dict(e: Event, unit_names: dict[str, str]) -> dict:
    return {
        "uid": e.uid,
        "kind": e.kind,
        "unit_id": e.unit_id,
        "unit_name": unit_names.get(e.unit_id or "", None),
        "sector": e.sector,
        "number": e.number,
        "title": e.title,
        "start": e.start.isoformat(),
        "end": e.end.isoformat(),
        "all_day": e.all_day,
        "sequence": e.sequence,
        "status": e.status,
        "host_role": e.host_role,
        "parent_uid": e.parent_uid,
        "attendees": [{"email": a.email, "role": a.role, "name": a.name} for a in e.attendees],
        "details": e.details,
    }


def loop_dict(loop, framework_row, events: list[Event], unit_names: dict[str, str]) -> dict:
    return {
        "loop": {
            "id": loop.id,
            "area": loop.area,
            "council_date": loop.council_date.isoformat(),
            "framework": framework_row.name,
            "framework_version": framework_row.version,
            "framework_hash": framework_row.content_hash,
            "themes": list(loop.themes or []),
            "status": loop.status,
            "created_at": loop.created_at.isoformat(),
        },
        "events": [event_dict(e, unit_names) for e in events],
    }


def to_json(data: dict) -> str:
    # Compact: the C encoder only runs without indent, and a national loop has 100,000 events.
    # Pipe through `python -m json.tool` to read it.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


CSV_COLUMNS = ("uid", "kind", "unit_id", "unit_name", "sector", "number", "title", "start", "end", "all_day",
               "sequence", "status", "attendees")


# A cell starting with one of these is a formula to Excel and LibreOffice (=HYPERLINK(...), @SUM(...)).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> object:
    """A text cell that a spreadsheet program would run as a formula gets a leading apostrophe,
    as OWASP advises for CSV files; the program then shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(events: list[Event], unit_names: dict[str, str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for e in events:
        row = [e.uid, e.kind, e.unit_id or "", unit_names.get(e.unit_id or "", ""), e.sector or "", e.number or "",
               e.title, e.start.isoformat(), e.end.isoformat(), str(e.all_day).lower(), e.sequence, e.status,
               ";".join(f"{a.role}:{a.email}" for a in e.attendees)]
        w.writerow([spreadsheet_safe(v) for v in row])
    return buf.getvalue()
