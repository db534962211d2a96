"""Prefect flow: run the loops. Send everything due now, on a cron schedule (prefect.yaml).

The database is the source of truth and the domain decides what is due; this flow shows and
drives it, so an operator sees in the Prefect UI:

- a run named `dispatch 2027-05-04 09:00`, tagged `kvalitetsloop`;
- inside it one subflow run per running loop that has emails to send, named
  `loop 0-6-2027-04-28 · <phase it is in>` and tagged `loop:<id>`, `area:<area>`,
  `framework:<name>`, with one task per phase × sector that sends that group's emails
  (invitations, reminders, escalations, data-package requests, notices);
- artifacts: per loop a keyed table of its phases (done, due, overdue) and a progress bar,
  updated by every run; per run a table of what was sent, retried and failed by kind and sector;
- Prefect events others can automate on: `kvalitetsloop.data-package.requested` per unit,
  `kvalitetsloop.data-package.ready`, `kvalitetsloop.statement.received`, `kvalitetsloop.outbox.failed`.

A run that could not deliver everything ends Failed with one sentence saying what waits and why;
nothing is lost: the rows wait in the outbox and the next run sends them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import create_progress_artifact, create_table_artifact
from prefect.events import emit_event

from cycle.framework import DEFAULT_TIMEZONE
from cycle.kinds import BOARD_STATEMENT, DATA_PACKAGE, DATA_PACKAGE_TRIGGER
from flows.runs import IN_MEMORY, announce_failure, artifact_key, tag_this_run
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.settings import get_settings
from kvalitetsloop.usecases import dispatch as dispatch_cases
from kvalitetsloop.usecases import progress as progress_cases
from kvalitetsloop.usecases import submissions as submission_cases
from notifications.transport import YagTransport

# The Prefect events of submissions that others may automate on (SPEC 5).
ARRIVAL_EVENTS = {DATA_PACKAGE.submission: "kvalitetsloop.data-package.ready",
                  BOARD_STATEMENT.submission: "kvalitetsloop.statement.received"}


class DispatchIncomplete(RuntimeError):
    """Some emails could not be sent in this run; they wait in the outbox."""


class SmtpServerAway(DispatchIncomplete):
    """The SMTP server could not be reached; the other groups of this run are not tried."""


def _clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo(DEFAULT_TIMEZONE))


def _run_name() -> str:
    from prefect.runtime import flow_run

    now = flow_run.parameters.get("now")
    moment = dt.datetime.fromisoformat(str(now)) if now else _clock()
    return f"dispatch {_local(moment):%Y-%m-%d %H:%M}"


def _uow():
    return unit_of_work_for(get_settings().database_url)


def package_events(sent_rows, now: dt.datetime) -> list[dict]:
    """One event per unit and package in the data-package requests that went out."""
    out = []
    for row in sent_rows:
        if row.kind != DATA_PACKAGE_TRIGGER:
            continue
        for p in (row.context or {}).get("packages", []):
            out.append({
                "event": "kvalitetsloop.data-package.requested",
                "resource": {"prefect.resource.id": f"kvalitetsloop.unit.{p['unit_id']}",
                             "prefect.resource.name": p.get("unit_name") or p["unit_id"]},
                "related": [{"prefect.resource.id": f"kvalitetsloop.loop.{row.loop_id}",
                             "prefect.resource.role": "loop"}],
                "payload": {"loop_id": row.loop_id, "number": p.get("number"), "sector": p.get("sector"),
                            "available": p.get("available"), "event_uid": p.get("uid"), "now": now.isoformat()},
            })
    return out


# The loops as the last run in this process read them. A worker starts a process per run, so
# there each run reads them anew; a process that runs many dispatches (a served flow, the
# simulation or benchmark driving the flow day by day) reads them again only when an event,
# a loop or the organisation changed (kvalitetsloop.usecases.dispatch._load checks). Per
# database, since a process may be pointed at another one (the tests are).
_LOADED: dict[str, dispatch_cases.DispatchCache] = {}


@task(name="decide what is due")
def decide(now: dt.datetime) -> tuple[dict[str, int], list[dict], list[dict], int]:
    """Ask the domain what is due, store it in the outbox (one transaction), group what waits to
    be sent by loop, phase and sector, say where each loop stands, and announce what arrived.

    One task, and the loops' events read once, because a dispatch run is mostly a run with
    little to send: every task and every read is paid on each of them."""
    loaded = _LOADED.setdefault(get_settings().database_url, dispatch_cases.DispatchCache())
    decided = dict(dispatch_cases.decide(_uow(), now, get_settings(), loaded).per_kind)
    groups = _plain(dispatch_cases.waiting_groups(_uow(), now))
    views = [_progress_view(lp, now) for lp in progress_cases.progress_of_loaded(loaded, now)]
    return decided, groups, views, announce_arrivals(now)


@task(name="send", task_run_name="{label}")
def send_group(label: str, row_ids: list[int] | None, now: dt.datetime, started: dt.datetime) -> dict:
    """Send one group's emails over one SMTP connection. Raises when some could not be sent, so
    Prefect retries the task; a retry's `now` has moved on by the time that passed since the run
    started (in simulated time too), so the rows whose backoff has run out go again. What still
    fails waits in the outbox for the next run."""
    settings = get_settings()
    at = now + max(dt.timedelta(0), _clock() - started)
    sent_rows: list = []
    report = dispatch_cases.send(_uow(), at, settings, YagTransport.from_settings(settings), wall=_clock,
                                 only=row_ids, on_sent=sent_rows.append)
    for e in package_events(sent_rows, now):
        emit_event(**e)
    for row_id, kind, recipient, status, error in report.unsent:
        if status == "failed":
            emit_event(event="kvalitetsloop.outbox.failed",
                       resource={"prefect.resource.id": f"kvalitetsloop.outbox.{row_id}",
                                 "prefect.resource.name": f"{kind} til {recipient}"},
                       payload={"kind": kind, "recipient": recipient, "error": error, "now": now.isoformat()})
    result = {"sent": dict(report.sent), "requested": len(package_events(sent_rows, now))}
    waiting_rows = [u for u in report.unsent if u[3] == "pending"]
    if report.stopped:
        raise SmtpServerAway(f"{len(waiting_rows)} of the emails of {label} wait: the SMTP server could not be "
                             f"used ({report.stopped})")
    if waiting_rows:
        raise DispatchIncomplete(f"{len(waiting_rows)} of the emails of {label} wait for a retry: "
                                 f"{report.stopped or waiting_rows[0][4]}")
    return result


def announce_arrivals(now: dt.datetime) -> int:
    """Prefect events for what arrived since the last run (statements, ready data packages)."""
    arrivals = submission_cases.unannounced(_uow())
    for a in arrivals:
        name = ARRIVAL_EVENTS.get(a.kind)
        if name is None:
            continue
        emit_event(event=name, resource={"prefect.resource.id": f"kvalitetsloop.unit.{a.unit_id}"},
                   related=[{"prefect.resource.id": f"kvalitetsloop.loop.{a.loop_id}", "prefect.resource.role": "loop"}],
                   payload={"loop_id": a.loop_id, "number": a.number, "event_uid": a.event_uid,
                            "submitted_at": a.submitted_at.isoformat(), "url": a.url, "now": now.isoformat()})
    submission_cases.mark_announced(_uow(), [a.id for a in arrivals], now)
    return len(arrivals)


def _progress_view(p: progress_cases.LoopProgress, now: dt.datetime) -> dict:
    """What the loop's artifacts show, as plain data (it travels as a subflow parameter)."""
    phase = p.phase.title if p.phase else "—"
    rows = [{"fase": s.phase.title, "fra": s.first.isoformat() if s.first else "",
             "til": s.last.isoformat() if s.last else "", "gennemført": s.done, "kommende": s.due,
             "forsinket": s.overdue} for s in sorted(p.states, key=lambda s: s.phase.order)]
    return {"loop_id": p.loop_id, "area": p.area, "framework": p.framework, "phase": phase, "rows": rows,
            "percent": round(100 * p.done_fraction, 1),
            # No date: the artifact's own time says when the state was last published, and an
            # unchanged state is not published again (publish_progress).
            "description": f"Loop {p.loop_id} ({p.framework}, {'byråd' if p.has_council else 'start'} "
                           f"{p.council_date.isoformat()}): "
                           f"fase «{phase}», {p.overdue} forsinkede."}


# What this process last published per loop (server, database, loop): a process that runs many flow runs
# (a served flow, the simulation in bench/flows.py) republishes a loop's state only when it changed;
# a worker's process runs one flow run and always publishes. Each artifact is a round trip of
# about 20 ms, a tenth of a quiet dispatch run.
_PUBLISHED: dict[tuple[str, str, str], tuple] = {}


def publish_progress(loop_id: str, view: dict) -> None:
    """The loop's keyed artifacts: a table of its phases and a progress bar (the latest on top).
    Not a task of its own: two artifact calls need no retries, and a task costs round trips."""
    from prefect.settings import PREFECT_API_URL

    memo_key = (str(PREFECT_API_URL.value()), get_settings().database_url, loop_id)
    content = (repr(view["rows"]), view["percent"], view["description"], view["phase"])
    if _PUBLISHED.get(memo_key) == content:
        return
    create_table_artifact(view["rows"], key=artifact_key(loop_id, "state"), description=view["description"])
    create_progress_artifact(view["percent"], key=artifact_key(loop_id, "progress"),
                             description=f"Loop {loop_id}: så meget af loopet er gennemført (fase «{view['phase']}»).")
    _PUBLISHED[memo_key] = content


def _not_tried(group: dict, why: str) -> dict:
    """A group left for the next run because the SMTP server could not be reached."""
    return {**group, "sent": {}, "requested": 0, "error": f"not tried: {why}", "away": True}


def _send_groups(groups: list[dict], now: dt.datetime, started: dt.datetime) -> list[dict]:
    """Send each group in its own task; once the SMTP server is away, the rest wait for the next run."""
    settings = get_settings()
    sender = send_group.with_options(retries=settings.flow_send_retries,
                                     retry_delay_seconds=settings.flow_send_retry_delay_seconds)
    results, away = [], None
    for g in groups:
        if away:
            results.append(_not_tried(g, away))
            continue
        state = sender(g["label"], g["ids"], now, started, return_state=True)
        outcome = state.result(raise_on_failure=False)
        if isinstance(outcome, dict):
            results.append({**g, "sent": outcome["sent"], "requested": outcome["requested"], "error": None})
        else:
            gone = isinstance(outcome, SmtpServerAway)
            results.append({**g, "sent": {}, "requested": 0, "error": str(outcome), "away": gone})
            if gone:
                away = "the SMTP server could not be reached"
    return results


@flow(name="loop", flow_run_name="loop {loop_id} · {phase}", **IN_MEMORY)
def run_loop(loop_id: str, phase: str, groups: list[dict], progress: dict, now: dt.datetime,
             started: dt.datetime, server_away: str | None = None) -> list[dict]:
    """One running loop in this dispatch: its emails per phase and sector, then its state."""
    if server_away:
        results = [_not_tried(g, server_away) for g in groups]
    else:
        results = _send_groups(groups, now, started)
    publish_progress(loop_id, progress)
    return results


def _plain(groups) -> list[dict]:
    return [{"loop_id": g.loop_id, "label": g.name, "phase": g.phase.title, "sector": g.sector,
             "ids": list(g.row_ids)} for g in groups]


@flow(name="dispatch", flow_run_name=_run_name, log_prints=True,
      on_failure=[announce_failure], **IN_MEMORY)
def dispatch(now: dt.datetime | None = None) -> dict:
    """Send what is due at `now` (default: the clock, as a scheduled run)."""
    started = _clock()  # a flow run is an entry point: it may read the clock
    now = now or started
    tag_this_run("kvalitetsloop")
    logger = get_run_logger()
    decided, groups, views, announced = decide(now)
    results: list[dict] = []
    away = None
    for view in views:
        loop_id = view["loop_id"]
        mine = [g for g in groups if g["loop_id"] == loop_id]
        if not mine:  # nothing to send for this loop: only its state, without a subflow run
            publish_progress(loop_id, view)
            continue
        with tags("kvalitetsloop", f"loop:{loop_id}", f"area:{view['area']}", f"framework:{view['framework']}"):
            done = run_loop(loop_id, view["phase"], mine, view, now, started, away)
        results += done
        away = away or next((r["error"] for r in done if r.get("away")), None)
    # The chiefs' weekly digest (across loops), and rows of loops that ended since they were decided.
    known = {view["loop_id"] for view in views}
    results += _send_groups([g for g in groups if g["loop_id"] not in known], now, started)
    return _conclude(results, decided, announced, now, logger)


def _conclude(results: list[dict], decided: dict, announced: int, now: dt.datetime, logger) -> dict:
    """The run's table artifact, its log line, and its verdict: Completed only if all went out."""
    sector_of = {}
    for r in results:
        for i in r["ids"]:
            sector_of[i] = r["sector"]
    states = dispatch_cases.row_states(_uow(), list(sector_of))
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    waiting = failed = 0
    last_error = None
    for row in states:
        column = {"sent": "sendt", "pending": "venter", "failed": "fejlet"}.get(row.status)
        if column:
            table[(row.kind, sector_of[row.id])][column] += 1
        waiting += row.status == "pending"
        failed += row.status == "failed"
        if row.status != "sent" and row.last_error:
            last_error = row.last_error
    rows = [{"slags": kind, "sektor": sector, "sendt": c["sendt"], "venter": c["venter"], "fejlet": c["fejlet"]}
            for (kind, sector), c in sorted(table.items())]
    create_table_artifact(rows or [{"slags": "—", "sektor": "—", "sendt": 0, "venter": 0, "fejlet": 0}],
                          key="dispatch-report",
                          description=f"Dispatch {_local(now):%Y-%m-%d %H:%M}: sendt, venter på et nyt forsøg og "
                                      "fejlet, pr. slags og sektor.")
    sent = sum(c["sendt"] for c in table.values())
    requested = sum(r["requested"] for r in results)
    logger.info("Dispatch at %s: %s decided, %s sent, %s waiting, %s failed, %s data packages requested, "
                "%s arrivals announced", now.isoformat(), sum(decided.values()), sent, waiting, failed, requested,
                announced)
    if waiting or failed:
        reason = next((r["error"] for r in results if r["error"]), None) or last_error or "unknown"
        raise DispatchIncomplete(
            f"{sent} emails were sent, but {waiting} wait in the outbox for the next run and {failed} failed "
            f"for good ('kvalitetsloop outbox list'); the reason: {reason}")
    # Rows an earlier run could not send wait out their back-off: this run did not try them, but
    # they are not delivered, so it is not green either (an outage longer than the schedule's
    # interval would otherwise look mended after its first red run).
    held, next_try, error = dispatch_cases.held_back(_uow(), now)
    if held:
        raise DispatchIncomplete(
            f"{sent} emails were sent, but {held} that earlier runs could not send wait for their next try at "
            f"{_local(next_try):%Y-%m-%d %H:%M} ('kvalitetsloop outbox list'); the last reason: {error or 'unknown'}")
    return {"decided": decided, "sent": sent, "data_packages_requested": requested, "arrivals_announced": announced}
