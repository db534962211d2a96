"""Use case: dispatch. Decide what is due at `now`, then send it (or write what would be sent).

It runs in two steps. First, in one transaction, it asks cycle.due what is due and writes every
new email as an outbox row (the calendar files of invitations are built here, so a row holds
exactly what was decided). Then the sender drains the outbox over one SMTP connection. The first
step is safe to repeat and to run concurrently: the rows' keys are unique.

The settings object and the transport come from the entry point; nothing here reads the
environment or the clock (`wall`, the real clock for the sender's leases, is passed in).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from calendars.changes import messages_for_change
from cycle import kinds
from calendars.context import CalendarContext, loop_info, units_from_organisation
from cycle.due import Change, DueAction, DueConfig, LoopState, Submission, UnitFacts, due_and_skipped
from cycle.events import Event
from cycle.framework import Framework
from cycle.phases import DIGEST, DIGEST_PHASE, Phase, phase_key, phases
from cycle.vocabulary import sector_label
from kvalitetsloop.usecases.feeds import feed_link_rows
from notifications import links
from notifications.compose import compose
from notifications.mime import new_message_id
from notifications.render import render_subject
from notifications.sender import DrainReport, drain
from storage.models import LoopRow


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


def _load(uow, settings, cache: DispatchCache | None) -> DispatchCache:
    fp = uow.events.fingerprint()
    # The organisation is read every time (it is small) and compared: a re-import changes no
    # event, but who the chief is or what a unit is called must not come from an older read.
    org = uow.organisation.load()
    if cache is not None and cache.fingerprint == fp and cache.organisation == org:
        # Another writer (a second dispatch, the command line) may have decided emails since:
        # the keys are read again (one column), so nothing is decided twice on a stale set.
        cache.keys = uow.outbox.keys([l.row.id for l in cache.loops])
        return cache
    out = cache or DispatchCache()
    out.organisation = org
    out.units = {u.id: UnitFacts(u.id, u.name, u.sector, u.chief.email if u.role("chief") else "",
                                 u.chief.name if u.role("chief") else "", u.self_owned, u.special_needs)
                 for u in org.units}
    unit_infos = units_from_organisation(org)
    out.loops = []
    for loop in uow.loops.dispatched():
        fw = uow.loops.framework(loop)
        events = uow.events.of_loop(loop.id, ZoneInfo(fw.timezone))
        changes = [Change(c.id, c.event_uid, c.sequence, c.change, dict(c.detail or {}), c.at)
                   for c in uow.events.changes(loop.id)]
        state = LoopState(loop.id, loop.area, fw, events, changes, loop.created_at, loop.status)
        ctx = CalendarContext.from_settings(
            settings, units=unit_infos,
            loop=loop_info(loop.id, loop.area, loop.council_date, fw, tuple(loop.themes or ())))
        out.loops.append(_LoopData(loop, fw, state, {e.uid: e for e in events}, ctx))
    if out.fingerprint is None or cache is None:
        out.keys = uow.outbox.keys([l.row.id for l in out.loops])
        out.submissions, out.last_submission_id = [], 0
    out.fingerprint = fp
    return out


def _submissions(uow, data: DispatchCache) -> list[Submission]:
    """What has arrived for the loops (new rows only, when the cache already holds the older)."""
    for r in uow.submissions.since([l.row.id for l in data.loops], data.last_submission_id):
        data.submissions.append(Submission(r.event_uid, r.kind, r.submitted_at, r.by, r.url))
        data.last_submission_id = r.id
    return data.submissions


def _answers(uow, data: DispatchCache) -> dict | None:
    """The attendees' answers to the invitations (for the chiefs' digest), or None while no
    reply has ever been read from the organiser's mailbox."""
    from cycle.replies import Answer

    rows = uow.replies.answers_of_loops([l.row.id for l in data.loops])
    if not rows:
        return None
    return {uid: {email: Answer(r.partstat, r.sequence, r.replied_at, r.comment) for email, r in people.items()}
            for uid, people in rows.items()}


# -- deciding ------------------------------------------------------------------------------

@dataclass
class Decision:
    rows: list[dict]
    per_kind: Counter
    # Emails that fell due while no dispatch ran and are of no use now: (kind, recipient, reason).
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    # Who got an invitation: their calendar-feed link (its hash) is stored with the decision.
    feed_links: list[str] = field(default_factory=list)


def _decide(uow, data: DispatchCache, now: dt.datetime, settings) -> Decision:
    subs = _submissions(uow, data)
    since = uow.outbox.last_decided_at()
    actions = due_and_skipped([l.state for l in data.loops], data.units, subs, now, DueConfig(settings.data_team),
                              since=since, answers=_answers(uow, data))
    by_loop = {l.row.id: l for l in data.loops}
    ready_urls = {(x.event_uid): x.url for x in subs if x.kind == kinds.DATA_PACKAGE.submission and x.url}
    rows, per_kind, skipped, feed_links = [], Counter(), [], []
    ics_cache: dict[tuple, dict[str, bytes]] = {}
    for a in actions:
        new = [r for r in a.recipients if a.row_key(r) not in data.keys]
        if not new:
            continue
        if a.skipped:
            rows += [_skipped_row(a, r, now, settings) for r in new]
            skipped += [(a.kind, r, a.skipped) for r in new]
            continue
        if a.method == "CANCEL":
            # A cancellation goes to those whose invitation was sent or is on its way; not to those
            # whose invitation was withdrawn or never decided.
            invited = uow.outbox.invited(a.event_uid)
            new = [r for r in new if r in invited]
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
                ctx["link"] = _link_expiry(link, a, ld, now)
            elif a.kind == kinds.DATA_PACKAGE_TRIGGER:  # the data team's page, to mark packages ready
                ctx["link"] = {"purpose": links.DATA_TEAM, "event_uid": "",
                               "expires": (now + dt.timedelta(days=links.DATA_TEAM_DAYS)).isoformat()}
            rows.append({
                "key": a.row_key(r), "kind": a.kind, "loop_id": a.loop_id, "event_uid": a.event_uid,
                "recipient": r, "subject": render_subject(a.template, ctx, a.names.get(r, "")),
                "message_id": new_message_id(settings.message_id_domain), "context": ctx,
                "ics": ics_for.get(r), "method": a.method, "status": "pending", "attempts": 0, "last_error": None,
                "due_at": a.due_at, "created_at": now, "next_attempt_at": now, "updated_at": now,
            })
            per_kind[a.kind] += 1
            if a.kind == kinds.INVITATION:
                feed_links.append(r)
    return Decision(rows, per_kind, skipped, feed_links)


def _skipped_row(a: DueAction, recipient: str, now: dt.datetime, settings) -> dict:
    """An outbox row that is never sent: it keeps the email's key and says why it was skipped."""
    ctx = {**a.context, "names": {recipient: a.names.get(recipient, "")}}
    ctx.pop("link", None)
    return {"key": a.row_key(recipient), "kind": a.kind, "loop_id": a.loop_id, "event_uid": a.event_uid,
            "recipient": recipient, "subject": render_subject(a.template, ctx, a.names.get(recipient, "")),
            "message_id": new_message_id(settings.message_id_domain), "context": ctx, "ics": None,
            "method": a.method, "status": "skipped", "attempts": 0, "last_error": a.skipped,
            "due_at": a.due_at, "created_at": now, "next_attempt_at": now, "updated_at": now}


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


def _link_expiry(link: dict, a: DueAction, ld: _LoopData, now: dt.datetime) -> dict:
    """The link's expiry, decided with the email; its token is made when the email is composed
    (notifications.links) and only its hash stored then."""
    event = ld.events_by_uid.get(a.event_uid or "")
    tz = ZoneInfo(ld.framework.timezone)
    due = event.start.astimezone(tz).date() if event else now.date()
    if kinds.is_answer_link(link["purpose"]):
        # The answer to what arrived (a supervision report) is asked once it arrives, however
        # late: the grace days count from the later of the due date and the notice.
        due = max(due, now.astimezone(tz).date())
    talk = (event.details.get("talk_date") if event else None)
    expires = links.expiry(link["purpose"], due, dt.date.fromisoformat(talk) if talk else None, tz,
                           ld.framework.links.grace_days)
    return {**link, "expires": expires.isoformat()}


# -- dispatch ------------------------------------------------------------------------------

@dataclass
class DispatchReport:
    now: dt.datetime
    decided: Counter
    drain: DrainReport | None = None
    dry_run_files: list[Path] = field(default_factory=list)
    # (kind, recipient, reason) of what fell due while no dispatch ran and is no longer sent.
    skipped: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.drain.total_sent if self.drain else 0


def decide(uow, now: dt.datetime, settings, cache: DispatchCache | None = None) -> Decision:
    """Decide what is due at `now` and store it in the outbox (one transaction).

    Safe to repeat and to run concurrently: a row's key is unique, a second decision of the same
    email is ignored."""
    with uow:
        data = _load(uow, settings, cache)
        decision = _decide(uow, data, now, settings)
        uow.outbox.add_decided(decision.rows)
        uow.portal.add_feed_links(feed_link_rows(settings.link_secret, set(decision.feed_links), now))
        uow.commit()
    data.keys.update(r["key"] for r in decision.rows)
    return decision


def send(uow, now: dt.datetime, settings, transport, *, wall: Callable[[], dt.datetime],
         only: Iterable[int] | None = None, on_sent: Callable | None = None) -> DrainReport:
    """Send what the outbox holds that is due at `now` (only the rows `only` names, if given)."""
    return drain(uow.engine, transport, settings, now, wall, on_sent=on_sent,
                 only=None if only is None else list(only))


def dispatch(uow, now: dt.datetime, settings, transport, *, wall: Callable[[], dt.datetime],
             cache: DispatchCache | None = None, on_sent: Callable | None = None) -> DispatchReport:
    """Decide what is due at `now`, store it in the outbox, and send what the outbox holds."""
    decision = decide(uow, now, settings, cache)
    report = DispatchReport(now, decision.per_kind, skipped=decision.skipped)
    report.drain = send(uow, now, settings, transport, wall=wall, on_sent=on_sent)
    return report


# -- what waits to be sent, by loop, phase and sector (how the Prefect flow shows it) ------

@dataclass(frozen=True)
class SendGroup:
    loop_id: str | None
    phase: Phase
    sector: str
    row_ids: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{self.phase.title} · {self.sector}"


def waiting_groups(uow, now: dt.datetime) -> list[SendGroup]:
    """The outbox rows due at `now`, grouped by loop, phase of the loop and sector.

    A row belongs to the phase of the event it is about; a day's data-package request to the
    phase of its packages; the chiefs' weekly digest to no loop."""
    groups: dict[tuple, list] = {}
    with uow:
        frameworks = {l.id: uow.loops.framework(l) for l in uow.loops.all()}
        for row in uow.outbox.due_with_events(now):
            fw = frameworks.get(row.loop_id or "")
            if fw is None:
                key = (None, DIGEST, "alle")
            else:
                kind, number, sector = row.event_kind, row.event_number, row.event_sector
                if kind is None:  # a day's data-package request lists its packages
                    packages = (row.context or {}).get("packages") or [{}]
                    kind, number = kinds.DATA_PACKAGE.event_kind, packages[0].get("number")
                    sectors = {p.get("sector") for p in packages}
                    sector = sectors.pop() if len(sectors) == 1 else None
                key = (row.loop_id, phase_key(kind, number), sector_label(sector) if sector else "alle")
            groups.setdefault(key, []).append(row)
    out = []
    for (loop_id, pkey, sector), rows in groups.items():
        fw = frameworks.get(loop_id or "")
        phase = phases(fw)[pkey] if fw else DIGEST_PHASE
        out.append(SendGroup(loop_id, phase, sector, tuple(r.id for r in rows)))
    out.sort(key=lambda g: (g.loop_id or "~", g.phase.order, g.sector))
    return out


def dry_run(uow, now: dt.datetime, settings, directory: Path) -> DispatchReport:
    """Write the .eml files a dispatch at `now` would send; nothing is sent or stored."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.eml"):
        old.unlink()
    files: list[Path] = []
    with uow:  # never committed: what it decided is rolled back when the block ends
        data = _load(uow, settings, None)
        decision = _decide(uow, data, now, settings)
        uow.outbox.add_decided(decision.rows)
        for i, row in enumerate(uow.outbox.due(now), start=1):
            safe = "".join(ch if ch.isalnum() or ch in "@._-" else "_" for ch in row.recipient)
            path = directory / f"{i:05d}-{row.kind}-{safe}.eml"
            path.write_bytes(compose(row, settings, now))
            files.append(path)
    return DispatchReport(now, decision.per_kind, None, files, decision.skipped)


def held_back(uow, now: dt.datetime) -> tuple[int, dt.datetime | None, str | None]:
    """Emails due that an earlier run could not send and that wait for their next try: a run
    that sent nothing because of them has not done its job either."""
    with uow:
        return uow.outbox.held_back(now)


def row_states(uow, row_ids: list[int]) -> list:
    """Each row's kind, status and last error now (after a run tried to send them)."""
    with uow:
        return uow.outbox.states(row_ids)
