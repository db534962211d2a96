"""Use cases of the outbox for operators: list it, send a row again, give a row up."""

from __future__ import annotations

import datetime as dt

from kvalitetsloop.errors import NotFound, UserError
from storage.models_notifications import OUTBOX_STATUSES, OutboxRow


def list_outbox(uow, status: str | None = None, limit: int = 50) -> tuple[list[OutboxRow], dict[str, int]]:
    """The newest rows (of one status, if given) and the count of rows per status."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise UserError(f"the outbox status must be one of {', '.join(OUTBOX_STATUSES)}, not '{status}'")
    if limit < 1:
        raise UserError(f"the number of rows to list must be at least 1, not {limit}")
    with uow:
        return uow.outbox.listing(status, limit)


def _row(uow, row_id: int) -> OutboxRow:
    row = uow.outbox.get(row_id)
    if row is None:
        raise NotFound(f"there is no outbox row {row_id}")
    return row


def retry_row(uow, row_id: int, now: dt.datetime, max_attempts: int) -> OutboxRow:
    """Send a failed (or waiting) row again at the next dispatch; a used-up row gets its tries back."""
    with uow:
        row = _row(uow, row_id)
        if row.status in ("sent", "sending"):
            raise UserError(f"outbox row {row_id} is {row.status} and cannot be retried")
        if row.status == "withdrawn":
            raise UserError(f"outbox row {row_id} was withdrawn ({row.last_error}) and cannot be retried")
        row.status, row.next_attempt_at, row.updated_at = "pending", now, now
        if row.attempts >= max_attempts:
            row.attempts = 0
        uow.outbox.save(row)
        uow.commit()
    return row


def give_up_row(uow, row_id: int, now: dt.datetime) -> OutboxRow:
    """Stop trying to send a row; it stays listed as given up."""
    with uow:
        row = _row(uow, row_id)
        if row.status in ("sent", "sending"):
            raise UserError(f"outbox row {row_id} is {row.status} and cannot be given up")
        if row.status == "given_up":
            raise UserError(f"outbox row {row_id} has already been given up")
        row.status, row.updated_at = "given_up", now
        uow.outbox.save(row)
        uow.commit()
    return row
