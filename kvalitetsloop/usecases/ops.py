"""Use cases of operations alerts: what an ops email says, and sending it (flows/notify_ops.py).

The ops email is not an outbox row: it must arrive while the main SMTP server (the one the outbox
drains through) is the thing that is down, so it goes at once over the ops SMTP server, and a
send that fails makes the notify-ops run fail (red in Prefect) instead of waiting anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from cycle.framework import DEFAULT_TIMEZONE
from kvalitetsloop.errors import UserError
from notifications.mime import Envelope, build
from notifications.render import environment, one_line, tidy

RUN_FAILED = "run-failed"
OUTBOX_FAILING = "outbox-failing"
KINDS = (RUN_FAILED, OUTBOX_FAILING)
# How many long-failing outbox rows an email lists at most.
MAX_LISTED = 20


@dataclass(frozen=True)
class FailingRow:
    id: int
    status: str
    kind: str
    recipient: str
    since: str
    attempts: int
    error: str


@dataclass
class OpsAlert:
    """What one ops email says. `key` names what it is about (a flow run, an outbox row): the same
    key never gives two emails."""

    key: str
    title: str
    what: str
    when: str
    message: str = ""
    link: str = ""
    steps: list[str] = field(default_factory=list)
    failing: list[FailingRow] = field(default_factory=list)
    failing_more: bool = False
    failing_minutes: int = 60


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "unknown"
    return f"{moment.astimezone(ZoneInfo(DEFAULT_TIMEZONE)):%Y-%m-%d %H:%M:%S %Z}"


def failing_rows(uow, now: dt.datetime, minutes: int) -> tuple[list[FailingRow], bool]:
    """Outbox rows failed for good, or still waiting after a failed try since more than `minutes`
    before `now` (oldest first, at most MAX_LISTED); and whether there were more."""
    cutoff = now - dt.timedelta(minutes=minutes)
    with uow:
        pending, _ = uow.outbox.listing("pending", 2000)
        failed, _ = uow.outbox.listing("failed", 2000)
    rows = [r for r in pending if r.attempts > 0 and r.created_at <= cutoff]
    rows += [r for r in failed if r.created_at <= cutoff]
    rows.sort(key=lambda r: (r.created_at, r.id))
    out = [FailingRow(r.id, r.status, r.kind, r.recipient, _local(r.created_at), r.attempts,
                      one_line(r.last_error or "")[:200]) for r in rows[:MAX_LISTED]]
    return out, len(rows) > MAX_LISTED


def run_failed_alert(run_id: str, run_name: str, state: str, message: str, at: dt.datetime | None,
                     link: str, deployment: str = "") -> OpsAlert:
    """The alert for a kvalitetsloop flow run that ended Failed or Crashed."""
    state = (state or "Failed").capitalize()
    name = run_name or run_id
    what = (f"The Prefect flow run '{name}'{f' of {deployment}' if deployment else ''} ended {state}"
            f" (flow run {run_id}).")
    steps = []
    if state == "Crashed":
        steps.append("A crash is the infrastructure's (worker, process, machine), not the flow's: look at the "
                     "worker's log and that the worker is running ('prefect worker start --pool kvalitetsloop').")
    steps += ["See what waits and why: 'kvalitetsloop outbox list' (and '--status failed').",
              "Nothing is lost: rows waiting for a retry go out with the next dispatch run once the cause is "
              "fixed (for example the SMTP server is back).",
              "A row failed for good goes again after 'kvalitetsloop outbox retry ROW', or is dropped with "
              "'kvalitetsloop outbox give-up ROW'."]
    return OpsAlert(key=f"flow-run.{run_id}", title=f"{name} {state.lower()}", what=what, when=_local(at),
                    message=one_line(message or ""), link=link, steps=steps)


def outbox_failed_alert(row_id: str, email_kind: str, recipient: str, error: str, at: dt.datetime | None,
                        link: str = "") -> OpsAlert:
    """The alert for an outbox row that failed for good (kvalitetsloop.outbox.failed)."""
    what = (f"Outbox row {row_id} ({email_kind or 'an email'} to {recipient or 'unknown'}) failed for good: "
            "it is not sent again by itself.")
    steps = [f"Look at it: 'kvalitetsloop outbox list --status failed'.",
             f"Fix the cause, then send it with the next dispatch: 'kvalitetsloop outbox retry {row_id}'.",
             f"Or drop it: 'kvalitetsloop outbox give-up {row_id}'."]
    return OpsAlert(key=f"outbox.{row_id}", title=f"outbox row {row_id} failed for good", what=what,
                    when=_local(at), message=one_line(error or ""), link=link, steps=steps)


def message_id(key: str, domain: str) -> str:
    """The same alert always has the same Message-ID (mail clients drop a duplicate)."""
    return f"<ops-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def compose(alert: OpsAlert, settings, now: dt.datetime) -> tuple[str, bytes]:
    """The ops email's subject and bytes (notifications.mime builds every message)."""
    if not settings.ops_email:
        raise UserError("no ops address is set: set KVALITETSLOOP_OPS_EMAIL (docs/ops-alerts.md)")
    env = environment()
    txt, html = env.get_template("ops_alert.txt"), env.get_template("ops_alert.html")
    variables = {"a": alert}
    subject = one_line("".join(txt.blocks["subject"](txt.new_context(variables))))
    variables["subject"] = subject
    envelope = Envelope(sender=settings.sender, sender_name="kvalitetsloop", recipient=settings.ops_email,
                        recipient_name="", subject=subject,
                        message_id=message_id(alert.key, settings.message_id_domain), date=now,
                        headers={"X-Kvalitetsloop-Alert": alert.key})
    return subject, build(envelope, tidy(txt.render(variables)), html.render(variables))


def send(alert: OpsAlert, settings, transport, now: dt.datetime) -> str:
    """Send the alert to the ops address over `transport`; the server's answer. Raises
    notifications.transport.DeliveryError when it is not accepted."""
    subject, data = compose(alert, settings, now)
    try:
        answer = transport.deliver([settings.ops_email], data)
    finally:
        transport.close()
    return f"'{subject}' to {settings.ops_email}: {answer}"
