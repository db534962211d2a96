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
    UTCDateTime,
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

def load_organisation(session: Session, unit_ids: list[str] | None = None) -> Organisation:
    """The stored organisation; with `unit_ids`, only those units. Read as plain rows (no ORM
    objects): a national organisation has tens of thousands of roles."""
    u, r, p = UnitRow.__table__.c, UnitRoleRow.__table__.c, PersonRow.__table__.c
    role_q = (sa.select(r.unit_id, r.role, r.email, p.name)
              .select_from(UnitRoleRow.__table__.outerjoin(PersonRow.__table__, p.email == r.email))
              .order_by(r.unit_id, r.role, r.position))
    unit_q = sa.select(u.id, u.name, u.sector, u.self_owned, u.special_needs, u.address).order_by(u.id)
    if unit_ids is not None:
        role_q = role_q.where(r.unit_id.in_(unit_ids))
        unit_q = unit_q.where(u.id.in_(unit_ids))
    roles: dict[str, dict[str, list[Person]]] = defaultdict(lambda: defaultdict(list))
    for unit_id, role, email, name in session.execute(role_q).all():
        roles[unit_id][role].append(Person(email, name or ""))
    units = []
    for row in session.execute(unit_q).all():
        people = tuple((role, tuple(ps)) for role, ps in roles[row.id].items())
        units.append(Unit(row.id, row.name, row.sector, row.self_owned, row.special_needs, row.address, people))
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
    # In key order: the inserts then fill the index pages one after another.
    new_people = [dict(email=e, name=n) for e, n in sorted(wanted_people.items()) if e not in people]
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
    """A loop's events as domain objects, in time order."""
    return load_events_where(session, EventRow.__table__.c.loop_id == loop_id, tz)


def load_events_where(session: Session, where, tz, limit: int | None = None,
                      with_attendees: bool = True, order: tuple = ()) -> list[Event]:
    """The events matching `where` (a condition on the event table) with their active attendees
    (or none, for what only shows titles and times), ordered by start (or by `order`, columns of
    the event table); read as plain rows (no ORM identity map) for speed."""
    ev, at = EventRow.__table__.c, AttendeeRow.__table__.c
    q = sa.select(EventRow.__table__).where(where).order_by(*(order or (ev.start, ev.id)))
    rows_ = session.execute(q.limit(limit) if limit is not None else q).all()
    attendees: dict[int, list[Attendee]] = defaultdict(list)
    aq = sa.select(at.event_id, at.email, at.role, at.name).where(at.active.is_(True)).order_by(at.id)
    if not with_attendees:
        found = []
    elif limit is not None or len(rows_) <= 1000:
        # A few events: their attendees by id (a feed, the next events).
        ids = [r.id for r in rows_]
        found = []
        for i in range(0, len(ids), 1000):
            found += session.execute(aq.where(at.event_id.in_(ids[i:i + 1000]))).all()
    else:
        found = session.execute(aq.join(EventRow.__table__, ev.id == at.event_id).where(where)).all()
    for a in found:
        attendees[a.event_id].append(Attendee(a.email, a.role, a.name))
    out = []
    for r in rows_:
        out.append(Event(
            uid=r.uid, kind=r.kind, start=r.start.astimezone(tz), end=r.end.astimezone(tz), title=r.title,
            unit_id=r.unit_id, number=r.number, all_day=r.all_day, sequence=r.sequence, status=r.status,
            attendees=tuple(attendees[r.id]), parent_uid=r.parent_uid, host_role=r.host_role, sector=r.sector,
            details=dict(r.details or {})))
    return out


def of_person(email: str):
    """The condition for events `email` takes part in (an active attendee); for load_events_where."""
    mine = AttendeeRow.__table__.alias("mine")
    return EventRow.__table__.c.id.in_(
        sa.select(mine.c.event_id).where(mine.c.email == email, mine.c.active.is_(True)).correlate(None))


def event_counts(session: Session, loop_id: str, now: dt.datetime) -> list:
    """Per kind and status: how many of a loop's events ended by `now` (past) and how many not."""
    ev = EventRow.__table__.c
    past = (ev.end <= now).label("past")
    q = (sa.select(ev.kind, ev.status, past, sa.func.count().label("n")).where(ev.loop_id == loop_id)
         .group_by(ev.kind, ev.status, past))
    return list(session.execute(q))


def _seconds(session: Session, start, end):
    """`end - start` in seconds, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        # Stored as UTC text; julianday is exact to the millisecond, so rounding gives whole seconds.
        return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400)
    return sa.extract("epoch", end - start)


def live_chief_tallies(session: Session, loop_id: str) -> tuple[list, list]:
    """Over a loop's events that are not cancelled and belong to a unit that has a chief: per
    chief and kind, how many, their summed duration in seconds, the first and last start; and per
    chief, how many units (in `n`)."""
    ev, r, p = EventRow.__table__.c, UnitRoleRow.__table__.c, PersonRow.__table__.c
    # Grouped per unit first, so the chief is looked up once per unit and kind, not per event; a
    # common table expression used twice in one statement is computed once (SQLite, PostgreSQL).
    per_unit = (sa.select(ev.unit_id, ev.kind, sa.func.count().label("n"),
                          sa.func.sum(_seconds(session, ev.start, ev.end)).label("seconds"),
                          sa.func.min(ev.start).label("first"), sa.func.max(ev.start).label("last"))
                .where(ev.loop_id == loop_id, ev.status != "cancelled", ev.unit_id.is_not(None))
                .group_by(ev.unit_id, ev.kind).cte("per_unit"))
    g = per_unit.c
    chiefs = (per_unit.join(UnitRoleRow.__table__, sa.and_(r.unit_id == g.unit_id, r.role == "chief", r.position == 0))
              .outerjoin(PersonRow.__table__, p.email == r.email))
    per_kind = (sa.select(r.email, p.name, g.kind, sa.func.sum(g.n).label("n"), sa.func.sum(g.seconds).label("seconds"),
                          sa.func.min(g.first).label("first"), sa.func.max(g.last).label("last"))
                .select_from(chiefs).group_by(r.email, p.name, g.kind))
    # The units per chief ride along as rows without a kind.
    units = (sa.select(r.email, p.name, sa.null().label("kind"), sa.func.count(sa.distinct(g.unit_id)),
                       sa.null(), sa.null(), sa.null())
             .select_from(chiefs).group_by(r.email, p.name))
    both = sa.union_all(per_kind, units).subquery()
    typed = sa.select(both.c.email, both.c.name, both.c.kind, both.c.n, both.c.seconds,
                      sa.type_coerce(both.c.first, UTCDateTime()).label("first"),
                      sa.type_coerce(both.c.last, UTCDateTime()).label("last"))
    result = list(session.execute(typed))
    return [row for row in result if row.kind is not None], [row for row in result if row.kind is None]


def event_by_uid(session: Session, uid: str) -> EventRow | None:
    return session.exec(select(EventRow).where(EventRow.uid == uid)).first()
