"""The portal's repository: capability links, web submissions with their forms, feed links."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import EventRow, LoopRow
from storage.models_notifications import CapabilityRow, SubmissionRow
from storage.models_portal import FeedLinkRow, SubmissionFormRow


class PortalRepository:
    def __init__(self, session: Session):
        self.session = session

    def capability(self, token_hash: str) -> CapabilityRow | None:
        return self.session.get(CapabilityRow, token_hash)

    def add_capability(self, row: CapabilityRow) -> None:
        self.session.add(row)

    def add_submission(self, row: SubmissionRow, form: SubmissionFormRow) -> None:
        """A submission and its form, in this transaction (the form gets the submission's id)."""
        self.session.add(row)
        self.session.flush()
        form.submission_id = row.id
        self.session.add(form)

    def versions(self, event_uid: str, kind: str) -> list[tuple[SubmissionRow, SubmissionFormRow | None]]:
        """Every submission of `kind` for the event, oldest first, with its form if it has one."""
        q = (select(SubmissionRow, SubmissionFormRow)
             .join(SubmissionFormRow, SubmissionFormRow.submission_id == SubmissionRow.id, isouter=True)
             .where(SubmissionRow.event_uid == event_uid, SubmissionRow.kind == kind)
             .order_by(SubmissionRow.submitted_at, SubmissionRow.id))
        return list(self.session.exec(q).all())

    def form(self, submission_id: int) -> SubmissionFormRow | None:
        return self.session.get(SubmissionFormRow, submission_id)

    def unit_event(self, loop_id: str, unit_id: str, kind: str, number: int | None) -> EventRow | None:
        q = select(EventRow).where(EventRow.loop_id == loop_id, EventRow.unit_id == unit_id, EventRow.kind == kind,
                                   EventRow.status != "cancelled")
        if number is not None:
            q = q.where(EventRow.number == number)
        return self.session.exec(q.order_by(EventRow.id)).first()

    def events_of_kind(self, kind: str, until: dt.datetime) -> list[tuple[EventRow, LoopRow]]:
        """Live events of `kind` in active loops that start before `until`, by start."""
        q = (select(EventRow, LoopRow).join(LoopRow, LoopRow.id == EventRow.loop_id)
             .where(EventRow.kind == kind, EventRow.status != "cancelled", LoopRow.status == "active",
                    EventRow.start < until)
             .order_by(EventRow.start, EventRow.unit_id))
        return list(self.session.exec(q).all())

    def submitted_uids(self, kind: str, uids: list[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(uids), 5000):
            part = uids[i:i + 5000]
            out |= set(self.session.exec(select(SubmissionRow.event_uid).where(SubmissionRow.kind == kind,
                                                                              SubmissionRow.event_uid.in_(part))))
        return out

    def outbox_ids(self, keys: list[str]) -> list[int]:
        from storage.models_notifications import OutboxRow

        if not keys:
            return []
        return list(self.session.exec(select(OutboxRow.id).where(OutboxRow.key.in_(keys)).order_by(OutboxRow.id)))

    def talks_of(self, email: str) -> list[tuple[str, str, dt.datetime]]:
        """The live learning talks in active loops that `email` is invited to, by start."""
        from storage.models import AttendeeRow

        q = (sa.select(EventRow.uid, EventRow.title, EventRow.start)
             .join(AttendeeRow, AttendeeRow.event_id == EventRow.id).join(LoopRow, LoopRow.id == EventRow.loop_id)
             .where(sa.func.lower(AttendeeRow.email) == email.strip().lower(), AttendeeRow.active,
                    EventRow.kind == "learning_talk", EventRow.status != "cancelled", LoopRow.status == "active")
             .order_by(EventRow.start))
        return [tuple(r) for r in self.session.execute(q)]

    def person_events(self, loop_id: str, email: str, tz) -> list:
        """The loop's events `email` takes part in, with all their attendees, as domain objects."""
        from collections import defaultdict

        from cycle.events import Attendee, Event
        from storage.models import AttendeeRow

        ev, at = EventRow.__table__.c, AttendeeRow.__table__.c
        mine = (sa.select(at.event_id).join(EventRow.__table__, ev.id == at.event_id)
                .where(ev.loop_id == loop_id, sa.func.lower(at.email) == email.strip().lower(), at.active.is_(True)))
        ids = list(self.session.execute(mine).scalars())
        attendees: dict[int, list] = defaultdict(list)
        out = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for a in self.session.execute(sa.select(at.event_id, at.email, at.role, at.name)
                                          .where(at.event_id.in_(part), at.active.is_(True)).order_by(at.id)):
                attendees[a.event_id].append(Attendee(a.email, a.role, a.name))
            for r in self.session.execute(sa.select(EventRow.__table__).where(ev.id.in_(part))):
                out.append(Event(
                    uid=r.uid, kind=r.kind, start=r.start.astimezone(tz), end=r.end.astimezone(tz), title=r.title,
                    unit_id=r.unit_id, number=r.number, all_day=r.all_day, sequence=r.sequence, status=r.status,
                    attendees=tuple(attendees[r.id]), parent_uid=r.parent_uid, host_role=r.host_role,
                    sector=r.sector, details=dict(r.details or {})))
        out.sort(key=lambda e: (e.start, e.uid))
        return out

    def feed_link(self, token_hash: str) -> FeedLinkRow | None:
        return self.session.get(FeedLinkRow, token_hash)

    def add_feed_links(self, rows: list[dict]) -> None:
        """Store feed links; those already there are skipped."""
        from notifications import outbox

        outbox.insert_ignoring_duplicates(self.session, FeedLinkRow.__table__, rows, "token_hash")

    def add_feed_link(self, row: FeedLinkRow) -> None:
        if self.session.get(FeedLinkRow, row.token_hash) is None:
            self.session.add(row)

    def fingerprint(self) -> tuple:
        """Changes whenever an event changes, a loop starts or ends, or a unit is added, removed
        or renamed: the calendar feeds' ETag. One statement: it runs on every feed request.
        (Event changes are only ever appended, so the newest id names the state; a renamed unit
        changes the feeds' texts without an event change.)"""
        return tuple(self.session.execute(sa.text(
            "SELECT (SELECT max(id) FROM event_change), (SELECT count(*) FROM loop WHERE status = 'active'), "
            "(SELECT count(*) FROM unit), (SELECT sum(length(name)) FROM unit)")).one())
