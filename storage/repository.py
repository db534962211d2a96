"""Translation between the tables and the domain objects of cycle/. No rules live here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import Session, select

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
    """Read as plain rows (no ORM objects): a national organisation has tens of thousands of roles."""
    U, P, R = UnitRow.__table__.c, PersonRow.__table__.c, UnitRoleRow.__table__.c
    names = dict(session.execute(sa.select(P.email, P.name)).all())
    roles: dict[str, dict[str, list[Person]]] = defaultdict(lambda: defaultdict(list))
    persons: dict[str, Person] = {}  # one object per person, however many units they serve
    for unit_id, role, email in session.execute(sa.select(R.unit_id, R.role, R.email)
                                                .order_by(R.unit_id, R.role, R.position)):
        p = persons.get(email)
        if p is None:
            p = persons[email] = Person(email, names.get(email, ""))
        roles[unit_id][role].append(p)
    units = []
    for u in session.execute(sa.select(U.id, U.name, U.sector, U.self_owned, U.special_needs, U.address).order_by(U.id)):
        people = tuple((role, tuple(ps)) for role, ps in roles[u.id].items())
        units.append(Unit(u.id, u.name, u.sector, u.self_owned, u.special_needs, u.address, people))
    return Organisation(tuple(units))


def save_organisation(session: Session, org: Organisation, removed: list[str],
                      unchanged_roles: frozenset[str] = frozenset()) -> None:
    """Replace the stored organisation with `org` (units updated in place by id).

    Set-based: a handful of statements whatever the size, so a national file (thousands of units)
    imports in seconds and the time grows linearly with the rows."""
    U, P, R = UnitRow.__table__, PersonRow.__table__, UnitRoleRow.__table__
    for part in _chunks(removed):
        session.execute(sa.delete(R).where(R.c.unit_id.in_(part)))
        session.execute(sa.delete(U).where(U.c.id.in_(part)))
    stored = {r.id: r for r in session.execute(sa.select(U))}
    people = {r.email: r.name for r in session.execute(sa.select(P.c.email, P.c.name))}
    new_units, changed_units = [], []
    wanted_people: dict[str, str] = {}
    for unit in org.units:
        values = dict(id=unit.id, name=unit.name, sector=unit.sector, area=unit.area, self_owned=unit.self_owned,
                      special_needs=unit.special_needs, address=unit.address)
        old = stored.get(unit.id)
        if old is None:
            new_units.append(values)
        elif any(getattr(old, k) != v for k, v in values.items()):
            changed_units.append({**values, "uid": unit.id})
        for _, persons in unit.people:
            for p in persons:
                if p.email not in wanted_people or p.name:
                    wanted_people[p.email] = p.name or wanted_people.get(p.email, "")
    new_people = [dict(email=e, name=n) for e, n in wanted_people.items() if e not in people]
    renamed = [dict(pemail=e, name=n) for e, n in wanted_people.items() if e in people and n and people[e] != n]
    if new_people:
        session.execute(sa.insert(P), new_people)
    if renamed:
        session.execute(sa.update(P).where(P.c.email == sa.bindparam("pemail")), renamed)
    if new_units:
        session.execute(sa.insert(U), new_units)
    if changed_units:
        cols = ("name", "sector", "area", "self_owned", "special_needs", "address")
        session.execute(sa.update(U).where(U.c.id == sa.bindparam("uid")),
                        [{k: u[k] for k in ("uid", *cols)} for u in changed_units])
    # The roles of the units whose people changed (all of them at the first import) are replaced.
    rewrite = [unit for unit in org.units if unit.id not in unchanged_roles]
    if len(rewrite) == len(org.units):
        session.execute(sa.delete(R))
    else:
        for part in _chunks([u.id for u in rewrite]):
            session.execute(sa.delete(R).where(R.c.unit_id.in_(part)))
    roles = [dict(unit_id=unit.id, role=role, email=p.email, position=i)
             for unit in rewrite for role, persons in unit.people for i, p in enumerate(persons)]
    if roles:
        session.execute(sa.insert(R), roles)


def _chunks(items: list, size: int = 1000):
    for i in range(0, len(items), size):
        yield items[i:i + size]


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
