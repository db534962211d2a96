"""What a preview showed, as a hash. The web's confirmations (start a loop, update the
organisation, plan a unit in) store a change only while the change worked out again in their own
transaction hashes the same as the preview they confirm."""

from __future__ import annotations

import hashlib


def digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def event_facts(e) -> tuple:
    """An event as a preview shows it: its uid, kind, unit, number, time, status, title and people."""
    return (e.uid, e.kind, e.unit_id, e.number, e.start.isoformat(), e.end.isoformat(), e.status, e.title,
            tuple(sorted(a.email for a in e.attendees)))
