"""Prefect flow: send everything due now, on a cron schedule (prefect.yaml).

For each data-package request the data team is sent, it also emits the Prefect event
`kvalitetsloop.data-package.requested` with the unit as resource (SPEC 4.4), so automations in
Prefect can start the data team's own flows.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger, task
from prefect.events import emit_event

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.settings import get_settings
from kvalitetsloop.usecases import dispatch as dispatch_service
from notifications.transport import YagTransport


def package_events(sent_rows) -> list[dict]:
    """One event per unit and package in the data-package requests that went out."""
    out = []
    for row in sent_rows:
        if row.kind != "data_package_trigger":
            continue
        for p in (row.context or {}).get("packages", []):
            out.append({
                "event": "kvalitetsloop.data-package.requested",
                "resource": {"prefect.resource.id": f"kvalitetsloop.unit.{p['unit_id']}",
                             "prefect.resource.name": p.get("unit_name") or p["unit_id"]},
                "payload": {"loop_id": row.loop_id, "number": p.get("number"), "sector": p.get("sector"),
                            "available": p.get("available"), "event_uid": p.get("uid")},
            })
    return out


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@task(name="dispatch", retries=2, retry_delay_seconds=60)
def send_due(now: dt.datetime) -> dict:
    sent = []
    settings = get_settings()
    report = dispatch_service.dispatch(unit_of_work_for(settings.database_url), now, settings,
                                       YagTransport.from_settings(settings), wall=_wall_clock, on_sent=sent.append)
    for e in package_events(sent):
        emit_event(**e)
    return {"decided": dict(report.decided), "sent": report.sent, "data_packages_requested": len(package_events(sent))}


@flow(name="dispatch", log_prints=True)
def dispatch(now: dt.datetime | None = None) -> dict:
    """Send what is due at `now` (default: the clock, as a scheduled run)."""
    now = now or dt.datetime.now(dt.timezone.utc)  # a flow run is an entry point: it may read the clock
    result = send_due(now)
    get_run_logger().info("Dispatch at %s: %s sent, %s decided", now.isoformat(), result["sent"], result["decided"])
    return result
