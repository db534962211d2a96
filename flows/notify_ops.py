"""Prefect flow: tell operations. One email to KVALITETSLOOP_OPS_EMAIL per failed kvalitetsloop
flow run and per outbox row failed for good (docs/ops-alerts.md).

Prefect's notification blocks have no plain SMTP, so the `notify-ops` deployment (prefect.yaml)
carries the triggers: `prefect deploy --all` makes them automations that run this flow on

- `prefect.flow-run.Failed` / `prefect.flow-run.Crashed` of a run tagged `kvalitetsloop`
  (dispatch, start-loop) -> kind `run-failed`;
- `kvalitetsloop.outbox.failed` (the dispatch flow's event for a row that failed for good: a
  permanent 5xx, a row that cannot be rendered, its tries used up) -> kind `outbox-failing`.

This flow's runs never carry the `kvalitetsloop` tag, so a failing alert does not alert about
itself. The email goes over the ops SMTP server (KVALITETSLOOP_OPS_SMTP_*, by default the main
one), so it can arrive while the main server is down; when it cannot be sent the run fails (red)
after its retries. The same flow run or row never gives two emails: each run is tagged with its
alert's key and an alert whose key a Completed run already carries is not sent again.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterState, FlowRunFilterStateType, FlowRunFilterTags
from prefect.client.schemas.objects import StateType

from flows.runs import tag_this_run
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.settings import get_settings
from kvalitetsloop.usecases import ops as ops_cases
from notifications.transport import YagTransport


def _clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _last_part(resource_id: str | None) -> str:
    """'prefect.flow-run.<id>' -> '<id>', 'kvalitetsloop.outbox.12' -> '12' (a bare id stays)."""
    return (resource_id or "").rsplit(".", 1)[-1]


def _ui_link(flow_run_id: str) -> str:
    from prefect.settings import PREFECT_UI_URL

    base = PREFECT_UI_URL.value()
    return f"{base.rstrip('/')}/runs/flow-run/{flow_run_id}" if base else ""


def _run_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    if p.get("kind") == ops_cases.OUTBOX_FAILING:
        return f"ops: outbox row {_last_part(p.get('resource_id'))}"
    return f"ops: {p.get('run_name') or _last_part(p.get('resource_id'))} {str(p.get('state') or 'failed').lower()}"


@task(name="what failed")
def what_failed(kind: str, resource_id: str, run_name: str, state: str, message: str, email_kind: str,
                recipient: str) -> ops_cases.OpsAlert | None:
    """The alert, with what the Prefect API knows of the failed run (None: a subflow's, which its
    parent run's alert covers)."""
    if kind == ops_cases.OUTBOX_FAILING:
        return ops_cases.outbox_failed_alert(_last_part(resource_id), email_kind, recipient, message, _clock())
    run_id = _last_part(resource_id)
    at, deployment = _clock(), ""
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(run_id))
            if run.parent_task_run_id is not None:
                return None
            run_name = run.name or run_name
            if run.state is not None:
                state, message = run.state.name or state, run.state.message or message
                at = run.state.timestamp or at
            if run.deployment_id:
                deployment = client.read_deployment(run.deployment_id).name
    except Exception as exc:  # the event's own words are enough for the email
        get_run_logger().warning("Could not read flow run %s from the Prefect API (%s); the email uses the "
                                 "event's words", run_id, exc)
    return ops_cases.run_failed_alert(run_id, run_name, state, message, at, _ui_link(run_id), deployment)


@task(name="outbox rows failing")
def add_failing_rows(alert: ops_cases.OpsAlert, now: dt.datetime) -> ops_cases.OpsAlert:
    """List the outbox rows that have been failing for longer than KVALITETSLOOP_OPS_FAILING_MINUTES
    (when the database cannot be read, the alert goes without them)."""
    settings = get_settings()
    try:
        rows, more = ops_cases.failing_rows(unit_of_work_for(settings.database_url), now,
                                            settings.ops_failing_minutes)
    except Exception as exc:
        get_run_logger().warning("Could not read the outbox (%s); the alert goes without its rows", exc)
        return alert
    alert.failing, alert.failing_more, alert.failing_minutes = rows, more, settings.ops_failing_minutes
    return alert


def _alert_tag(key: str) -> str:
    return f"ops-alert:{key}"


@task(name="already sent?")
def already_sent(key: str) -> bool:
    """Whether another notify-ops run with this alert's key has completed (it sent the email)."""
    from prefect.runtime import flow_run

    with get_client(sync_client=True) as client:
        done = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=[_alert_tag(key)]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED])),
            id=FlowRunFilterId(not_any_=[UUID(flow_run.id)]) if flow_run.id else None), limit=1)
    return bool(done)


@task(name="email ops", retries=2, retry_delay_seconds=20)
def email_ops(alert: ops_cases.OpsAlert) -> str:
    """Send the alert over the ops SMTP server; raises (and is retried) when it is not accepted."""
    settings = get_settings()
    smtp = settings.ops_smtp()
    transport = YagTransport(host=smtp["host"], port=smtp["port"], user=smtp["user"], password=smtp["password"],
                             tls=smtp["tls"], timeout=settings.smtp_timeout, envelope_from=settings.sender)
    return ops_cases.send(alert, settings, transport, _clock())


@flow(name="notify-ops", flow_run_name=_run_name, log_prints=True)
def notify_ops(kind: str = ops_cases.RUN_FAILED, resource_id: str = "", run_name: str = "", state: str = "",
               message: str = "", email_kind: str = "", recipient: str = "") -> str:
    """Email the ops address about one failed kvalitetsloop flow run (`kind` run-failed,
    `resource_id` 'prefect.flow-run.<id>') or one outbox row failed for good (`outbox-failing`,
    'kvalitetsloop.outbox.<row id>'); the automations of prefect.yaml fill the parameters from
    the event."""
    if kind not in ops_cases.KINDS:
        raise ValueError(f"kind must be one of {', '.join(ops_cases.KINDS)}, not '{kind}'")
    if not _last_part(resource_id):
        raise ValueError("resource_id names the failed flow run or outbox row, and is empty")
    logger = get_run_logger()
    alert = what_failed(kind, resource_id, run_name, state, message, email_kind, recipient)
    if alert is None:
        return f"{resource_id} is a subflow run; the alert of its parent run covers it"
    tag_this_run(_alert_tag(alert.key))
    if already_sent(alert.key):
        logger.info("The alert about %s was sent already; not again", alert.key)
        return f"already sent: {alert.key}"
    alert = add_failing_rows(alert, _clock())
    sent = email_ops(alert)
    logger.info("Sent %s", sent)
    return sent
