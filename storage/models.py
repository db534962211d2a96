"""The database tables (SQLModel). Times are stored as UTC; the adapter hands out aware datetimes.

Later parts hang off `event` (by `event.uid`) without reshaping it: invitations and emails read
`event_change`, forms and reminders reference the event's uid.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which has no zones) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def _utc() -> Column:
    return Column(UTCDateTime(), nullable=False)


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    id: str = Field(primary_key=True, max_length=64)
    name: str
    sector: str = Field(index=True, max_length=16)
    area: str = Field(index=True, max_length=16)
    self_owned: bool = False
    special_needs: bool = False
    address: str = ""


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"
    email: str = Field(primary_key=True, max_length=254)
    name: str = ""


class UnitRoleRow(SQLModel, table=True):
    __tablename__ = "unit_role"
    __table_args__ = (sa.UniqueConstraint("unit_id", "role", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=64)
    role: str = Field(max_length=32)
    email: str = Field(foreign_key="person.email", index=True, max_length=254)
    position: int = 0


class FrameworkRow(SQLModel, table=True):
    __tablename__ = "framework_version"
    __table_args__ = (sa.UniqueConstraint("name", "content_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    version: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)
    content: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(sa_column=_utc())


class LoopRow(SQLModel, table=True):
    __tablename__ = "loop"
    id: str = Field(primary_key=True, max_length=64)
    area: str = Field(max_length=16)
    council_date: dt.date
    framework_id: int = Field(foreign_key="framework_version.id")
    themes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="active", max_length=16)
    allow_any_year: bool = False
    created_at: dt.datetime = Field(sa_column=_utc())


class EventRow(SQLModel, table=True):
    __tablename__ = "event"
    # Read a loop in part (`status`, `loop show`, feeds): its events in time order (the next
    # events), and its tallies per unit and kind, which the second index answers on its own
    # (it covers every column they read, already in their grouping order).
    __table_args__ = (sa.Index("ix_event_loop_id_start", "loop_id", "start"),
                      sa.Index("ix_event_loop_id_unit_id_kind", "loop_id", "unit_id", "kind", "status", "start", "end"))
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, max_length=128)
    loop_id: str = Field(foreign_key="loop.id", index=True, max_length=64)
    kind: str = Field(index=True, max_length=32)
    unit_id: str | None = Field(default=None, index=True, max_length=64)
    number: int | None = None
    start: dt.datetime = Field(sa_column=_utc())
    end: dt.datetime = Field(sa_column=_utc())
    all_day: bool = False
    sequence: int = 0
    status: str = Field(default="planned", max_length=16)
    title: str
    parent_uid: str | None = Field(default=None, max_length=128)
    host_role: str | None = Field(default=None, max_length=32)
    sector: str | None = Field(default=None, max_length=16)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(sa_column=_utc())


class AttendeeRow(SQLModel, table=True):
    __tablename__ = "attendee"
    __table_args__ = (sa.UniqueConstraint("event_id", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    # Indexed: a person's feed and page of talks find their events by address, without reading
    # the loop's other attendees (migration 0007).
    email: str = Field(max_length=254, index=True)
    name: str = ""
    role: str = Field(max_length=32)
    # A person taken off a meeting (re-import replaced them) stays as a row with active=False, so
    # the calendar side can send them a cancellation.
    active: bool = True


class EventChangeRow(SQLModel, table=True):
    """Every change to a planned event, in order: what invitations and emails are derived from."""

    __tablename__ = "event_change"
    id: int | None = Field(default=None, primary_key=True)
    event_uid: str = Field(index=True, max_length=128)
    loop_id: str = Field(index=True, max_length=64)
    sequence: int
    change: str = Field(max_length=32)  # created | moved | cancelled | attendees
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: dt.datetime = Field(sa_column=_utc())


class HolidayPeriodRow(SQLModel, table=True):
    """School holidays and closing days imported from CSV; they add to the shipped calendars."""

    __tablename__ = "holiday_period"
    __table_args__ = (sa.UniqueConstraint("calendar", "start", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    calendar: str = Field(max_length=64, index=True)
    name: str
    start: dt.date
    end: dt.date
