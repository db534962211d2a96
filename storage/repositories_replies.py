"""The replies repository: each attendee's latest answer, and the log of replies read."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from storage.models import AttendeeRow, EventRow
from storage.models_replies import CalendarReplyRow, ReplyMessageRow


class ReplyRepository:
    def __init__(self, session: Session):
        self.session = session

    def known(self, message_key: str) -> list[ReplyMessageRow]:
        """What an earlier fetch recorded of this message (empty when it is new)."""
        return list(self.session.exec(select(ReplyMessageRow).where(ReplyMessageRow.message_key == message_key)
                                      .order_by(ReplyMessageRow.item)))

    def answer(self, event_uid: str, attendee: str) -> CalendarReplyRow | None:
        return self.session.exec(select(CalendarReplyRow).where(CalendarReplyRow.event_uid == event_uid,
                                                                CalendarReplyRow.attendee == attendee)).first()

    def save(self, row: CalendarReplyRow) -> None:
        self.session.add(row)

    def log(self, rows: Iterable[ReplyMessageRow]) -> None:
        self.session.add_all(list(rows))
        self.session.flush()

    def answers_of(self, event_uids: Iterable[str]) -> dict[str, dict[str, CalendarReplyRow]]:
        """The answers to these events: event uid -> attendee -> answer."""
        uids = list(set(event_uids))
        out: dict[str, dict[str, CalendarReplyRow]] = {}
        for i in range(0, len(uids), 5000):
            for r in self.session.exec(select(CalendarReplyRow).where(CalendarReplyRow.event_uid.in_(uids[i:i + 5000]))):
                out.setdefault(r.event_uid, {})[r.attendee] = r
        return out

    def answers_of_loops(self, loop_ids: Iterable[str]) -> dict[str, dict[str, CalendarReplyRow]]:
        out: dict[str, dict[str, CalendarReplyRow]] = {}
        for r in self.session.exec(select(CalendarReplyRow).where(CalendarReplyRow.loop_id.in_(list(loop_ids)))):
            out.setdefault(r.event_uid, {})[r.attendee] = r
        return out

    def messages(self, outcomes: Iterable[str] | None = None, limit: int = 200) -> list[ReplyMessageRow]:
        """The replies read, newest first (only those with these outcomes, if given)."""
        q = select(ReplyMessageRow)
        if outcomes is not None:
            q = q.where(ReplyMessageRow.outcome.in_(list(outcomes)))
        return list(self.session.exec(q.order_by(ReplyMessageRow.id.desc()).limit(limit)))

    def attendee_emails(self, event_id: int) -> list[AttendeeRow]:
        return list(self.session.exec(select(AttendeeRow).where(AttendeeRow.event_id == event_id)))

    def events_of_unit(self, loop_id: str, unit_id: str) -> list[EventRow]:
        return list(self.session.exec(select(EventRow).where(EventRow.loop_id == loop_id, EventRow.unit_id == unit_id)))

    def outbox_ids(self, keys: Iterable[str]) -> list[int]:
        """The outbox rows of these keys (the notices a fetch decided), to send them at once."""
        from storage.models_notifications import OutboxRow

        return list(self.session.exec(select(OutboxRow.id).where(OutboxRow.key.in_(list(keys))).order_by(OutboxRow.id)))

    def invited_events(self, loop_id: str) -> set[str]:
        """The events of a loop whose invitation has been sent to someone."""
        from storage.models_notifications import OutboxRow

        return set(self.session.exec(select(OutboxRow.event_uid).where(
            OutboxRow.loop_id == loop_id, OutboxRow.kind == "invitation", OutboxRow.status == "sent").distinct()))
