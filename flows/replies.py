"""Prefect flow: read the calendar replies from the organiser's mailbox, on a schedule
(prefect.yaml, deployment `replies`).

The run `replies 2027-05-04 09:05` (tag `kvalitetsloop`) reads the mailbox in one task (network
I/O, retried on its own when the IMAP server is away), records each attendee's answer, sends the
notices of declined talks and one-to-ones at once, and publishes a table artifact
(`replies-report`) of what it read. The same use case runs behind `kvalitetsloop replies fetch`.
A run that could not read the mailbox, or left notices waiting, ends Failed with one sentence;
the ops alert (flows/runs.py) tells operations.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from cycle.framework import DEFAULT_TIMEZONE
from flows.runs import announce_failure, tag_this_run
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.settings import get_settings


class RepliesIncomplete(RuntimeError):
    """The mailbox could not be read, or notices wait in the outbox."""


def _clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _run_name() -> str:
    from prefect.runtime import flow_run

    now = flow_run.parameters.get("now")
    moment = dt.datetime.fromisoformat(str(now)) if now else _clock()
    return f"replies {moment.astimezone(ZoneInfo(DEFAULT_TIMEZONE)):%Y-%m-%d %H:%M}"


@task(name="read the organiser's mailbox")
def read_mailbox(now: dt.datetime) -> dict:
    """Record the replies, send the notices they cause; plain data for the artifact."""
    from kvalitetsloop.cli.replies import run_fetch

    settings = get_settings()
    report, drained = run_fetch(unit_of_work_for(settings.database_url), settings, now, _clock)
    return {"messages": report.messages, "ignored": report.ignored, "again": report.again,
            "outcomes": dict(report.outcomes), "notices": len(report.notice_ids),
            "sent": drained.total_sent if drained else 0,
            "lines": [{"udfald": l.outcome, "svar": l.partstat, "sekvens": l.sequence, "deltager": l.attendee,
                       "grund": l.reason, "emne": l.subject, "uid": l.uid} for l in report.lines]}


@flow(name="replies", flow_run_name=_run_name, log_prints=True, on_failure=[announce_failure])
def fetch_replies(now: dt.datetime | None = None) -> dict:
    """Read the calendar replies that arrived in the organiser's mailbox (default: at the clock)."""
    now = now or _clock()  # a flow run is an entry point: it may read the clock
    tag_this_run("kvalitetsloop")
    settings = get_settings()
    if not (settings.imap_host and settings.imap_user):
        # An installation that has not set up the organiser's mailbox yet: nothing to read, and
        # no failure (and ops alert) every 15 minutes for it.
        get_run_logger().info("No mailbox to read: KVALITETSLOOP_IMAP_HOST and KVALITETSLOOP_IMAP_USER are not set "
                              "(README, 'Calendar replies')")
        return {"messages": 0, "not_configured": True}
    # Retried like the dispatch flow's sending (KVALITETSLOOP_FLOW_SEND_RETRIES, _RETRY_DELAY_SECONDS):
    # an IMAP server away for a minute does not fail the run.
    result = read_mailbox.with_options(retries=settings.flow_send_retries,
                                       retry_delay_seconds=settings.flow_send_retry_delay_seconds)(now)
    create_table_artifact(result["lines"] or [{"udfald": "—", "svar": "", "sekvens": "", "deltager": "", "grund": "",
                                               "emne": "", "uid": ""}],
                          key="replies-report",
                          description=f"Svar på invitationer læst {now.astimezone(ZoneInfo(DEFAULT_TIMEZONE)):%Y-%m-%d %H:%M}: "
                                      f"{result['messages']} beskeder, {result['ignored']} andre beskeder urørt.")
    get_run_logger().info("Replies at %s: %s messages, outcomes %s, %s notices sent of %s", now.isoformat(),
                          result["messages"], result["outcomes"], result["sent"], result["notices"])
    if result["sent"] < result["notices"]:
        raise RepliesIncomplete(f"{result['notices'] - result['sent']} of {result['notices']} notices of declines "
                                "and counter-proposals wait in the outbox for the next dispatch")
    return {k: v for k, v in result.items() if k != "lines"}
