"""The tables of the email part: the outbox, what people submitted, and the capability links.

`outbox` is the transactional outbox (SPEC 4.3, 6): one row per email, written in the same
transaction that decides it. Its `key` (event, kind, offset or sequence, recipient) is unique, so
a second row for the same email cannot exist however many dispatch runs overlap.
`submission` records what arrived (board statements, youth input, follow-up forms, supervision
reports, report-backs, data packages made ready); reminders stop once it is there. The web forms
of a later issue write the same table.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from cycle.kinds import SUBMISSION_KINDS as _REGISTERED_SUBMISSION_KINDS
from storage.models import UTCDateTime

# withdrawn: its unit or person left the organisation before it was sent; skipped: it fell due
# while no dispatch ran and could no longer be of use (the reason is in last_error).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "given_up", "withdrawn", "skipped")
# What can be submitted: one kind per deadline kind of the registry (cycle.kinds).
SUBMISSION_KINDS = _REGISTERED_SUBMISSION_KINDS


def _utc(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True)
    kind: str = Field(max_length=48, index=True)
    loop_id: str | None = Field(default=None, max_length=64, index=True)
    event_uid: str | None = Field(default=None, max_length=128, index=True)
    recipient: str = Field(max_length=254)
    subject: str
    message_id: str = Field(max_length=200, unique=True)
    # What the templates render (JSON-safe); frozen when the row is decided.
    context: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The iCalendar file of an invitation (METHOD:REQUEST or CANCEL), built when decided.
    ics: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary, nullable=True))
    method: str | None = Field(default=None, max_length=16)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    due_at: dt.datetime = Field(sa_column=_utc())
    created_at: dt.datetime = Field(sa_column=_utc())
    next_attempt_at: dt.datetime = Field(sa_column=_utc())
    # Wall-clock time until which a sender holds the row in 'sending'; after it another may take it.
    lease_until: dt.datetime | None = Field(default=None, sa_column=_utc(True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=_utc(True))
    smtp_code: int | None = None
    smtp_response: str | None = None
    last_error: str | None = None
    updated_at: dt.datetime = Field(sa_column=_utc())


class SubmissionRow(SQLModel, table=True):
    __tablename__ = "submission"
    id: int | None = Field(default=None, primary_key=True)
    event_uid: str = Field(max_length=128, index=True)
    loop_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    unit_id: str | None = Field(default=None, max_length=64)
    number: int | None = None
    submitted_at: dt.datetime = Field(sa_column=_utc())
    by: str = Field(default="", max_length=254)
    content: str = ""
    url: str | None = None
    # When the Prefect event of this submission (statement received, package ready) went out.
    announced_at: dt.datetime | None = Field(default=None, sa_column=_utc(True))


class CapabilityRow(SQLModel, table=True):
    """A link in an email that lets one person do one thing until it expires; only its hash is kept."""

    __tablename__ = "capability"
    token_hash: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=32)
    event_uid: str = Field(max_length=128, index=True)
    recipient: str = Field(max_length=254)
    expires_at: dt.datetime = Field(sa_column=_utc())
    created_at: dt.datetime = Field(sa_column=_utc())
