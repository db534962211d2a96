"""The two-year loop in simulated time: dispatch on every step, with scripted people acting.

Used by the demo and the tests: a whole loop runs in seconds. People's actions (submissions, moves,
cancellations) come from a script; every email goes through the real dispatch and transport.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle import kinds
from cycle.events import Event
from kvalitetsloop.errors import UserError
from kvalitetsloop.usecases.dispatch import DispatchCache, _LoopData, _load, dispatch
from kvalitetsloop.usecases.events import cancel_event, move_event
from kvalitetsloop.usecases.loops import view_loop
from kvalitetsloop.work_progress import Progress, silent
from storage.models_notifications import SubmissionRow

# -- simulation ----------------------------------------------------------------------------

SCRIPT_KINDS = kinds.SUBMISSION_KINDS


@dataclass
class Script:
    """What people do in a simulated loop: when they submit, and meetings moved or cancelled.

    defaults: kind -> day offset from the deadline's due date (data_package_ready: from the date
    the package must be available); a kind left out is never submitted.
    units: unit id -> kind -> offset, None (never) or {number: offset or None}.
    moves / cancels: [{at, unit, kind (default learning_talk), number, start}].
    organisation: changes of the organisation file, each a re-import applied at `at`:
      [{at, remove: [unit ids]}, {at, change: {unit id: {column: value}}},
       {at, add: {column: value, ...}, plan: true (plan it into the loop with add-unit)}].
    pauses: [{from: date, to: date}]: days on which no dispatch runs (people still act).
    """

    defaults: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    moves: list = field(default_factory=list)
    cancels: list = field(default_factory=list)
    organisation: list = field(default_factory=list)
    pauses: list = field(default_factory=list)
    submit_time: dt.time = dt.time(12, 0)

    def paused(self, day: dt.date) -> bool:
        return any(dt.date.fromisoformat(str(p["from"])) <= day <= dt.date.fromisoformat(str(p["to"]))
                   for p in self.pauses)

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
    unknown = set(data) - {"defaults", "units", "moves", "cancels", "organisation", "pauses"}
    if unknown:
        raise UserError(f"the simulation script {path} has unknown keys: {', '.join(sorted(unknown))}")
    defaults = data.get("defaults") or {}
    for k in defaults:
        if k not in SCRIPT_KINDS:
            raise UserError(f"the simulation script {path}: '{k}' is not a kind of submission "
                            f"({', '.join(SCRIPT_KINDS)})")
    changes, pauses = list(data.get("organisation") or []), list(data.get("pauses") or [])
    for c in changes:
        if not isinstance(c, dict) or "at" not in c or not {"remove", "change", "add"} & set(c):
            raise UserError(f"the simulation script {path}: each organisation change needs 'at' and one of "
                            "remove, change, add")
    for p in pauses:
        try:
            dt.date.fromisoformat(str(p["from"])), dt.date.fromisoformat(str(p["to"]))
        except (TypeError, KeyError, ValueError):
            raise UserError(f"the simulation script {path}: each pause needs 'from' and 'to' dates") from None
    return Script(defaults, data.get("units") or {}, list(data.get("moves") or []), list(data.get("cancels") or []),
                  changes, pauses)


CATEGORIES = kinds.CATEGORIES
# Column heads of the weekly table on the command line (English, narrow enough for 160 columns),
# in the order of CATEGORIES (whose Danish keys are the registry's).
CATEGORY_HEADS = ("invitations", "changes", "board reminders", "escalations", "follow-up forms",
                  "other reminders", "data packages", "notices", "digests")


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
    organisation_changes: int = 0
    skipped: int = 0

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


def simulate(uow, loop_id: str, start: dt.date, end: dt.date, *, settings, transport_factory: Callable,
             frameworks_dir: Path, wall: Callable[[], dt.datetime], step: dt.timedelta = dt.timedelta(days=1),
             at: dt.time = dt.time(16, 0), script: Script | None = None, sink_dir: Path | None = None,
             progress: Progress = silent) -> SimulationReport:
    """Run dispatch at `at` on every step from `start` to `end`, with the script's people acting;
    `progress` is told after each dispatch run."""
    if end < start:
        raise UserError(f"the simulation cannot end ({end.isoformat()}) before it starts ({start.isoformat()})")
    if step < dt.timedelta(hours=1):
        raise UserError("the simulation's step must be at least one hour")
    view = view_loop(uow, loop_id)  # raises a UserError naming the known loops
    tz = ZoneInfo(view.fw.timezone)
    script = script or Script()
    started = time.monotonic()
    cache = DispatchCache()
    weeks: dict[str, Counter] = {}
    done_subs: set[tuple[str, str]] = set()
    with uow:
        for r in uow.submissions.of_loop(loop_id):
            done_subs.add((r.event_uid, r.kind))
    pending_moves = sorted(script.moves + [{**c, "cancel": True} for c in script.cancels],
                           key=lambda m: str(m.get("at")))
    n_subs = n_moves = failed = steps = n_org = n_skipped = 0
    org_changes = sorted(script.organisation, key=lambda c: str(c["at"]))
    schedule: list = []
    schedule_for = None
    now = dt.datetime.combine(start, at, tz)
    stop = dt.datetime.combine(end, at, tz)
    total = _count_steps(now, stop, step, at, tz)
    what = f"Simulating loop {loop_id} (dispatch runs)"
    progress(what, 0, total)
    while now <= stop:
        steps += 1
        while pending_moves and _when(pending_moves[0]["at"], tz) <= now:
            m = pending_moves.pop(0)
            _apply_move(uow, m, loop_id, tz, frameworks_dir)
            n_moves += 1
        while org_changes and _when(org_changes[0]["at"], tz) <= now:
            _apply_organisation_change(uow, org_changes.pop(0), loop_id, tz, frameworks_dir)
            n_org += 1
            cache = DispatchCache()  # the units' names and chiefs changed: load them again
        with uow:
            data = _load(uow, settings, cache)
        ld = next((l for l in data.loops if l.row.id == loop_id), None)
        if ld is not None:
            if schedule_for != cache.fingerprint:
                schedule = _submission_schedule(ld, script, tz, done_subs)
                schedule_for = cache.fingerprint
            n_subs += _scripted_submissions(uow, ld, schedule, now, done_subs)

        def count(row, _now=now):
            week = _now.astimezone(tz).date()
            monday = week - dt.timedelta(days=week.weekday())
            iso = monday.isocalendar()
            label = f"{iso.year}-W{iso.week:02d} {monday.strftime('%d.%m')}"
            cat = kinds.NOTIFICATION_KINDS[row.kind].category if row.kind in kinds.NOTIFICATION_KINDS else row.kind
            if row.kind == kinds.INVITATION and (row.context or {}).get("reason") not in ("created", "added"):
                cat = kinds.CHANGED_INVITATION_CATEGORY
            weeks.setdefault(label, Counter())[cat] += 1

        if script.paused(now.astimezone(tz).date()):
            report = None  # a day without dispatch
        else:
            report = dispatch(uow, now, settings, transport_factory(), wall=wall, cache=cache, on_sent=count)
            failed += (report.drain.failed + report.drain.retrying) if report.drain else 0
            n_skipped += len(report.skipped)
        progress(what, steps, total)
        now = _next_step(now, step, at, tz)
    return SimulationReport(loop_id, weeks, steps, n_subs, n_moves, failed, sink_dir, time.monotonic() - started,
                            n_org, n_skipped)


def _next_step(now: dt.datetime, step: dt.timedelta, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The next dispatch time: whole days keep the local time of day across a DST change."""
    if step >= dt.timedelta(days=1):
        return dt.datetime.combine((now + step).astimezone(tz).date(), at, tz)
    return now + step


def _count_steps(now: dt.datetime, stop: dt.datetime, step: dt.timedelta, at: dt.time, tz: ZoneInfo) -> int:
    n = 0
    while now <= stop:
        n += 1
        now = _next_step(now, step, at, tz)
    return n


def _when(value, tz: ZoneInfo) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _submission_schedule(ld: _LoopData, script: Script, tz: ZoneInfo, done: set[tuple[str, str]]) -> list:
    """(time, event, kind) of every scripted submission still to come, latest first."""
    out = []
    for e in ld.state.events:
        if e.status == "cancelled" or not e.unit_id:
            continue
        deadline = kinds.deadline_for_event_kind(e.kind)
        kind = deadline.submission if deadline else None
        if kind is None or (e.uid, kind) in done:
            continue
        when = _scripted_time(e, script.offset(kind, e.unit_id, e.number), tz, script.submit_time)
        if when is not None:
            out.append((when, e.uid, kind, e))
    out.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return out


def _scripted_submissions(uow, ld: _LoopData, schedule: list, now: dt.datetime,
                          done: set[tuple[str, str]]) -> int:
    new = []
    while schedule and schedule[-1][0] <= now:
        when, uid, kind, e = schedule.pop()
        if (uid, kind) in done:
            continue
        # A submission that carries a link (a data package is ready at a URL) gets a made-up one.
        url_ = (f"https://data.example.dk/pakker/{e.unit_id}/{e.number}"
                if kinds.deadline_for_submission(kind).notice_url else None)
        new.append(SubmissionRow(event_uid=uid, loop_id=ld.row.id, kind=kind, unit_id=e.unit_id, number=e.number,
                                 submitted_at=when, by="simulation", content="(simuleret)", url=url_))
        done.add((uid, kind))
    if new:
        with uow:
            uow.submissions.add_all(new)
            uow.commit()
    return len(new)


def _apply_move(uow, m: dict, loop_id: str, tz: ZoneInfo, frameworks_dir: Path) -> None:
    kind = m.get("kind", "learning_talk")
    with uow:
        row = next((e for e, loop in uow.events.find(m.get("unit"), kind, m.get("number")) if loop.id == loop_id), None)
    if row is None:
        raise UserError(f"the simulation script names no {kind} {m.get('number')} of unit {m.get('unit')}")
    when = _when(m["at"], tz)
    if m.get("cancel"):
        cancel_event(uow, row.uid, when)
    else:
        move_event(uow, frameworks_dir, row.uid, str(m["start"]), when, force=bool(m.get("force", True)))


def _apply_organisation_change(uow, change: dict, loop_id: str, tz: ZoneInfo, frameworks_dir: Path) -> None:
    """Re-import the organisation with one scripted change, as the administration would."""
    from cycle.organisation import OrganisationError, organisation_csv, unit_row
    from kvalitetsloop.usecases.loop_changes import add_unit
    from kvalitetsloop.usecases.organisation import import_organisation, show_organisation

    when = _when(change["at"], tz)
    rows = {u.id: unit_row(u) for u in show_organisation(uow).units}
    for unit_id in change.get("remove") or []:
        if rows.pop(unit_id, None) is None:
            raise UserError(f"the simulation script removes unit {unit_id}, which is not in the organisation")
    for unit_id, columns in (change.get("change") or {}).items():
        if unit_id not in rows:
            raise UserError(f"the simulation script changes unit {unit_id}, which is not in the organisation")
        rows[unit_id].update({k: str(v) for k, v in columns.items()})
    added = change.get("add")
    if added:
        rows[str(added["id"])] = {k: str(v) for k, v in added.items()}
    try:
        import_organisation(uow, organisation_csv(list(rows.values())), when, apply=True)
    except OrganisationError as exc:
        raise UserError(f"the simulation script's organisation change at {change['at']} gives a file with "
                        f"problems: {'; '.join(str(p) for p in exc.problems)}") from None
    if added and change.get("plan"):
        add_unit(uow, frameworks_dir, loop_id, str(added["id"]), when)
