"""The transactional outbox: rows in, claims, results. SQL only; no SMTP here.

A row moves pending -> sending -> sent, or back to pending with a later `next_attempt_at` after a
temporary failure (connection, timeout, 4xx), or to failed at once on a permanent 5xx or when its
attempts are used up. An operator may retry a failed row or give it up.
Claims are atomic UPDATEs, so overlapping senders never take the same row; a row left in
'sending' by a sender that died is taken over when its lease (wall clock) has run out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models_notifications import OutboxRow

T = OutboxRow.__table__


def insert_ignoring_duplicates(session: Session, table: sa.Table, rows: list[dict], key: str) -> int:
    """INSERT ... ON CONFLICT (key) DO NOTHING; returns how many rows were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    result = session.execute(ins.on_conflict_do_nothing(index_elements=[key]), rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def existing_keys(session: Session, loop_ids: Iterable[str]) -> set[str]:
    ids = list(loop_ids)
    q = sa.select(T.c.key).where(sa.or_(T.c.loop_id.in_(ids), T.c.loop_id.is_(None)))
    return set(session.execute(q).scalars())


def claim(conn: sa.Connection, now: dt.datetime, wall: dt.datetime, lease_seconds: int, limit: int,
          only: list[int] | None = None) -> list[sa.Row]:
    """Take up to `limit` rows that are due (or whose sender's lease ran out) for sending; of
    the rows `only` names, if given."""
    takeable = sa.or_(sa.and_(T.c.status == "pending", T.c.next_attempt_at <= now),
                      sa.and_(T.c.status == "sending", T.c.lease_until < wall))
    if only is not None:
        takeable = sa.and_(T.c.id.in_(only), takeable)
    ids = sa.select(T.c.id).where(takeable).order_by(T.c.due_at, T.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    stmt = (sa.update(T).where(T.c.id.in_(ids.scalar_subquery()), takeable)
            .values(status="sending", attempts=T.c.attempts + 1,
                    lease_until=wall + dt.timedelta(seconds=lease_seconds), updated_at=now)
            .returning(*T.c))
    rows = list(conn.execute(stmt))
    rows.sort(key=lambda r: (r.due_at, r.id))
    return rows


# Built once: a statement constructed per row costs more than the row's SMTP exchange.
_SENT = sa.update(T).where(T.c.id == sa.bindparam("rid")).values(
    status="sent", sent_at=sa.bindparam("now"), smtp_code=sa.bindparam("code"),
    smtp_response=sa.bindparam("answer"), last_error=None, lease_until=None, updated_at=sa.bindparam("now"))
_FAILED_TRY = sa.update(T).where(T.c.id == sa.bindparam("rid")).values(
    status=sa.bindparam("status"), smtp_code=sa.bindparam("code"), last_error=sa.bindparam("error"),
    lease_until=None, updated_at=sa.bindparam("now"), next_attempt_at=sa.bindparam("next_at"))


def mark_sent(conn: sa.Connection, row_id: int, code: int, text: str, now: dt.datetime) -> None:
    conn.execute(_SENT, {"rid": row_id, "now": now, "code": code, "answer": text[:1000]})


def backoff(attempts: int, base: int, cap: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def mark_failed_attempt(conn: sa.Connection, row, code: int | None, error: str, now: dt.datetime, *,
                        permanent: bool, max_attempts: int, base: int, cap: int) -> str:
    """Record a failed attempt; returns the row's new status (pending or failed)."""
    status = "failed" if permanent or row.attempts >= max_attempts else "pending"
    next_at = now + backoff(row.attempts, base, cap) if status == "pending" else row.next_attempt_at
    conn.execute(_FAILED_TRY, {"rid": row.id, "status": status, "code": code, "error": error[:1000], "now": now,
                               "next_at": next_at})
    return status


def release(conn: sa.Connection, row_ids: list[int], error: str, now: dt.datetime) -> None:
    """Give back claimed rows that were not tried (the server went away); the try is not counted."""
    if row_ids:
        conn.execute(sa.update(T).where(T.c.id.in_(row_ids), T.c.status == "sending").values(
            status="pending", attempts=T.c.attempts - 1, lease_until=None, last_error=error[:1000],
            updated_at=now))


def rows(session: Session, status: str | None = None, limit: int = 50) -> list[OutboxRow]:
    q = select(OutboxRow)
    if status:
        q = q.where(OutboxRow.status == status)
    q = q.order_by(OutboxRow.id.desc()).limit(limit)
    return list(session.exec(q))


def counts(session: Session) -> dict[str, int]:
    q = sa.select(T.c.status, sa.func.count()).group_by(T.c.status)
    return {s: n for s, n in session.execute(q)}
