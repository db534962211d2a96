"""Drains the outbox over one SMTP connection: claim a chunk, send each row, record each answer.

Every row's result is committed on its own right after the server's answer, so a crash loses
nothing and repeats at most the one message in flight (with the same Message-ID, stored on the
row when it was decided).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from notifications import outbox
from notifications.compose import compose_message, envelope_sender
from storage.models_notifications import CapabilityRow
from notifications.transport import DeliveryError

# After this many connection failures in a row the server is taken to be away for this run.
CONNECTION_FAILURES_TO_STOP = 2


@dataclass
class DrainReport:
    sent: Counter = field(default_factory=Counter)  # per kind
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # (row id, kind, recipient, status after the try, the error) of every row that was not sent
    unsent: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    connections: int = 0
    stopped: str | None = None

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())


def drain(engine: sa.Engine, transport, settings, now: dt.datetime, wall: Callable[[], dt.datetime],
          limit: int | None = None, on_sent: Callable | None = None, only: list[int] | None = None) -> DrainReport:
    """Send every due row (of `only`, if given); `wall` is the real clock (for leases), `now` the
    domain time."""
    report = DrainReport()
    before = getattr(transport, "connections", 0)
    done = 0
    try:
        with engine.connect() as db:
            if engine.dialect.name == "sqlite":
                _relax_sqlite_sync(db)
            db.commit()
            while limit is None or done < limit:
                chunk = settings.outbox_batch if limit is None else min(settings.outbox_batch, limit - done)
                with db.begin():
                    rows = outbox.claim(db, now, wall(), settings.outbox_lease_seconds, chunk, only)
                if not rows:
                    break
                if not _send_chunk(db, transport, settings, now, rows, report, on_sent):
                    break
                done += len(rows)
    finally:
        transport.close()
    report.connections = getattr(transport, "connections", 0) - before
    return report


def _relax_sqlite_sync(db: sa.Connection) -> None:
    """synchronous=NORMAL on the sender's SQLite connection (WAL mode).

    Each row's result is its own commit; with FULL every commit waits for an fsync. Under WAL,
    NORMAL is still safe against any crash of the process; only an OS crash or power cut can
    undo the last commits, and an undone 'sent' means one more send with the same Message-ID,
    an undone row is decided again by the next dispatch: nothing is lost.
    """
    db.exec_driver_sql("PRAGMA synchronous=NORMAL")


def composed_ahead(items, compose_one):
    """Yield (item, message) pairs, composing the next message in a helper thread while the
    caller sends this one: rendering and MIME building are CPU, an SMTP exchange is mostly waiting
    for the server, so the two overlap."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(compose_one, items[0])
        for i, item in enumerate(items):
            data = upcoming.result()
            if i + 1 < len(items):
                upcoming = pool.submit(compose_one, items[i + 1])
            yield item, data


class RenderFailure:
    """A row whose email could not be built (a template error, a value the template cannot use)."""

    def __init__(self, exc: Exception):
        self.reason = f"the email cannot be rendered: {type(exc).__name__}: {exc}"


def _compose_or_failure(row, settings, now):
    try:
        return compose_message(row, settings, now)
    except Exception as exc:  # noqa: BLE001 - any failure of one row must not stop the batch
        return RenderFailure(exc)


def _send_chunk(db: sa.Connection, transport, settings, now, rows, report: DrainReport, on_sent) -> bool:
    connection_failures = 0
    for i, (row, data) in enumerate(composed_ahead(rows, lambda r: _compose_or_failure(r, settings, now))):
        if isinstance(data, RenderFailure):
            # Sending it again would fail the same way: the row fails at once, visibly, with the
            # reason, and the rest of the batch goes on. An operator retries it after a fix.
            with db.begin():
                outbox.mark_failed_attempt(db, row, None, data.reason, now, permanent=True,
                                           max_attempts=settings.outbox_max_attempts,
                                           base=settings.outbox_backoff_seconds, cap=settings.outbox_backoff_max_seconds)
            report.failed += 1
            report.errors.append(f"{row.id} {row.recipient}: {data.reason}")
            report.unsent.append((row.id, row.kind, row.recipient, "failed", data.reason))
            continue
        if data.capability is not None:
            # Stored before the email leaves, so its link works the moment it arrives; a send
            # that then fails leaves a capability nobody holds, which simply expires.
            with db.begin():
                db.execute(sa.insert(CapabilityRow.__table__), [data.capability])
        try:
            answer = transport.deliver([row.recipient], data.data, envelope_from=envelope_sender(row, settings))
        except DeliveryError as exc:
            with db.begin():
                status = outbox.mark_failed_attempt(
                    db, row, exc.code, str(exc), now, permanent=exc.permanent,
                    max_attempts=settings.outbox_max_attempts, base=settings.outbox_backoff_seconds,
                    cap=settings.outbox_backoff_max_seconds)
            report.failed += status == "failed"
            report.retrying += status == "pending"
            report.errors.append(f"{row.id} {row.recipient}: {exc}")
            report.unsent.append((row.id, row.kind, row.recipient, status, str(exc)))
            if exc.connection_lost:
                connection_failures += 1
                if connection_failures >= CONNECTION_FAILURES_TO_STOP:
                    # The server is away: every claimed row left counts one failed try and waits.
                    with db.begin():
                        for rest in rows[i + 1:]:
                            status = outbox.mark_failed_attempt(
                                db, rest, exc.code, str(exc), now, permanent=False,
                                max_attempts=settings.outbox_max_attempts, base=settings.outbox_backoff_seconds,
                                cap=settings.outbox_backoff_max_seconds)
                            report.failed += status == "failed"
                            report.retrying += status == "pending"
                            report.unsent.append((rest.id, rest.kind, rest.recipient, status, str(exc)))
                    report.stopped = str(exc)
                    return False
            continue
        connection_failures = 0
        with db.begin():
            outbox.mark_sent(db, row.id, answer.code, answer.text, now)
        report.sent[row.kind] += 1
        if on_sent is not None:
            on_sent(row)
    return True
