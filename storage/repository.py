"""Translation between the tables and the domain objects of cycle/. No rules live here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import Session, delete, select

from cycle.events import Attendee, Event
from cycle.organisation import Organisation, Person, Unit
from cycle.workcalendar import HolidayPeriod
from storage.models import (
    AttendeeRow,
    EventChangeRow,
    EventRow,
    FrameworkRow,
    HolidayPeriodRow,
    LoopRow,
    PersonRow,
    UnitRoleRow,
    UnitRow,
)


# -- organisation ---------------------------------------------------------------------------

def load_organisation(session: Session) -> Organisation:
    """The organisation as domain objects; read as plain rows (no ORM identity map): every
    dispatch run reads it."""
    P, R, U = PersonRow.__table__.c, UnitRoleRow.__table__.c, UnitRow.__table__.c
    names = dict(session.execute(sa.select(P.email, P.name)).all())
    roles: dict[str, dict[str, list[Person]]] = defaultdict(lambda: defaultdict(list))
    for r in session.execute(sa.select(R.unit_id, R.role, R.email).order_by(R.unit_id, R.role, R.position)):
        roles[r.unit_id][r.role].append(Person(r.email, names.get(r.email, "")))
    units = []
    for u in session.execute(sa.select(U.id, U.name, U.sector, U.self_owned, U.special_needs, U.address)
                             .order_by(U.id)):
        people = tuple((role, tuple(ps)) for role, ps in roles[u.id].items())
        units.append(Unit(u.id, u.name, u.sector, u.self_owned, u.special_needs, u.address, people))
    return Organisation(tuple(units))


def save_organisation(session: Session, org: Organisation, removed: list[str]) -> None:
    """Replace the stored organisation with `org` (units updated in place by id)."""
    existing_people = {p.email: p for p in session.exec(select(PersonRow))}
    for uid in removed:
        session.exec(delete(UnitRoleRow).where(UnitRoleRow.unit_id == uid))
        session.exec(delete(UnitRow).where(UnitRow.id == uid))
    for unit in org.units:
        row = session.get(UnitRow, unit.id) or UnitRow(id=unit.id, name=unit.name, sector=unit.sector, area=unit.area)
        row.name, row.sector, row.area = unit.name, unit.sector, unit.area
        row.self_owned, row.special_needs, row.address = unit.self_owned, unit.special_needs, unit.address
        session.add(row)
        for _, persons in unit.people:
            for p in persons:
                prow = existing_people.get(p.email)
                if prow is None:
                    prow = PersonRow(email=p.email, name=p.name)
                    existing_people[p.email] = prow
                elif p.name and prow.name != p.name:
                    prow.name = p.name
                session.add(prow)
    session.flush()
    for unit in org.units:
        session.exec(delete(UnitRoleRow).where(UnitRoleRow.unit_id == unit.id))
        for role, persons in unit.people:
            for i, p in enumerate(persons):
                session.add(UnitRoleRow(unit_id=unit.id, role=role, email=p.email, position=i))


# -- holidays ------------------------------------------------------------------------------

def load_holiday_periods(session: Session) -> list[HolidayPeriod]:
    return [HolidayPeriod(r.calendar, r.name, r.start, r.end) for r in session.exec(select(HolidayPeriodRow))]


def save_holiday_periods(session: Session, periods: list[HolidayPeriod]) -> int:
    added = 0
    for p in periods:
        row = session.exec(select(HolidayPeriodRow).where(
            HolidayPeriodRow.calendar == p.calendar, HolidayPeriodRow.start == p.start,
            HolidayPeriodRow.name == p.name)).first()
        if row is None:
            session.add(HolidayPeriodRow(calendar=p.calendar, name=p.name, start=p.start, end=p.end))
            added += 1
        else:
            row.end = p.end
            session.add(row)
    return added


# -- frameworks and loops ------------------------------------------------------------------

def framework_row(session: Session, name: str, version: str, chash: str, content: dict, now: dt.datetime) -> FrameworkRow:
    row = session.exec(select(FrameworkRow).where(FrameworkRow.name == name, FrameworkRow.content_hash == chash)).first()
    if row is None:
        row = FrameworkRow(name=name, version=version, content_hash=chash, content=content, created_at=now)
        session.add(row)
        session.flush()
    return row


def add_events(session: Session, loop_id: str, events: list[Event], now: dt.datetime) -> None:
    """Store a freshly planned loop's events, each with its 'created' change.

    Core bulk inserts: a national loop has tens of thousands of events, which row-by-row ORM
    inserts would take minutes over."""
    if not events:
        return
    session.execute(sa.insert(EventRow.__table__), [
        dict(uid=ev.uid, loop_id=loop_id, kind=ev.kind, unit_id=ev.unit_id, number=ev.number, start=ev.start,
             end=ev.end, all_day=ev.all_day, sequence=ev.sequence, status=ev.status, title=ev.title,
             parent_uid=ev.parent_uid, host_role=ev.host_role, sector=ev.sector, details=ev.details, updated_at=now)
        for ev in events])
    ids = dict(session.execute(sa.select(EventRow.uid, EventRow.id).where(EventRow.loop_id == loop_id)).all())
    attendees = [dict(event_id=ids[ev.uid], email=a.email, name=a.name, role=a.role, active=True)
                 for ev in events for a in ev.attendees]
    if attendees:
        session.execute(sa.insert(AttendeeRow.__table__), attendees)
    session.execute(sa.insert(EventChangeRow.__table__), [
        dict(event_uid=ev.uid, loop_id=loop_id, sequence=ev.sequence, change="created", detail={}, at=now)
        for ev in events])


def load_events(session: Session, loop_id: str, tz) -> list[Event]:
    """A loop's events as domain objects; read as plain rows (no ORM identity map) for speed."""
    ev, at = EventRow.__table__.c, AttendeeRow.__table__.c
    attendees: dict[int, list[Attendee]] = defaultdict(list)
    for a in session.execute(sa.select(at.event_id, at.email, at.role, at.name)
                             .join(EventRow.__table__, ev.id == at.event_id)
                             .where(ev.loop_id == loop_id, at.active.is_(True)).order_by(at.id)):
        attendees[a.event_id].append(Attendee(a.email, a.role, a.name))
    out = []
    for r in session.execute(sa.select(EventRow.__table__).where(ev.loop_id == loop_id).order_by(ev.start, ev.id)):
        out.append(Event(
            uid=r.uid, kind=r.kind, start=r.start.astimezone(tz), end=r.end.astimezone(tz), title=r.title,
            unit_id=r.unit_id, number=r.number, all_day=r.all_day, sequence=r.sequence, status=r.status,
            attendees=tuple(attendees[r.id]), parent_uid=r.parent_uid, host_role=r.host_role, sector=r.sector,
            details=dict(r.details or {})))
    return out


def event_by_uid(session: Session, uid: str) -> EventRow | None:
    return session.exec(select(EventRow).where(EventRow.uid == uid)).first()
