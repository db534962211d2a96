"""Repositories: what the use cases read and write, in domain objects, over one session.

Each repository is a thin object over the unit of work's session; the translation between
tables and domain objects stays in `storage.repository`. No rules live here.
"""

from __future__ import annotations

import hashlib
import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from cycle.events import Attendee, Event, EventChange
from cycle.framework import Framework, parse_framework
from cycle.organisation import Organisation, Person
from cycle.summary import ChiefTally
from cycle.workcalendar import HolidayPeriod
from storage import repository as rows
from storage.models import AttendeeRow, EventChangeRow, EventRow, FrameworkRow, LoopRow
from storage.models_notifications import OutboxRow, SubmissionRow


class OrganisationRepository:
    def __init__(self, session: Session):
        self.session = session

    def load(self) -> Organisation:
        return rows.load_organisation(self.session)

    def units(self, unit_ids: list[str]) -> Organisation:
        """Only these units, with their people."""
        return rows.load_organisation(self.session, unit_ids)

    def save(self, org: Organisation, removed: list[str], unchanged_roles: frozenset[str] = frozenset()) -> None:
        """Store `org`; the roles of the units in `unchanged_roles` are known to be stored already."""
        rows.save_organisation(self.session, org, removed, unchanged_roles)

    def fingerprint(self) -> str:
        """Changes whenever a unit, a person or who holds which role changes: a cache key for what
        is computed from the whole organisation."""
        return _table_digest(self.session, ("unit", "person", "unit_role"))


class HolidayRepository:
    def __init__(self, session: Session):
        self.session = session

    def load(self) -> list[HolidayPeriod]:
        return rows.load_holiday_periods(self.session)

    def save(self, periods: list[HolidayPeriod]) -> int:
        return rows.save_holiday_periods(self.session, periods)

    def fingerprint(self) -> str:
        """Changes whenever a holiday or closing period is imported."""
        return _table_digest(self.session, ("holiday_period",))


class LoopRepository:
    def __init__(self, session: Session):
        self.session = session
        self._frameworks: dict[int, Framework] = {}

    def get(self, loop_id: str) -> LoopRow | None:
        return self.session.get(LoopRow, loop_id)

    def all(self) -> list[LoopRow]:
        return list(self.session.exec(select(LoopRow).order_by(LoopRow.council_date, LoopRow.id)))

    def active(self) -> list[LoopRow]:
        return list(self.session.exec(select(LoopRow).where(LoopRow.status == "active")
                                      .order_by(LoopRow.council_date, LoopRow.id)))

    def dispatched(self) -> list[LoopRow]:
        """The loops dispatch looks at: the running ones, and cancelled ones (their cancellations)."""
        return list(self.session.exec(select(LoopRow).where(LoopRow.status.in_(("active", "cancelled")))
                                      .order_by(LoopRow.council_date, LoopRow.id)))

    def ids(self) -> list[str]:
        return [l.id for l in self.session.exec(select(LoopRow).order_by(LoopRow.id))]

    def add(self, loop: LoopRow) -> None:
        self.session.add(loop)
        self.session.flush()

    def framework_row(self, loop: LoopRow) -> FrameworkRow:
        return self.session.get(FrameworkRow, loop.framework_id)

    def framework(self, loop: LoopRow) -> Framework:
        """The framework version that planned the loop (parsed once per unit of work)."""
        if loop.framework_id not in self._frameworks:
            row = self.framework_row(loop)
            self._frameworks[loop.framework_id] = parse_framework(row.content, source=f"framework {row.name} {row.version}")
        return self._frameworks[loop.framework_id]

    def store_framework(self, name: str, version: str, content_hash: str, content: dict, now: dt.datetime) -> FrameworkRow:
        return rows.framework_row(self.session, name, version, content_hash, content, now)

    def framework_contents(self) -> list[dict]:
        return [r.content for r in self.session.exec(select(FrameworkRow))]


class EventRepository:
    def __init__(self, session: Session):
        self.session = session

    def of_loop(self, loop_id: str, tz: ZoneInfo) -> list[Event]:
        return rows.load_events(self.session, loop_id, tz)

    # Parts of a loop, for what shows a national loop without reading all of it.

    def count(self, loop_id: str) -> int:
        return self.session.execute(sa.select(sa.func.count()).select_from(EventRow.__table__)
                                    .where(EventRow.__table__.c.loop_id == loop_id)).scalar_one()

    def counts(self, loop_id: str, now: dt.datetime) -> list:
        """(kind, status, past, n): how many events of each kind and status ended by `now`."""
        return rows.event_counts(self.session, loop_id, now)

    def next_live(self, loop_id: str, now: dt.datetime, limit: int, tz: ZoneInfo,
                  shared_first: bool = False) -> list[Event]:
        """The first `limit` events not cancelled that have not ended at `now`, by start (and at
        the same start, with `shared_first`, those of no unit first, then by unit)."""
        ev = EventRow.__table__.c
        order = (ev.start, sa.func.coalesce(ev.unit_id, ""), ev.id) if shared_first else ()
        return rows.load_events_where(self.session, sa.and_(ev.loop_id == loop_id, ev.status != "cancelled",
                                                            ev.end > now), tz, limit=limit, order=order)

    def of_units_between(self, loop_id: str, unit_ids: list[str], start: dt.datetime, end: dt.datetime,
                         tz: ZoneInfo) -> list[Event]:
        """The live events of these units that start in [start, end), by start."""
        ev = EventRow.__table__.c
        return rows.load_events_where(self.session, sa.and_(ev.loop_id == loop_id, ev.unit_id.in_(unit_ids),
                                                            ev.status != "cancelled", ev.start >= start,
                                                            ev.start < end), tz)

    def of_unit(self, loop_id: str, unit_id: str, tz: ZoneInfo) -> list[Event]:
        ev = EventRow.__table__.c
        return rows.load_events_where(self.session, sa.and_(ev.loop_id == loop_id, ev.unit_id == unit_id), tz)

    def shared(self, loop_id: str, tz: ZoneInfo) -> list[Event]:
        """The events of no unit (network meetings, council, committee, report-back), for a list
        of titles and times: without their attendees."""
        ev = EventRow.__table__.c
        return rows.load_events_where(self.session, sa.and_(ev.loop_id == loop_id, ev.unit_id.is_(None)), tz,
                                      with_attendees=False)

    def of_person(self, loop_id: str, email: str, tz: ZoneInfo) -> list[Event]:
        """The events of a loop `email` takes part in."""
        ev = EventRow.__table__.c
        return rows.load_events_where(self.session, sa.and_(ev.loop_id == loop_id, rows.of_person(email)), tz)

    def live_tallies(self, loop_id: str, tz: ZoneInfo) -> tuple[list[ChiefTally], dict[Person, int]]:
        """Per chief and kind, their units' events not cancelled (count, duration, first and last
        local day), and per chief how many units: cycle.summary.tally, by the database."""
        per_kind, units = rows.live_chief_tallies(self.session, loop_id)
        tallies = [ChiefTally(Person(r.email, r.name or ""), r.kind, r.n, float(r.seconds or 0),
                              r.first.astimezone(tz).date(), r.last.astimezone(tz).date()) for r in per_kind]
        return tallies, {Person(r.email, r.name or ""): r.n for r in units}

    def add_planned(self, loop_id: str, events: list[Event], now: dt.datetime) -> None:
        rows.add_events(self.session, loop_id, events, now)

    def row(self, uid: str) -> EventRow | None:
        return rows.event_by_uid(self.session, uid)

    def get(self, uid: str, tz: ZoneInfo) -> Event | None:
        row = self.row(uid)
        if row is None:
            return None
        attendees = self.session.exec(select(AttendeeRow).where(AttendeeRow.event_id == row.id, AttendeeRow.active)
                                      .order_by(AttendeeRow.id))
        return Event(uid=row.uid, kind=row.kind, start=row.start.astimezone(tz), end=row.end.astimezone(tz),
                     title=row.title, unit_id=row.unit_id, number=row.number, all_day=row.all_day,
                     sequence=row.sequence, status=row.status,
                     attendees=tuple(Attendee(a.email, a.role, a.name) for a in attendees),
                     parent_uid=row.parent_uid, host_role=row.host_role, sector=row.sector,
                     details=dict(row.details or {}))

    def children(self, uid: str, tz: ZoneInfo) -> list[Event]:
        """The live deadlines that belong to a talk (its data package, statement, form)."""
        uids = self.session.exec(select(EventRow.uid).where(EventRow.parent_uid == uid,
                                                            EventRow.status != "cancelled").order_by(EventRow.id))
        return [self.get(u, tz) for u in uids]

    def future(self, loop_id: str, now: dt.datetime, unit_ids: list[str] | None = None) -> list[EventRow]:
        """Live events not over yet (a deadline due today included); of these units only, if given."""
        q = select(EventRow).where(EventRow.loop_id == loop_id, EventRow.end > now, EventRow.status != "cancelled")
        if unit_ids is None:
            return list(self.session.exec(q))
        out = []
        for i in range(0, len(unit_ids), 1000):
            out += self.session.exec(q.where(EventRow.unit_id.in_(unit_ids[i:i + 1000])))
        return out

    def find(self, unit_id: str, kind: str, number: int | None = None) -> list[tuple[EventRow, LoopRow]]:
        """A unit's live events of one kind in the active loops, newest loop first."""
        q = (select(EventRow, LoopRow).join(LoopRow, LoopRow.id == EventRow.loop_id)
             .where(EventRow.unit_id == unit_id, EventRow.kind == kind, EventRow.status != "cancelled",
                    LoopRow.status == "active"))
        if number is not None:
            q = q.where(EventRow.number == number)
        return list(self.session.exec(q.order_by(LoopRow.council_date.desc())).all())

    def changes(self, loop_id: str) -> list[EventChangeRow]:
        return change_rows(self.session, loop_id)

    def fingerprint(self) -> tuple:
        return change_fingerprint(self.session)

    def record(self, event: Event, change: EventChange, now: dt.datetime) -> None:
        """Store an event's new state and the change that led to it, in this transaction."""
        row = self.row(event.uid)
        row.start, row.end = event.start, event.end
        row.sequence, row.status = event.sequence, event.status
        row.title = event.title  # a visit shared out anew for a joining unit names its new visitor
        row.details = dict(event.details)
        row.updated_at = now
        self.session.add(row)
        if change.change == "attendees":
            self._set_attendees(row, event.attendees)
        self.session.add(EventChangeRow(event_uid=row.uid, loop_id=row.loop_id, sequence=change.sequence,
                                        change=change.change, detail=change.detail, at=now))

    def _set_attendees(self, row: EventRow, attendees: tuple[Attendee, ...]) -> None:
        wanted = {a.email: a for a in attendees}
        current = {a.email: a for a in self.session.exec(select(AttendeeRow).where(AttendeeRow.event_id == row.id))}
        for email, a in current.items():
            if a.active and email not in wanted:
                a.active = False
                self.session.add(a)
        for email, a in wanted.items():
            if email in current:
                if not current[email].active:
                    current[email].active, current[email].role, current[email].name = True, a.role, a.name
                    self.session.add(current[email])
            else:
                self.session.add(AttendeeRow(event_id=row.id, email=a.email, name=a.name, role=a.role))


class SubmissionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, row: SubmissionRow) -> None:
        self.session.add(row)

    def add_all(self, new: list[SubmissionRow]) -> None:
        self.session.add_all(new)

    def count_for(self, event_uid: str, kind: str) -> int:
        return len(self.session.exec(select(SubmissionRow.id).where(SubmissionRow.event_uid == event_uid,
                                                                    SubmissionRow.kind == kind)).all())

    def since(self, loop_ids: list[str], last_id: int) -> list:
        return submissions_since(self.session, loop_ids, last_id)

    def unannounced(self, limit: int = 500) -> list[SubmissionRow]:
        return list(self.session.exec(select(SubmissionRow).where(SubmissionRow.announced_at.is_(None))
                                      .order_by(SubmissionRow.id).limit(limit)))

    def mark_announced(self, ids: list[int], now: dt.datetime) -> None:
        if ids:
            self.session.execute(sa.update(SubmissionRow.__table__).where(SubmissionRow.__table__.c.id.in_(ids))
                                 .values(announced_at=now))

    def of_loop(self, loop_id: str) -> list[SubmissionRow]:
        return list(self.session.exec(select(SubmissionRow).where(SubmissionRow.loop_id == loop_id)))


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, row_id: int) -> OutboxRow | None:
        return self.session.get(OutboxRow, row_id)

    def save(self, row: OutboxRow) -> None:
        self.session.add(row)

    def add_decided(self, decided: list[dict]) -> None:
        """Store decided emails; keys already there are skipped."""
        from notifications import outbox

        outbox.insert_ignoring_duplicates(self.session, OutboxRow.__table__, decided, "key")

    def due(self, now: dt.datetime) -> list[OutboxRow]:
        return list(self.session.exec(select(OutboxRow).where(OutboxRow.status == "pending",
                                                              OutboxRow.next_attempt_at <= now)
                                      .order_by(OutboxRow.due_at, OutboxRow.id)))

    def due_with_events(self, now: dt.datetime) -> list:
        """Rows due to be sent at `now`, each with its event's kind, number and sector (if any)."""
        O, E = OutboxRow.__table__.c, EventRow.__table__.c
        q = (sa.select(O.id, O.kind, O.loop_id, O.context, E.kind.label("event_kind"),
                       E.number.label("event_number"), E.sector.label("event_sector"))
             .select_from(OutboxRow.__table__.outerjoin(EventRow.__table__, E.uid == O.event_uid))
             .where(O.status == "pending", O.next_attempt_at <= now).order_by(O.due_at, O.id))
        return list(self.session.execute(q))

    def states(self, row_ids: list[int]) -> list:
        O = OutboxRow.__table__.c
        out = []
        for i in range(0, len(row_ids), 5000):
            part = row_ids[i:i + 5000]
            out += self.session.execute(sa.select(O.id, O.kind, O.status, O.last_error).where(O.id.in_(part)))
        return out

    def held_back(self, now: dt.datetime) -> tuple[int, dt.datetime | None, str | None]:
        """Rows due by `now` that a send already tried and that wait for their next try (not yet
        due again): how many, the earliest next try, and one of their errors."""
        O = OutboxRow.__table__.c
        where = sa.and_(O.status == "pending", O.attempts > 0, O.due_at <= now, O.next_attempt_at > now)
        n, first = self.session.execute(sa.select(sa.func.count(), sa.func.min(O.next_attempt_at)).where(where)).one()
        error = self.session.execute(sa.select(O.last_error).where(where, O.last_error.is_not(None))
                                     .order_by(O.updated_at.desc()).limit(1)).scalar() if n else None
        return n, first, error

    def listing(self, status: str | None, limit: int) -> tuple[list[OutboxRow], dict[str, int]]:
        from notifications import outbox

        return outbox.rows(self.session, status, limit), outbox.counts(self.session)

    def sent_invitations(self, event_uids: list[str]) -> int:
        """How many meeting requests for these events have gone out (each will get a CANCEL)."""
        O = OutboxRow.__table__.c
        n = 0
        for i in range(0, len(event_uids), 1000):
            n += self.session.execute(sa.select(sa.func.count()).where(
                O.event_uid.in_(event_uids[i:i + 1000]), O.kind == "invitation", O.method == "REQUEST",
                O.status == "sent")).scalar()
        return n

    def withdraw(self, event_uids: list[str], reason: str, now: dt.datetime,
                 recipients: list[str] | None = None) -> int:
        """Rows about these events not sent yet are withdrawn: kept, listed with the reason, never
        sent. A cancellation itself is never withdrawn."""
        O = OutboxRow.__table__.c
        n = 0
        for i in range(0, len(event_uids), 1000):
            q = (sa.update(OutboxRow.__table__)
                 .where(O.event_uid.in_(event_uids[i:i + 1000]), O.status.in_(("pending", "failed")),
                        sa.or_(O.method.is_(None), O.method != "CANCEL"))
                 .values(status="withdrawn", last_error=reason, updated_at=now))
            if recipients is not None:
                q = q.where(O.recipient.in_(recipients))
            n += self.session.execute(q).rowcount
        return n

    def withdraw_loop(self, loop_id: str, reason: str, now: dt.datetime) -> int:
        """Every row of a loop not sent yet, cancellations apart, is withdrawn (see `withdraw`)."""
        O = OutboxRow.__table__.c
        return self.session.execute(
            sa.update(OutboxRow.__table__)
            .where(O.loop_id == loop_id, O.status.in_(("pending", "failed")),
                   sa.or_(O.method.is_(None), O.method != "CANCEL"))
            .values(status="withdrawn", last_error=reason, updated_at=now)).rowcount

    def invited(self, event_uid: str) -> set[str]:
        """Who has a meeting request for this event that was sent or is on its way."""
        O = OutboxRow.__table__.c
        return set(self.session.execute(sa.select(O.recipient).where(
            O.event_uid == event_uid, O.kind == "invitation", O.method == "REQUEST",
            O.status.in_(("sent", "pending", "sending", "failed")))).scalars())

    def last_decided_at(self) -> dt.datetime | None:
        """The `now` of the newest decided email: no dispatch has decided anything since."""
        return self.session.execute(sa.select(sa.func.max(OutboxRow.__table__.c.created_at))).scalar()

    def keys(self, loop_ids: list[str]) -> set[str]:
        from notifications import outbox

        return outbox.existing_keys(self.session, loop_ids)


def _table_digest(session: Session, tables: tuple[str, ...]) -> str:
    """A hash of every row of these tables (in a stable order)."""
    digest = hashlib.sha256()
    for table in tables:
        t = SQLModel.metadata.tables[table]
        for row in session.execute(sa.select(t).order_by(*t.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def change_fingerprint(session: Session) -> tuple:
    """Changes whenever an event changes or a loop starts or ends: a cache key for dispatch."""
    ch = session.execute(sa.select(sa.func.max(EventChangeRow.id))).scalar()
    lp = tuple(session.execute(sa.select(LoopRow.id, LoopRow.status).order_by(LoopRow.id)).all())
    return (ch, lp)


def change_rows(session: Session, loop_id: str) -> list:
    """A loop's whole change history, as plain rows (every dispatch run reads it)."""
    C = EventChangeRow.__table__.c
    return list(session.execute(sa.select(C.id, C.event_uid, C.sequence, C.change, C.detail, C.at)
                                .where(C.loop_id == loop_id)))


def submissions_since(session: Session, loop_ids: list[str], last_id: int) -> list:
    """Submissions of the loops newer than `last_id`, oldest first, as plain rows."""
    T = SubmissionRow.__table__
    q = (sa.select(T.c.id, T.c.event_uid, T.c.kind, T.c.submitted_at, T.c.by, T.c.url)
         .where(T.c.loop_id.in_(loop_ids), T.c.id > last_id).order_by(T.c.id))
    return list(session.execute(q))
