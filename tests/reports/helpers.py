"""What the leaders and boards record through the portal's forms, recorded through the same use
cases (kvalitetsloop.usecases.forms) with a link issued for the test."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.usecases import forms
from notifications import links
from storage.db import engine_for
from storage.models_notifications import CapabilityRow
from tests.notifications.conftest import CPH

THEMES = ["Sprog og kommunikation", "Trivsel og fællesskaber"]


def set_themes(url: str, themes=THEMES) -> None:
    import json

    with engine_for(url).begin() as c:  # as `loop start --theme` records them
        c.execute(sa.text("update loop set themes = :t"), {"t": json.dumps(themes)})


def deadline(url: str, kind: str, unit_id: str, number: int | None) -> tuple[str, dt.date, dt.datetime | None]:
    """(uid, local due date, its talk's start) of a unit's deadline."""
    with engine_for(url).connect() as c:
        uid, start, parent = c.execute(sa.text(
            "select uid, start, parent_uid from event where kind=:k and unit_id=:u and (:n is null or number=:n)"),
            {"k": kind, "u": unit_id, "n": number}).one()
        talk = c.execute(sa.text("select start from event where uid=:p"), {"p": parent}).scalar() if parent else None
    local = lambda v: dt.datetime.fromisoformat(str(v)).replace(tzinfo=dt.timezone.utc).astimezone(CPH)  # noqa: E731
    return uid, local(start).date(), local(talk) if talk else None


def _link(url: str, purpose: str, event_uid: str, recipient: str, now: dt.datetime) -> str:
    tok = links.new_token()
    uow = unit_of_work_for(url)
    with uow:
        uow.portal.add_capability(CapabilityRow(token_hash=links.token_hash(tok), purpose=purpose, event_uid=event_uid,
                                                recipient=recipient, expires_at=now + dt.timedelta(days=60),
                                                created_at=now))
        uow.commit()
    return tok


def record_followup(url: str, unit_id: str, number: int, now: dt.datetime, **answers) -> None:
    uid, _, _ = deadline(url, "followup_form_due", unit_id, number)
    tok = _link(url, "followup_form", uid, f"leder-{unit_id}@example.dk", now)
    forms.submit_followup(unit_of_work_for(url), tok, answers, now, "test.example.dk")


def record_statement(url: str, unit_id: str, number: int, now: dt.datetime, text: str) -> None:
    uid, _, _ = deadline(url, "board_statement_due", unit_id, number)
    tok = _link(url, "board_statement", uid, f"bestyrelse-{unit_id}@example.dk", now)
    forms.submit_statement(unit_of_work_for(url), tok, text, None, now, "test.example.dk")
