"""What the reports read in bulk: a loop's submissions with the forms the portal stored for them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from storage.models_notifications import SubmissionRow
from storage.models_portal import SubmissionFormRow


class ReportRepository:
    def __init__(self, session: Session):
        self.session = session

    def submissions(self, loop_id: str) -> list[tuple]:
        """Every submission of the loop, oldest first, each with its web form (or None) as plain
        rows: (id, event_uid, kind, unit_id, number, submitted_at, by, content, url, form)."""
        S, F = SubmissionRow.__table__.c, SubmissionFormRow.__table__.c
        q = (sa.select(S.id, S.event_uid, S.kind, S.unit_id, S.number, S.submitted_at, S.by, S.content, S.url, F.form)
             .select_from(SubmissionRow.__table__.outerjoin(SubmissionFormRow.__table__, F.submission_id == S.id))
             .where(S.loop_id == loop_id).order_by(S.submitted_at, S.id))
        return list(self.session.execute(q))
