"""Use cases of the email part: dispatch (decide what is due, then send), submissions, the outbox.

`dispatch` runs in two steps. First, in one transaction, it asks cycle.due what is due at `now`
and writes every new email as an outbox row (the calendar files of invitations are built here,
so a row holds exactly what was decided). Then the sender drains the outbox over one SMTP
connection. The first step is safe to repeat and to run concurrently: the rows' keys are unique.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from calendars.changes import messages_for_change
from calendars.context import CalendarContext, loop_info, units_from_organisation
from cycle.due import (Change, DueAction, DueConfig, LoopState, Submission, UnitFacts, due_actions)
from cycle.events import Event
from cycle.framework import Framework, parse_framework
from kvalitetsloop.services import UserError, ensure_database
from kvalitetsloop.settings import get_settings
from notifications import links, outbox
from notifications.compose import compose
from notifications.mime import new_message_id
from notifications.render import render_subject
from notifications.sender import DrainReport, drain
from storage import repository as repo
from storage.db import engine_for, unit_of_work
from storage.models import EventChangeRow, EventRow, FrameworkRow, LoopRow
from storage.models_notifications import SUBMISSION_KINDS, CapabilityRow, OutboxRow, SubmissionRow

ZONE = ZoneInfo("Europe/Copenhagen")


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# -- loading what the decision needs -------------------------------------------------------

@dataclass
class _LoopData:
    row: LoopRow
    framework: Framework
    state: LoopState
    events_by_uid: dict[str, Event]
    calendar_ctx: CalendarContext


@dataclass
class DispatchCache:
    """What dispatch loaded, kept between runs of a simulation while nothing changed."""

    fingerprint: tuple | None = None
    loops: list[_LoopData] = field(default_factory=list)
    units: dict[str, UnitFacts] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    organisation: object = None
    submissions: list[Submission] = field(default_factory=list)
    last_submission_id: int = 0


def _fingerprint(s: Session) -> tuple:
    ch = s.execute(sa.select(sa.func.max(EventChangeRow.id))).scalar()
    lp = tuple(s.execute(sa.select(LoopRow.id).where(LoopRow.status == "active").order_by(LoopRow.id)).scalars())
    return (ch, lp)


def _load(s: Session, settings, cache: DispatchCache | None) -> DispatchCache:
    fp = _fingerprint(s)
    if cache is not None and cache.fingerprint == fp:
        return cache
    out = cache or DispatchCache()
    org = repo.load_organisation(s)
    out.organisation = org
    out.units = {u.id: UnitFacts(u.id, u.name, u.sector, u.chief.email if u.role("chief") else "",
                                 u.chief.name if u.role("chief") else "", u.self_owned, u.special_needs)
                 for u in org.units}
    unit_infos = units_from_organisation(org)
    out.loops = []
    for loop in s.exec(select(LoopRow).where(LoopRow.status == "active").order_by(LoopRow.council_date)):
        fwrow = s.get(FrameworkRow, loop.framework_id)
        fw = parse_framework(fwrow.content, source=f"framework {fwrow.name} {fwrow.version}")
        events = repo.load_events(s, loop.id, ZoneInfo(fw.timezone))
        changes = [Change(c.id, c.event_uid, c.sequence, c.change, dict(c.detail or {}), c.at)
                   for c in s.exec(select(EventChangeRow).where(EventChangeRow.loop_id == loop.id))]
        state = LoopState(loop.id, loop.area, fw, events, changes, loop.created_at)
        ctx = CalendarContext.from_settings(
            settings, units=unit_infos,
            loop=loop_info(loop.id, loop.area, loop.council_date, fw, tuple(loop.themes or ())))
        out.loops.append(_LoopData(loop, fw, state, {e.uid: e for e in events}, ctx))
    if out.fingerprint is None or cache is None:
        out.keys = outbox.existing_keys(s, [l.row.id for l in out.loops])
        out.submissions, out.last_submission_id = [], 0
    out.fingerprint = fp
    return out


def _submissions(s: Session, data: DispatchCache) -> list[Submission]:
    """What has arrived for the loops (new rows only, when the cache already holds the older)."""
    ids = [l.row.id for l in data.loops]
    T = SubmissionRow.__table__
    q = (sa.select(T.c.id, T.c.event_uid, T.c.kind, T.c.submitted_at, T.c.by, T.c.url)
         .where(T.c.loop_id.in_(ids), T.c.id > data.last_submission_id).order_by(T.c.id))
    for r in s.execute(q):
        data.submissions.append(Submission(r.event_uid, r.kind, r.submitted_at, r.by, r.url))
        data.last_submission_id = r.id
    return data.submissions


# -- deciding ------------------------------------------------------------------------------

@dataclass
class Decision:
    rows: list[dict]
    capabilities: list[dict]
    per_kind: Counter


def _decide(s: Session, data: DispatchCache, now: dt.datetime, settings) -> Decision:
    subs = _submissions(s, data)
    actions = due_actions([l.state for l in data.loops], data.units, subs, now, DueConfig(settings.data_team))
    by_loop = {l.row.id: l for l in data.loops}
    ready_urls = {(x.event_uid): x.url for x in subs if x.kind == "data_package_ready" and x.url}
    rows, caps, per_kind = [], [], Counter()
    ics_cache: dict[tuple, dict[str, bytes]] = {}
    for a in actions:
        new = [r for r in a.recipients if a.row_key(r) not in data.keys]
        if not new:
            continue
        ld = by_loop.get(a.loop_id or "")
        ics_for: dict[str, bytes] = {}
        if a.kind == "invitation":
            ics_for = _invitation_files(a, ld, now, ready_urls, ics_cache)
        for r in new:
            ctx = {**a.context, "names": {r: a.names.get(r, "")}}
            link = ctx.get("link")
            if link and ld is not None:
                link, cap = _capability(link, a, r, ld, now, settings)
                ctx["link"] = link
                caps.append(cap)
            rows.append({
                "key": a.row_key(r), "kind": a.kind, "loop_id": a.loop_id, "event_uid": a.event_uid,
                "recipient": r, "subject": render_subject(a.template, ctx, a.names.get(r, "")),
                "message_id": new_message_id(settings.message_id_domain), "context": ctx,
                "ics": ics_for.get(r), "method": a.method, "status": "pending", "attempts": 0,
                "due_at": a.due_at, "created_at": now, "next_attempt_at": now, "updated_at": now,
            })
            per_kind[a.kind] += 1
    return Decision(rows, caps, per_kind)


def _invitation_files(a: DueAction, ld: _LoopData | None, now: dt.datetime, ready_urls: dict,
                      cache: dict) -> dict[str, bytes]:
    """The .ics per recipient for an invitation action, from the calendar part."""
    if ld is None:
        return {}
    event = ld.events_by_uid.get(a.event_uid or "")
    if event is None:
        return {}
    reason = a.context.get("reason")
    ctx = ld.calendar_ctx.with_now(now)
    urls = {}
    for uid, url in ready_urls.items():
        package = ld.events_by_uid.get(uid)
        if package is not None and package.parent_uid:
            urls[package.parent_uid] = url
    if urls:
        from dataclasses import replace
        ctx = replace(ctx, data_package_urls=urls)
    if reason == "removed":
        invs = messages_for_change(event, ("attendees", {"removed": list(a.recipients), "added": []}), ctx)
    else:
        key = (event.uid, event.sequence, a.method)
        if key in cache:
            return cache[key]
        change = "cancelled" if a.method == "CANCEL" else ("moved" if event.sequence else "created")
        invs = messages_for_change(event, change, ctx)
    out: dict[str, bytes] = {}
    for inv in invs:
        if inv.method != a.method:
            continue
        for r in inv.recipients:
            out[r] = inv.ics
    for r in a.recipients:  # an address the calendar part spelled differently still gets the file
        if r not in out and invs:
            out[r] = next(i.ics for i in invs if i.method == a.method)
    if reason != "removed":
        cache[(event.uid, event.sequence, a.method)] = out
    return out


def _capability(link: dict, a: DueAction, recipient: str, ld: _LoopData, now: dt.datetime, settings):
    event = ld.events_by_uid.get(a.event_uid or "")
    tz = ZoneInfo(ld.framework.timezone)
    due = event.start.astimezone(tz).date() if event else now.date()
    talk = (event.details.get("talk_date") if event else None)
    expires = links.expiry(link["purpose"], due, dt.date.fromisoformat(talk) if talk else None, tz)
    tok = links.token(settings.link_secret, link["purpose"], link["event_uid"], recipient, expires)
    cap = {"token_hash": links.token_hash(tok), "purpose": link["purpose"], "event_uid": link["event_uid"],
           "recipient": recipient, "expires_at": expires, "created_at": now}
    return {**link, "expires": expires.isoformat()}, cap


# -- dispatch ------------------------------------------------------------------------------

@dataclass
class DispatchReport:
    now: dt.datetime
    decided: Counter
    drain: DrainReport | None = None
    dry_run_files: list[Path] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.drain.total_sent if self.drain else 0


def _transport(settings):
    from notifications.transport import YagTransport

    return YagTransport.from_settings(settings)


def dispatch(url: str, now: dt.datetime, *, settings=None, dry_run_dir: Path | None = None,
             transport=None, wall: Callable[[], dt.datetime] = wall_clock, cache: DispatchCache | None = None,
             on_sent: Callable | None = None) -> DispatchReport:
    """Decide what is due at `now` and send it (or, dry run, write the .eml files it would send)."""
    settings = settings or get_settings()
    ensure_database(url)
    if dry_run_dir is not None:
        return _dry_run(url, now, settings, dry_run_dir)
    with unit_of_work(url) as s:
        data = _load(s, settings, cache)
        decision = _decide(s, data, now, settings)
        outbox.insert_ignoring_duplicates(s, OutboxRow.__table__, decision.rows, "key")
        outbox.insert_ignoring_duplicates(s, CapabilityRow.__table__, _unique(decision.capabilities), "token_hash")
    data.keys.update(r["key"] for r in decision.rows)
    report = DispatchReport(now, decision.per_kind)
    report.drain = drain(engine_for(url), transport or _transport(settings), settings, now, wall, on_sent=on_sent)
    return report


def _unique(caps: list[dict]) -> list[dict]:
    return list({c["token_hash"]: c for c in caps}.values())


def _dry_run(url: str, now: dt.datetime, settings, directory: Path) -> DispatchReport:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.eml"):
        old.unlink()
    files: list[Path] = []
    with Session(engine_for(url), expire_on_commit=False) as s:
        try:
            data = _load(s, settings, None)
            decision = _decide(s, data, now, settings)
            outbox.insert_ignoring_duplicates(s, OutboxRow.__table__, decision.rows, "key")
            due = s.exec(select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                         .order_by(OutboxRow.due_at, OutboxRow.id)).all()
            for i, row in enumerate(due, start=1):
                safe = "".join(ch if ch.isalnum() or ch in "@._-" else "_" for ch in row.recipient)
                path = directory / f"{i:05d}-{row.kind}-{safe}.eml"
                path.write_bytes(compose(row, settings, now))
                files.append(path)
        finally:
            s.rollback()
    return DispatchReport(now, decision.per_kind, None, files)


# -- submissions ---------------------------------------------------------------------------

EVENT_KIND_FOR = {
    "board_statement": "board_statement_due",
    "youth_input": "youth_input_due",
    "followup_form": "followup_form_due",
    "supervision_report": "supervision_report_due",
    "report_back": "report_back_due",
    "data_package_ready": "data_package",
}
WHAT = {
    "board_statement": "a board statement before talk {n}",
    "youth_input": "a youth-input deadline before talk {n}",
    "followup_form": "a follow-up form after talk {n}",
    "supervision_report": "supervision report {n}",
    "report_back": "a report-back",
    "data_package_ready": "data package {n}",
}


@dataclass
class Submitted:
    kind: str
    unit_id: str
    number: int | None
    event_uid: str
    title: str
    loop_id: str
    submitted_at: dt.datetime
    earlier: int


def submit(url: str, kind: str, unit_id: str, number: int | None, now: dt.datetime, *, by: str = "",
           content: str = "", link: str | None = None) -> Submitted:
    """Record that something a deadline asks for has arrived; reminders for it stop."""
    if kind not in SUBMISSION_KINDS:
        raise UserError(f"'{kind}' is not a kind of submission (one of {', '.join(SUBMISSION_KINDS)})")
    if link is not None and not (link.startswith("https://") or link.startswith("http://")):
        raise UserError(f"the link '{link}' must start with https:// or http://")
    ensure_database(url)
    with unit_of_work(url) as s:
        if repo.load_organisation(s).by_id().get(unit_id) is None:
            raise UserError(f"there is no unit '{unit_id}' in the organisation")
        q = (select(EventRow, LoopRow).join(LoopRow, LoopRow.id == EventRow.loop_id)
             .where(EventRow.unit_id == unit_id, EventRow.kind == EVENT_KIND_FOR[kind],
                    EventRow.status != "cancelled", LoopRow.status == "active"))
        if number is not None:
            q = q.where(EventRow.number == number)
        found = s.exec(q.order_by(LoopRow.council_date.desc())).all()
        if not found:
            what = WHAT[kind].format(n=number if number is not None else "?")
            raise UserError(f"unit {unit_id} has no {what} in an active loop".replace("no a ", "no "))
        event, loop = found[0]
        earlier = len(s.exec(select(SubmissionRow.id).where(SubmissionRow.event_uid == event.uid,
                                                             SubmissionRow.kind == kind)).all())
        s.add(SubmissionRow(event_uid=event.uid, loop_id=loop.id, kind=kind, unit_id=unit_id, number=event.number,
                            submitted_at=now, by=by, content=content, url=link))
    return Submitted(kind, unit_id, event.number, event.uid, event.title, loop.id, now, earlier)


# -- the outbox for operators --------------------------------------------------------------

def outbox_rows(url: str, status: str | None = None, limit: int = 50) -> tuple[list[OutboxRow], dict[str, int]]:
    from storage.models_notifications import OUTBOX_STATUSES

    if status is not None and status not in OUTBOX_STATUSES:
        raise UserError(f"--status must be one of {', '.join(OUTBOX_STATUSES)}, not '{status}'")
    ensure_database(url)
    with unit_of_work(url) as s:
        return outbox.rows(s, status, limit), outbox.counts(s)


def _row_or_fail(s: Session, row_id: int) -> OutboxRow:
    row = s.get(OutboxRow, row_id)
    if row is None:
        raise UserError(f"there is no outbox row {row_id}")
    return row


def outbox_retry(url: str, row_id: int, now: dt.datetime) -> OutboxRow:
    """Send a failed (or waiting) row again at the next dispatch."""
    ensure_database(url)
    with unit_of_work(url) as s:
        row = _row_or_fail(s, row_id)
        if row.status in ("sent", "sending"):
            raise UserError(f"outbox row {row_id} is {row.status} and cannot be retried")
        row.status, row.next_attempt_at, row.updated_at = "pending", now, now
        if row.attempts >= get_settings().outbox_max_attempts:
            row.attempts = 0
        s.add(row)
    return row


def outbox_give_up(url: str, row_id: int, now: dt.datetime) -> OutboxRow:
    """Stop trying to send a row; it stays listed as given up."""
    ensure_database(url)
    with unit_of_work(url) as s:
        row = _row_or_fail(s, row_id)
        if row.status in ("sent", "sending"):
            raise UserError(f"outbox row {row_id} is {row.status} and cannot be given up")
        row.status, row.updated_at = "given_up", now
        s.add(row)
    return row


# -- simulation ----------------------------------------------------------------------------

SCRIPT_KINDS = tuple(k for k in SUBMISSION_KINDS)


@dataclass
class Script:
    """What people do in a simulated loop: when they submit, and meetings moved or cancelled.

    defaults: kind -> day offset from the deadline's due date (data_package_ready: from the date
    the package must be available); a kind left out is never submitted.
    units: unit id -> kind -> offset, None (never) or {number: offset or None}.
    moves / cancels: [{at, unit, kind (default learning_talk), number, start}].
    """

    defaults: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    moves: list = field(default_factory=list)
    cancels: list = field(default_factory=list)
    submit_time: dt.time = dt.time(12, 0)

    def offset(self, kind: str, unit_id: str | None, number: int | None):
        per_unit = self.units.get(unit_id or "", {}) or {}
        if kind in per_unit:
            value = per_unit[kind]
            if isinstance(value, dict):
                if number in value:
                    return value[number]
                if str(number) in value:
                    return value[str(number)]
                return self.defaults.get(kind)
            return value
        return self.defaults.get(kind)


def load_script(path: Path) -> Script:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UserError(f"the simulation script {path} does not exist") from None
    except yaml.YAMLError:
        raise UserError(f"the simulation script {path} is not valid YAML") from None
    if not isinstance(data, dict):
        raise UserError(f"the simulation script {path} must hold a mapping with defaults, units, moves, cancels")
    unknown = set(data) - {"defaults", "units", "moves", "cancels"}
    if unknown:
        raise UserError(f"the simulation script {path} has unknown keys: {', '.join(sorted(unknown))}")
    defaults = data.get("defaults") or {}
    for k in defaults:
        if k not in SCRIPT_KINDS:
            raise UserError(f"the simulation script {path}: '{k}' is not a kind of submission "
                            f"({', '.join(SCRIPT_KINDS)})")
    return Script(defaults, data.get("units") or {}, list(data.get("moves") or []), list(data.get("cancels") or []))


CATEGORY = {
    "invitation": "invitationer",
    "board_statement_reminder": "påmindelser bestyrelse",
    "board_statement_escalation": "eskaleringer",
    "youth_input_reminder": "andre påmindelser",
    "followup_form_reminder": "opfølgningsskema",
    "supervision_report_reminder": "andre påmindelser",
    "supervision_report_missing": "eskaleringer",
    "supervision_report_received": "beskeder",
    "report_back_reminder": "andre påmindelser",
    "data_package_trigger": "datapakke-bestillinger",
    "data_package_ready": "beskeder",
    "weekly_digest": "ugeoversigter",
}
CATEGORIES = ("invitationer", "ændringer", "påmindelser bestyrelse", "eskaleringer", "opfølgningsskema",
              "andre påmindelser", "datapakke-bestillinger", "beskeder", "ugeoversigter")
# Column heads of the weekly table (narrow enough for 160 columns).
CATEGORY_HEADS = ("invitationer", "ændringer", "påmind. bestyrelse", "eskaleringer", "opfølgn.skema",
                  "andre påmind.", "datapakker", "beskeder", "ugeovers.")


@dataclass
class SimulationReport:
    loop_id: str
    weeks: dict[str, Counter]
    steps: int
    submissions: int
    moves: int
    failed: int
    sink_dir: Path | None
    seconds: float

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.weeks.values())


def _scripted_time(event: Event, offset, tz: ZoneInfo, at: dt.time) -> dt.datetime | None:
    if offset is None:
        return None
    try:
        days = int(offset)
    except (TypeError, ValueError):
        raise UserError(f"a simulation offset must be a whole number of days or null, not '{offset}'") from None
    day = event.start.astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, at, tz)


def simulate(url: str, loop_id: str, start: dt.date, end: dt.date, *, step: dt.timedelta = dt.timedelta(days=1),
             at: dt.time = dt.time(16, 0), script: Script | None = None, settings=None, transport_factory=None,
             sink_dir: Path | None = None, progress: Callable[[dt.datetime], None] | None = None) -> SimulationReport:
    """Run dispatch at `at` on every step from `start` to `end`, with the script's people acting."""
    import time as _time

    from kvalitetsloop import services

    settings = settings or get_settings()
    if end < start:
        raise UserError("--to must not be before --from")
    if step < dt.timedelta(hours=1):
        raise UserError("--step must be at least one hour")
    view = services.view_loop(url, loop_id)  # raises a UserError naming the known loops
    tz = ZoneInfo(view.fw.timezone)
    script = script or Script()
    started = _time.monotonic()
    cache = DispatchCache()
    weeks: dict[str, Counter] = {}
    done_subs: set[tuple[str, str]] = set()
    with unit_of_work(url) as s:
        for r in s.exec(select(SubmissionRow).where(SubmissionRow.loop_id == loop_id)):
            done_subs.add((r.event_uid, r.kind))
    pending_moves = sorted(script.moves + [{**c, "cancel": True} for c in script.cancels],
                           key=lambda m: str(m.get("at")))
    n_subs = n_moves = failed = steps = 0
    schedule: list = []
    schedule_for = None
    now = dt.datetime.combine(start, at, tz)
    stop = dt.datetime.combine(end, at, tz)
    while now <= stop:
        steps += 1
        while pending_moves and _when(pending_moves[0]["at"], tz) <= now:
            m = pending_moves.pop(0)
            _apply_move(url, m, loop_id, tz)
            n_moves += 1
        with unit_of_work(url) as s:
            data = _load(s, settings, cache)
        ld = next((l for l in data.loops if l.row.id == loop_id), None)
        if ld is not None:
            if schedule_for != cache.fingerprint:
                schedule = _submission_schedule(ld, script, tz, done_subs)
                schedule_for = cache.fingerprint
            n_subs += _scripted_submissions(url, ld, schedule, now, done_subs)

        def count(row, _now=now):
            week = _now.astimezone(tz).date()
            monday = week - dt.timedelta(days=week.weekday())
            iso = monday.isocalendar()
            label = f"{iso.year}-W{iso.week:02d} {monday.strftime('%d.%m')}"
            cat = CATEGORY.get(row.kind, row.kind)
            if row.kind == "invitation" and (row.context or {}).get("reason") not in ("created", "added"):
                cat = "ændringer"
            weeks.setdefault(label, Counter())[cat] += 1

        transport = transport_factory() if transport_factory else _transport(settings)
        report = dispatch(url, now, settings=settings, transport=transport, cache=cache, on_sent=count)
        failed += (report.drain.failed + report.drain.retrying) if report.drain else 0
        if progress:
            progress(now)
        now = dt.datetime.combine((now + step).astimezone(tz).date(), at, tz) if step >= dt.timedelta(days=1) \
            else now + step
    return SimulationReport(loop_id, weeks, steps, n_subs, n_moves, failed, sink_dir, _time.monotonic() - started)


def _when(value, tz: ZoneInfo) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _submission_schedule(ld: _LoopData, script: Script, tz: ZoneInfo, done: set[tuple[str, str]]) -> list:
    """(time, event, kind) of every scripted submission still to come, latest first."""
    out = []
    for e in ld.state.events:
        if e.status == "cancelled" or not e.unit_id:
            continue
        kind = next((k for k, ev in EVENT_KIND_FOR.items() if ev == e.kind), None)
        if kind is None or (e.uid, kind) in done:
            continue
        when = _scripted_time(e, script.offset(kind, e.unit_id, e.number), tz, script.submit_time)
        if when is not None:
            out.append((when, e.uid, kind, e))
    out.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return out


def _scripted_submissions(url: str, ld: _LoopData, schedule: list, now: dt.datetime,
                          done: set[tuple[str, str]]) -> int:
    new = []
    while schedule and schedule[-1][0] <= now:
        when, uid, kind, e = schedule.pop()
        if (uid, kind) in done:
            continue
        url_ = f"https://data.example.dk/pakker/{e.unit_id}/{e.number}" if kind == "data_package_ready" else None
        new.append(SubmissionRow(event_uid=uid, loop_id=ld.row.id, kind=kind, unit_id=e.unit_id, number=e.number,
                                 submitted_at=when, by="simulation", content="(simuleret)", url=url_))
        done.add((uid, kind))
    if new:
        with unit_of_work(url) as s:
            s.add_all(new)
    return len(new)


def _apply_move(url: str, m: dict, loop_id: str, tz: ZoneInfo) -> None:
    from kvalitetsloop import services

    kind = m.get("kind", "learning_talk")
    with unit_of_work(url) as s:
        row = s.exec(select(EventRow).where(EventRow.loop_id == loop_id, EventRow.unit_id == m.get("unit"),
                                            EventRow.kind == kind, EventRow.number == m.get("number"))).first()
    if row is None:
        raise UserError(f"the simulation script names no {kind} {m.get('number')} of unit {m.get('unit')}")
    when = _when(m["at"], tz)
    if m.get("cancel"):
        services.cancel_event(url, row.uid, when)
    else:
        services.move_event(url, get_settings().frameworks_dir, row.uid, str(m["start"]), when,
                            force=bool(m.get("force", True)))
