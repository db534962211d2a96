"""The tables of calendar replies read from the organiser's mailbox (SPEC 4.5).

`calendar_reply` holds each attendee's latest answer per meeting: one row per (event, attendee),
with the SEQUENCE it answered. A reply to an older SEQUENCE never overwrites an answer to a newer
one, and an answer counts for the meeting as it is now only while its SEQUENCE is the event's
(a moved meeting asks again). `reply_message` is the log of every calendar reply read, one row
per message and answer in it, with what became of it: applied, stale, kept aside (unknown
meeting, not an attendee, a sequence never sent), a counter-proposal, or rejected as malformed
with the reason. Its `message_key` is what makes a second fetch apply nothing twice.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel

from storage.models import UTCDateTime

# What became of one answer read from the mailbox.
OUTCOMES = ("applied", "stale", "unknown_event", "not_attendee", "unsent_sequence", "counter", "malformed")
# The outcomes kept aside for a person to look at (never applied).
ASIDE = ("unknown_event", "not_attendee", "unsent_sequence")


def _utc(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class CalendarReplyRow(SQLModel, table=True):
    __tablename__ = "calendar_reply"
    __table_args__ = (sa.UniqueConstraint("event_uid", "attendee"),)
    id: int | None = Field(default=None, primary_key=True)
    event_uid: str = Field(max_length=128, index=True)
    loop_id: str = Field(max_length=64, index=True)
    attendee: str = Field(max_length=254)
    partstat: str = Field(max_length=16)
    sequence: int
    replied_at: dt.datetime = Field(sa_column=_utc())
    received_at: dt.datetime = Field(sa_column=_utc())
    comment: str = ""
    message_key: str = Field(max_length=300)


class ReplyMessageRow(SQLModel, table=True):
    __tablename__ = "reply_message"
    __table_args__ = (sa.UniqueConstraint("message_key", "item"),)
    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(max_length=300, index=True)
    item: int = 0
    outcome: str = Field(max_length=16, index=True)
    reason: str = ""
    method: str | None = Field(default=None, max_length=16)
    event_uid: str | None = Field(default=None, max_length=255, index=True)
    loop_id: str | None = Field(default=None, max_length=64)
    attendee: str | None = Field(default=None, max_length=254)
    partstat: str | None = Field(default=None, max_length=16)
    sequence: int | None = None
    replied_at: dt.datetime | None = Field(default=None, sa_column=_utc(True))
    comment: str = ""
    proposed_start: dt.datetime | None = Field(default=None, sa_column=_utc(True))
    proposed_end: dt.datetime | None = Field(default=None, sa_column=_utc(True))
    sender: str = Field(default="", max_length=254)
    subject: str = ""
    received_at: dt.datetime = Field(sa_column=_utc())
