"""What is due: the emails a loop asks for at a given time (SPEC 3, 4.2-4.4).

`due_actions` is pure: the loops' events and change history, the framework, what has been
submitted, and `now` in; DueActions out. It does not know what was already sent: every action has
a stable `key` (event, kind, sequence or reminder offset), and the outbox that stores actions
refuses a key it has seen. So the function may be called as often as anyone likes.

Two rules keep the output small and correct when dispatch runs late or rarely:
- a series (reminders at 21, 10 and 3 days) yields only its latest step whose time has come, and
  none once what it asks for has arrived, or once the deadline has passed;
- an invitation yields only the attendee's current state of the meeting (REQUEST at the current
  sequence, or CANCEL), never a superseded one.

Nothing that fell due is dropped, however long dispatch did not run (`since` is when it last
decided anything): what is still of use goes out late (a data-package order says "bestilt for
sent"); what is not (a reminder whose deadline passed, an invitation to a meeting already held, an
earlier step of a series a later step replaces) comes as an action with `skipped` set to the
reason, under the key the email would have had, so it is listed once and never sent.

Day-based emails go out at the start of the framework's working day (08:00); a missing board
statement or supervision report is escalated at the end of the working day of its due date.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from zoneinfo import ZoneInfo

from cycle import kinds, vocabulary
from cycle.events import MEETING_KINDS, Event
from cycle.framework import Framework
from cycle.kinds import DIGEST_DEADLINES, DeadlineKind
from cycle.replies import NO_ANSWER, Answer, current

# How far back every dispatch looks at least, whenever the previous one ran: keys make a second
# look free, and an event moved into the recent past is still caught.
LOOKBACK = dt.timedelta(days=7)
# Follow-up form reminders go on this long after the form's due date, then the digest carries it.
FOLLOWUP_OVERDUE_DAYS = 14
# A "received"/"ready" notice is still worth sending this long after the submission.
NOTICE_VALID = dt.timedelta(days=30)

@dataclass(frozen=True)
class Change:
    """One row of the event's change history (storage `event_change`)."""

    id: int
    event_uid: str
    sequence: int
    change: str  # created | moved | cancelled | attendees
    detail: Mapping
    at: dt.datetime


@dataclass(frozen=True)
class Submission:
    event_uid: str
    kind: str
    submitted_at: dt.datetime
    by: str = ""
    url: str | None = None


@dataclass(frozen=True)
class UnitFacts:
    """What the texts need about a unit and its chief."""

    id: str
    name: str
    sector: str
    chief_email: str
    chief_name: str = ""
    self_owned: bool = False
    special_needs: bool = False


@dataclass(frozen=True)
class LoopState:
    loop_id: str
    area: str
    framework: Framework
    events: Sequence[Event]
    changes: Sequence[Change]
    created_at: dt.datetime
    # A cancelled loop still sends the cancellations of its meetings, and nothing else.
    status: str = "active"

    @cached_property
    def history(self) -> dict[str, list[Change]]:
        """Changes per event uid, oldest first (computed once per state)."""
        out: dict[str, list[Change]] = defaultdict(list)
        for c in sorted(self.changes, key=lambda c: (c.at, c.id)):
            out[c.event_uid].append(c)
        return dict(out)

    @cached_property
    def latest_change(self) -> dt.datetime:
        return max((c.at for c in self.changes), default=self.created_at)

    @cached_property
    def by_uid(self) -> dict[str, Event]:
        return {e.uid: e for e in self.events}

    @cached_property
    def meetings_by_start(self) -> tuple[list[dt.datetime], list[Event]]:
        evs = sorted((e for e in self.events if e.kind in MEETING_KINDS), key=lambda e: e.start)
        return [e.start for e in evs], evs

    @cached_property
    def deadlines_by_date(self) -> tuple[list[dt.date], list[Event]]:
        dates = self.local_dates
        evs = sorted((e for e in self.events if kinds.deadline_for_event_kind(e.kind)), key=lambda e: dates[e.uid])
        return [dates[e.uid] for e in evs], evs

    @cached_property
    def changed_uids(self) -> frozenset[str]:
        """Events with more history than their creation (moved, cancelled, people changed)."""
        return frozenset(uid for uid, chs in self.history.items() if len(chs) > 1)

    @cached_property
    def words(self) -> dict[str, str]:
        """The loop's own words and time zone, for the emails (cycle.vocabulary.words)."""
        return vocabulary.words(self.framework)

    @cached_property
    def local_dates(self) -> dict[str, dt.date]:
        """Each event's start date in the framework's time zone (a deadline's due date)."""
        tz = ZoneInfo(self.framework.timezone)
        return {e.uid: e.start.astimezone(tz).date() for e in self.events}


@dataclass(frozen=True)
class DueAction:
    key: str
    kind: str
    event_uid: str | None
    recipients: tuple[str, ...]
    template: str
    context: dict
    due_at: dt.datetime
    loop_id: str | None = None
    # For invitations: what the calendar part builds ('REQUEST' | 'CANCEL') and for whom.
    method: str | None = None
    # Recipient address -> display name.
    names: Mapping[str, str] = field(default_factory=dict)
    # Reminders and notices are auto-generated (RFC 3834); invitations never are.
    auto_submitted: bool = True
    # Why this email is not sent although it fell due (dispatch did not run in time); None: send it.
    skipped: str | None = None

    def row_key(self, recipient: str) -> str:
        """The outbox key of this action's email to one recipient."""
        return f"{self.key}|{recipient}"


@dataclass(frozen=True)
class DueConfig:
    data_team: str
    digest_weekday: int = 0  # Monday


# -- helpers -------------------------------------------------------------------------------

def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _event_context(e: Event, tz: ZoneInfo) -> dict:
    return {
        "uid": e.uid, "kind": e.kind, "title": e.title, "number": e.number, "all_day": e.all_day,
        "start": e.start.astimezone(tz).isoformat(), "end": e.end.astimezone(tz).isoformat(),
        "date": e.start.astimezone(tz).date().isoformat(), "sequence": e.sequence, "status": e.status,
        "unit_id": e.unit_id, "sector": e.sector, "host_role": e.host_role,
        "talk_date": e.details.get("talk_date"), "body": e.details.get("body"),
    }


def _unit_context(units: Mapping[str, UnitFacts], unit_id: str | None) -> dict | None:
    u = units.get(unit_id or "")
    if u is None:
        return None
    return {"id": u.id, "name": u.name, "sector": u.sector, "self_owned": u.self_owned,
            "special_needs": u.special_needs, "chief_name": u.chief_name, "chief_email": u.chief_email}


def _unit_gone(e: Event, units: Mapping[str, UnitFacts]) -> bool:
    """The event belongs to a unit that is no longer in the organisation (a re-import removed it):
    nobody is reminded or told anything about it any more; only its meetings' cancellations go out."""
    return e.unit_id is not None and e.unit_id not in units


def _with_role(e: Event, roles: Iterable[str]) -> list[tuple[str, str]]:
    roles = set(roles)
    seen: dict[str, str] = {}
    for a in e.attendees:
        if a.role in roles:
            seen.setdefault(a.email, a.name)
    return list(seen.items())


def _latest_step(steps: Sequence[tuple[dt.datetime, object]], now: dt.datetime, until: dt.datetime):
    """The last (time, label) whose time has come, if the next one (or `until`) has not."""
    steps = sorted(steps, key=lambda s: s[0])
    for i in range(len(steps) - 1, -1, -1):
        t, label = steps[i]
        if t <= now:
            end = steps[i + 1][0] if i + 1 < len(steps) else until
            return (t, label) if now < end else None
    return None


def _missed_steps(steps: Sequence[tuple[dt.datetime, object]], current, L: "_Loop", until: dt.datetime,
                  arrived: dt.datetime | None = None) -> list[tuple[dt.datetime, object, str]]:
    """The steps of a series that came since the window began but will never be sent, each with
    why: a later step replaced it, the deadline passed, or what it asks for arrived first."""
    out = []
    for t, label in steps:
        if not L.window_from < t <= L.now or (current is not None and t == current[0]):
            continue
        if arrived is not None:
            if t < arrived:
                out.append((t, label, "what it asks for arrived before a dispatch ran to send it"))
            continue
        if current is not None and t < current[0]:
            out.append((t, label, "a later reminder replaced it (no dispatch ran in between)"))
        elif L.now >= until:
            out.append((t, label, "the deadline passed before a dispatch ran to send it"))
    return out


class _Loop:
    """Per-loop lookups shared by the rules below."""

    def __init__(self, state: LoopState, subs: Mapping[tuple[str, str], Submission], now: dt.datetime,
                 since: dt.datetime | None = None):
        self.s = state
        # What fell due after this time is looked at; before it, earlier dispatches decided.
        last = since if since is not None else state.created_at
        self.last_run = last  # no dispatch has decided anything since
        self.window_from = max(state.created_at, min(last, now - LOOKBACK))
        self.fw = state.framework
        self.tz = ZoneInfo(self.fw.timezone)
        self.now = now
        self.subs = subs
        self.words = state.words
        self.by_uid = state.by_uid
        self.dates = state.local_dates
        if state.latest_change <= now:
            self.changes = state.history
        else:  # history that lies after `now` is not known yet
            self.changes = {uid: [c for c in chs if c.at <= now] for uid, chs in state.history.items()}

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, self.tz)

    def morning(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.fw.working_hours.start)

    def evening(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.fw.working_hours.end)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def submitted(self, uid: str, kind: str) -> Submission | None:
        return self.subs.get((uid, kind))

    def last_change_at(self, uid: str) -> dt.datetime:
        chs = self.changes.get(uid)
        return chs[-1].at if chs else self.s.created_at


# -- invitations ---------------------------------------------------------------------------

def _parse(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _invitation_open(L: _Loop, e: Event, chs: list[Change]) -> dt.datetime | None:
    """When the meeting's invitation window first opened (start - lead time), or None.

    The start a meeting had before each move comes from the move's `previous_start` when the
    change history records it; without it the current start stands in.
    """
    lead = dt.timedelta(days=L.fw.invitations.lead_days)
    created = chs[0].at if chs and chs[0].change == "created" else L.s.created_at
    moves = [c for c in chs if c.change == "moved"]
    cancel = next((c.at for c in chs if c.change == "cancelled"), None)
    starts: list[dt.datetime | None] = [_parse(m.detail.get("previous_start")) for m in moves]
    starts.append(e.start)
    bounds = [created] + [m.at for m in moves]
    for i, start in enumerate(starts):
        seg_from = bounds[i]
        seg_to = bounds[i + 1] if i + 1 < len(bounds) else None
        if cancel is not None and (seg_to is None or cancel < seg_to):
            seg_to = cancel
        if start is None:
            # The history does not say where the meeting was before this move: take it as
            # announced, so the move goes out as an update at once rather than too late.
            return seg_from
        opens = max(seg_from, start - lead)
        if opens >= start:  # the meeting had begun before anyone could be invited
            continue
        if seg_to is None or opens < seg_to:
            return opens
    return None


def _invitations(L: _Loop, units: Mapping[str, UnitFacts]) -> list[DueAction]:
    out: list[DueAction] = []
    now = L.now
    lead = dt.timedelta(days=L.fw.invitations.lead_days)
    starts, meetings = L.s.meetings_by_start
    lo, hi = bisect.bisect_right(starts, now), bisect.bisect_right(starts, now + lead)
    candidates = meetings[lo:hi] + [m for m in meetings[hi:] if m.uid in L.s.changed_uids]
    for e in candidates:
        chs = L.changes.get(e.uid, [])
        if len(chs) <= 1 and e.start - lead > now:
            continue  # never changed, and its window has not opened: the common case, decided fast
        out += _meeting_invitations(L, e, chs, units)
    # Meetings held since the window began: what was never sent for them is listed as skipped.
    for e in meetings[bisect.bisect_right(starts, L.window_from):lo]:
        for a in _meeting_invitations(L, e, L.changes.get(e.uid, []), units):
            out.append(replace(a, skipped="the meeting took place before a dispatch ran to send this"))
    return out


def _meeting_invitations(L: _Loop, e: Event, chs: list[Change], units: Mapping[str, UnitFacts]) -> list[DueAction]:
    """The REQUESTs and CANCELs one meeting asks for at `now`: each attendee's current state."""
    out: list[DueAction] = []
    now = L.now
    opened = _invitation_open(L, e, chs)
    if opened is None or opened > now:
        return out
    ctx_event = _event_context(e, L.tz)
    base = {"event": ctx_event, "unit": _unit_context(units, e.unit_id), "words": L.words}
    # How often each address was added or removed: a new state gives a new key.
    mentions: dict[str, list[Change]] = defaultdict(list)
    for c in chs:
        if c.change == "attendees":
            for email in set(c.detail.get("added", [])) | set(c.detail.get("removed", [])):
                mentions[email].append(c)
    names = {a.email: a.name for a in e.attendees}

    def act(method: str, seq: int, gen: int, reason: str, who: list[str], due: dt.datetime,
            cause: str = "organisation") -> DueAction:
        # `cause`: why the people changed ("organisation": an organisation update; "guest": an ad
        # hoc participant added or taken off; "new_unit": a visit shared out anew for a unit
        # joining the loop), so the email says the right reason.
        key = f"{kinds.INVITATION}|{e.uid}|{seq}|{method}" + (f"#{gen}" if gen else "")
        return DueAction(key, kinds.INVITATION, e.uid, tuple(sorted(who)), kinds.notification(kinds.INVITATION).template,
                         {**base, "method": method, "reason": reason, "sequence": seq, "cause": cause}, due, L.s.loop_id,
                         method=method, names={w: names.get(w, "") for w in who}, auto_submitted=False)

    gone = _unit_gone(e, units)
    if e.status == "cancelled":
        cancel = next((c for c in reversed(chs) if c.change == "cancelled"), None)
        if cancel is None or cancel.at <= opened:
            return out
        who = [a.email for a in e.attendees]
        if who:
            out.append(act("CANCEL", cancel.sequence, 0, "cancelled", who, cancel.at))
        return out
    if gone:
        return out  # no invitation to a meeting about a unit that is gone
    last_move = next((c for c in reversed(chs) if c.change == "moved"), None)
    # The chief or leader was replaced: everyone gets the meeting again with its new people.
    update = next((c for c in reversed(chs) if c.change == "attendees" and c.detail.get("update_all")), None)
    latest = max((c for c in (last_move, update) if c is not None), key=lambda c: c.at, default=None)
    groups: dict[tuple[int, str, dt.datetime], list[str]] = defaultdict(list)
    for a in e.attendees:
        ms = mentions.get(a.email, [])
        gen = len(ms)
        joined = ms[-1].at if ms else None
        due = max(opened, latest.at if latest else opened, joined or opened)
        if joined is not None and joined > opened:
            reason = "added"
        elif latest is not None and latest.at > opened and (joined is None or joined < latest.at):
            reason = "moved" if latest is last_move else "updated"
        else:
            reason = "created"
        groups[(gen, reason, due)].append(a.email)
    cause = (update.detail.get("cause") if update is not None else None) or "organisation"
    for (gen, reason, due), who in sorted(groups.items()):
        out.append(act("REQUEST", e.sequence, gen, reason, who, due, cause))
    active = {a.email for a in e.attendees}
    for email, ms in mentions.items():
        last = ms[-1]
        if email in active or email not in last.detail.get("removed", []) or last.at <= opened:
            continue
        action = act("CANCEL", last.sequence, len(ms), "removed", [email], last.at,
                     last.detail.get("cause") or "organisation")
        out.append(action)
    return out


# -- deadlines -----------------------------------------------------------------------------

def _deadline_base(L: _Loop, e: Event, units: Mapping[str, UnitFacts]) -> dict:
    due = L.dates[e.uid]
    ctx = {"event": _event_context(e, L.tz), "unit": _unit_context(units, e.unit_id), "due_date": due.isoformat(),
           "words": L.words}
    parent = L.by_uid.get(e.parent_uid or "")
    if parent is not None:
        ctx["talk"] = {"uid": parent.uid, "start": parent.start.astimezone(L.tz).isoformat(),
                       "end": parent.end.astimezone(L.tz).isoformat(), "number": parent.number}
    return ctx


def _action(L: _Loop, kind: str, key: str, e: Event | None, who: list[tuple[str, str]], ctx: dict,
            due: dt.datetime, link: str | None = None, auto: bool = True) -> DueAction | None:
    if not who:
        return None
    if link:
        ctx = {**ctx, "link": {"purpose": link, "event_uid": e.uid if e else None}}
    return DueAction(key, kind, e.uid if e else None, tuple(sorted(w for w, _ in who)), kinds.notification(kind).template,
                     ctx, due, L.s.loop_id, names=dict(who), auto_submitted=auto)


def _reminder_series(L: _Loop, e: Event, kind: str, days_before: Sequence[int], who, units, until: dt.datetime,
                     link: str | None = None, arrived: dt.datetime | None = None) -> list[DueAction]:
    """The reminder whose time has come (none once `arrived`), and the steps missed since the window began."""
    due = L.local_date(e.start)
    steps = sorted((L.morning(due - dt.timedelta(days=d)), d) for d in days_before)
    hit = None if arrived is not None else _latest_step(steps, L.now, until)
    out = []
    for t, d, why in _missed_steps(steps, hit, L, until, arrived):
        a = _action(L, kind, f"{kind}|{e.uid}|{e.sequence}|{d}", e, who,
                    {**_deadline_base(L, e, units), "days_before": d}, t)
        if a is not None:
            out.append(replace(a, skipped=why))
    if hit is not None:
        t, d = hit
        ctx = {**_deadline_base(L, e, units), "days_before": d}
        a = _action(L, kind, f"{kind}|{e.uid}|{e.sequence}|{d}", e, who, ctx, t, link)
        if a is not None:
            out.append(a)
    return out


def _notices(L: _Loop, units: Mapping[str, UnitFacts]) -> list[DueAction]:
    """Notices of what arrived ("package ready", "supervision report received"): they follow the
    submissions, whenever the deadline lies."""
    out = []
    since = min(L.window_from, L.now - NOTICE_VALID)
    for (uid, what), got in L.subs.items():
        e = L.by_uid.get(uid)
        if e is None or e.status == "cancelled" or _unit_gone(e, units) or not since < got.submitted_at <= L.now:
            continue
        dk = kinds.deadline_for_submission(what)
        if dk is None or dk.notice is None or e.kind != dk.event_kind:
            continue
        ctx = {**_deadline_base(L, e, units), "submitted_at": _iso(got.submitted_at)}
        if dk.notice_url:
            ctx.update(url=got.url, ready_at=_iso(got.submitted_at))
        key = f"{dk.notice}|{e.uid}" + (f"|{e.sequence}" if dk.notice_keyed_by_sequence else "")
        a = _action(L, dk.notice, key, e, _with_role(e, dk.notice_to(L.fw)), ctx, got.submitted_at,
                    link=dk.answer_link)
        if a is not None:
            out.append(a)
    return out


def _followup_reminder(L: _Loop, e: Event, dk: DeadlineKind, units: Mapping[str, UnitFacts],
                       arrived: dt.datetime | None = None) -> list[DueAction]:
    """Every few days from the day after the talk (which must have ended) until some days past the
    due date; once the due date has passed the reminder says it is overdue."""
    due, now = L.dates[e.uid], L.now
    if due + dt.timedelta(days=FOLLOWUP_OVERDUE_DAYS + 1) < L.local_date(L.window_from):
        return []
    talk = L.by_uid.get(e.parent_uid or "")
    if talk is None or talk.status == "cancelled" or talk.end > now:
        return []
    every = L.fw.followup_form.reminder_every_days
    talk_day = L.dates[talk.uid]
    last_day = due + dt.timedelta(days=FOLLOWUP_OVERDUE_DAYS)
    steps, day = [], talk_day + dt.timedelta(days=1)
    while day <= last_day:
        steps.append((L.morning(day), (day - talk_day).days))
        day += dt.timedelta(days=every)
    until = L.evening(last_day)
    hit = None if arrived is not None else _latest_step(steps, now, until)
    who = _with_role(e, dk.remind)
    out = []
    for t, after, why in _missed_steps(steps, hit, L, until, arrived):
        ctx = {**_deadline_base(L, e, units), "days_after_talk": after, "overdue": L.local_date(t) > due}
        a = _action(L, dk.reminder, f"{dk.reminder}|{e.uid}|{e.sequence}|{after}", e, who, ctx, t)
        if a is not None:
            out.append(replace(a, skipped=why))
    if hit:
        t, after = hit
        ctx = {**_deadline_base(L, e, units), "days_after_talk": after, "overdue": L.local_date(t) > due}
        a = _action(L, dk.reminder, f"{dk.reminder}|{e.uid}|{e.sequence}|{after}", e, who, ctx, t, link=dk.link)
        if a is not None:
            out.append(a)
    return out


def _deadlines(L: _Loop, units: Mapping[str, UnitFacts]) -> list[DueAction]:
    """Reminders, escalations and notices of the loop's deadlines, as the registry describes them."""
    fw, now = L.fw, L.now
    out = _notices(L, units)
    # Nothing a deadline asks for starts earlier than its longest reminder offset before it.
    today = L.local_date(now)
    horizon = today + dt.timedelta(days=max(kinds.reminder_offsets(fw), default=0) + 1)
    floor = L.local_date(L.window_from) - dt.timedelta(days=1)
    dates = L.dates
    keys, deadlines = L.s.deadlines_by_date
    # Follow-up forms are reminded up to FOLLOWUP_OVERDUE_DAYS after their due date, the rest less.
    lo = bisect.bisect_left(keys, floor - dt.timedelta(days=FOLLOWUP_OVERDUE_DAYS + 1))
    # A follow-up form is due some working days after its talk, which must have ended; holidays
    # can stretch those days, hence the generous margin.
    last = max(horizon, today + dt.timedelta(days=2 * fw.followup_form.due_working_days_after_talk + 42))
    for e in deadlines[lo:]:
        dk = kinds.deadline_for_event_kind(e.kind)
        # A deadline recorded as held when a late loop started has passed: nothing to remind of.
        if e.status in ("cancelled", "held") or dk is None or dk.schedule == "none" or _unit_gone(e, units):
            continue
        due = dates[e.uid]
        if due > last:
            break  # sorted by date: nothing later can have anything due yet
        if dk.schedule == "before_due" and not floor <= due <= horizon:
            continue
        got = L.submitted(e.uid, dk.submission)
        arrived = got.submitted_at if got else None
        if arrived is not None and arrived <= L.window_from:
            continue
        if dk.schedule == "after_talk":
            out += _followup_reminder(L, e, dk, units, arrived)
            continue
        end_of_day = L.evening(due)
        offsets = dk.offsets(fw)
        if offsets and dk.reminder:
            out += _reminder_series(L, e, dk.reminder, offsets, _with_role(e, dk.remind), units, end_of_day,
                                    link=dk.link, arrived=arrived)
        # An escalation is sent however late dispatch comes, as long as the submission is missing.
        if dk.escalation and L.window_from < end_of_day <= now and (arrived is None or arrived > end_of_day):
            a = _action(L, dk.escalation, f"{dk.escalation}|{e.uid}|{e.sequence}", e,
                        _with_role(e, dk.escalate_to(fw)), _deadline_base(L, e, units), end_of_day)
            if a is not None:
                out.append(a if arrived is None else
                           replace(a, skipped="it arrived late, but before a dispatch ran to escalate"))
    return out


def _data_package_triggers(L: _Loop, units: Mapping[str, UnitFacts], data_team: str) -> list[DueAction]:
    """Triggers to the data team: one email per trigger day listing that day's packages.

    A package whose trigger time had already passed when it was planned or moved is requested on
    its own, at once. A day's email lists the packages planned for that day at its time; it is
    sent once (its key is the loop and the day). Sent after its day (no dispatch ran), it says it
    is ordered late; a package whose talk was held meanwhile is listed as skipped instead.
    """
    now, out = L.now, []
    batches: dict[dt.date, list[Event]] = defaultdict(list)
    held: dict[dt.date, list[Event]] = defaultdict(list)
    today = L.local_date(now)
    package, kind = kinds.DATA_PACKAGE, kinds.DATA_PACKAGE_TRIGGER
    template = kinds.notification(kind).template
    if L.fw.data_packages is None:
        return out  # a framework without data packages plans none to order
    common = {"words": L.words, "working_days": L.fw.data_packages.available_working_days_before_talk}
    for e in L.s.events:
        if e.kind != package.event_kind or e.status == "cancelled" or _unit_gone(e, units):
            continue
        trigger = e.details.get("trigger_date")
        if trigger and trigger > today.isoformat() and L.last_change_at(e.uid) <= now:
            continue  # its day has not come (ISO dates compare as text)
        talk = L.by_uid.get(e.parent_uid or "")
        talk_start = talk.start if talk is not None else e.start
        if talk_start <= L.window_from:
            continue  # its talk lies before the window: earlier dispatches decided it
        trigger_day = dt.date.fromisoformat(trigger or L.dates[e.uid].isoformat())
        trigger_at = L.morning(trigger_day)
        set_at = L.last_change_at(e.uid)
        got = L.submitted(e.uid, package.submission)
        if got:
            if set_at <= trigger_at and L.last_run < trigger_at < got.submitted_at <= now:
                ctx = {"trigger_date": trigger_day.isoformat(), "late": False, "late_reason": None,
                       "packages": [_package_line(L, e, units)], **common}
                out.append(DueAction(f"{kind}|{e.uid}|{e.sequence}", kind, e.uid, (data_team,), template, ctx,
                                     trigger_at, L.s.loop_id, names={data_team: ""},
                                     skipped="the package was ready before a dispatch ran to order it"))
            continue
        if set_at <= trigger_at:
            if not L.window_from < trigger_at <= now:
                continue
            (held if talk_start <= now else batches)[trigger_day].append(e)
        elif set_at <= now:
            ctx = {"trigger_date": trigger_day.isoformat(), "late": True, "late_reason": "planned_late",
                   "packages": [_package_line(L, e, units)], **common}
            a = DueAction(f"{kind}|{e.uid}|{e.sequence}", kind, e.uid, (data_team,), template, ctx, set_at,
                          L.s.loop_id, names={data_team: ""})
            out.append(a if talk_start > now else replace(a, skipped="its talk took place before a dispatch ran"))
    for day in sorted(set(batches) | set(held)):
        evs = sorted(batches.get(day, []) or held[day], key=lambda e: (e.start, e.unit_id or ""))
        late = day < today  # no dispatch ran on its day: the data team must hurry
        ctx = {"trigger_date": day.isoformat(), "late": late, "late_reason": "no_dispatch" if late else None,
               "loop_id": L.s.loop_id, "area": L.s.area, "packages": [_package_line(L, e, units) for e in evs],
               **common}
        a = DueAction(f"{kind}|{L.s.loop_id}|{day.isoformat()}", kind, None, (data_team,), template, ctx,
                      L.morning(day), L.s.loop_id, names={data_team: ""})
        out.append(a if day in batches else
                   replace(a, skipped="the talks took place before a dispatch ran to order their packages"))
        for e in held.get(day, []) if day in batches else []:
            out.append(DueAction(f"{kind}|{e.uid}|{e.sequence}", kind, e.uid, (data_team,), template,
                                 {**ctx, "late": True, "packages": [_package_line(L, e, units)]}, L.morning(day),
                                 L.s.loop_id, names={data_team: ""},
                                 skipped="its talk took place before a dispatch ran to order it"))
    return out


def _package_line(L: _Loop, e: Event, units: Mapping[str, UnitFacts]) -> dict:
    u = units.get(e.unit_id or "")
    return {"uid": e.uid, "unit_id": e.unit_id, "unit_name": u.name if u else e.title, "sector": e.sector,
            "number": e.number, "available": L.local_date(e.start).isoformat(),
            "talk_date": e.details.get("talk_date"), "tailored": bool(e.details.get("tailored"))}


# -- weekly digest -------------------------------------------------------------------------

# Answers to invitations: event uid -> attendee address (lower case) -> the latest answer.
Answers = Mapping[str, Mapping[str, Answer]]


def _unanswered(L: _Loop, units: Mapping[str, UnitFacts], now: dt.datetime, answers: Answers) -> list[tuple[Event, list, list]]:
    """The meetings invited so far that lie ahead (within the invitations' lead time) where
    someone other than the chief declined or has not answered the current time."""
    out = []
    starts, meetings = L.s.meetings_by_start
    lead = dt.timedelta(days=L.fw.invitations.lead_days)
    for e in meetings[bisect.bisect_right(starts, now):bisect.bisect_right(starts, now + lead)]:
        if e.status == "cancelled" or _unit_gone(e, units):
            continue
        got = answers.get(e.uid, {})
        declined, waiting = [], []
        for a in e.attendees:
            if a.role == "chief":
                continue
            state = current(e, got.get(a.email.lower()))
            if state == "DECLINED":
                declined.append(a.name or a.email)
            elif state == NO_ANSWER:
                waiting.append(a.name or a.email)
        if declined or waiting:
            out.append((e, declined, waiting))
    return out


def _digests(loops: list[_Loop], units: Mapping[str, UnitFacts], now: dt.datetime, weekday: int,
             since: dt.datetime | None = None, answers: Answers | None = None) -> list[DueAction]:
    if not loops:
        return []
    L0 = loops[0]
    today = L0.local_date(now)
    monday = today - dt.timedelta(days=(today.weekday() - weekday) % 7)
    send_at = L0.morning(monday)
    if now < send_at:
        return []
    week_end = monday + dt.timedelta(days=7)
    iso = monday.isocalendar()
    chiefs: dict[str, dict] = {}

    def chief_entry(email: str, name: str) -> dict:
        return chiefs.setdefault(email, {"name": name, "meetings": [], "missing": [], "due": [], "replies": []})

    for L in loops:
        if L.s.created_at > send_at:
            continue
        dates = L.dates
        mstarts, meetings = L.s.meetings_by_start
        week_from = dt.datetime.combine(monday, dt.time(), L.tz)
        week_to = dt.datetime.combine(week_end, dt.time(), L.tz)
        dkeys, deadlines = L.s.deadlines_by_date
        this_week = meetings[bisect.bisect_left(mstarts, week_from):bisect.bisect_left(mstarts, week_to)]
        before_end = deadlines[:bisect.bisect_left(dkeys, week_end)]
        for e in this_week + [d for d in before_end if d.kind in DIGEST_DEADLINES]:
            if e.status == "cancelled" or _unit_gone(e, units):
                continue
            day = dates[e.uid]
            if e.kind in MEETING_KINDS:
                for email, name in _with_role(e, ["chief"]):
                    chief_entry(email, name)["meetings"].append(
                        {"title": e.title, "start": e.start.astimezone(L.tz).isoformat(),
                         "end": e.end.astimezone(L.tz).isoformat()})
            elif e.kind in DIGEST_DEADLINES and e.unit_id and e.unit_id in units:
                dk = kinds.deadline_for_event_kind(e.kind)
                if L.submitted(e.uid, dk.submission):
                    continue
                if dk.schedule == "after_talk":  # not missing before its talk has ended
                    talk = L.by_uid.get(e.parent_uid or "")
                    if talk is None or talk.end > now:
                        continue
                u = units[e.unit_id]
                item = {"title": e.title, "date": day.isoformat(), "unit": u.name, "kind": e.kind}
                if day < today:
                    chief_entry(u.chief_email, u.chief_name)["missing"].append(item)
                elif day < week_end:
                    chief_entry(u.chief_email, u.chief_name)["due"].append(item)
        # Answers are listed once the organiser's mailbox is read (replies fetch): before that
        # every meeting would look unanswered.
        for e, declined, waiting in (_unanswered(L, units, send_at, answers) if answers is not None else []):
            for email, name in _with_role(e, ["chief"]):
                chief_entry(email, name)["replies"].append(
                    {"title": e.title, "start": e.start.astimezone(L.tz).isoformat(), "declined": declined,
                     "waiting": waiting})
    out = []
    for email, d in sorted(chiefs.items()):
        if not (d["meetings"] or d["missing"] or d["due"] or d["replies"]):
            continue
        for k in ("meetings", "replies"):
            d[k].sort(key=lambda m: m["start"])
        for k in ("missing", "due"):
            d[k].sort(key=lambda m: (m["date"], m["unit"]))
        ctx = {"chief_name": d["name"], "week": iso.week, "year": iso.year, "monday": monday.isoformat(),
               "sunday": (week_end - dt.timedelta(days=1)).isoformat(), "meetings": d["meetings"],
               "missing": d["missing"], "due": d["due"], "replies": d["replies"], "words": L0.words}
        out.append(DueAction(f"{kinds.WEEKLY_DIGEST}|{iso.year}-W{iso.week:02d}", kinds.WEEKLY_DIGEST, None, (email,),
                             kinds.notification(kinds.WEEKLY_DIGEST).template, ctx, send_at, None,
                             names={email: d["name"]}))
    return out + _missed_digests(loops, units, monday, weekday, since)


def _missed_digests(loops: list[_Loop], units: Mapping[str, UnitFacts], monday: dt.date, weekday: int,
                    since: dt.datetime | None) -> list[DueAction]:
    """The digests of whole weeks in which no dispatch ran, as they would have been: listed as
    skipped; this week's digest carries what is still missing."""
    if since is None:
        return []
    L0, out = loops[0], []
    week = monday - dt.timedelta(days=7)
    while L0.morning(week) > since and L0.morning(week) > min(L.s.created_at for L in loops):
        for a in _digests(loops, units, L0.morning(week), weekday):
            out.append(replace(a, skipped="no dispatch ran that week; the next digest lists what is still missing"))
        week -= dt.timedelta(days=7)
    return out


# -- the whole -----------------------------------------------------------------------------

def latest_submissions(submissions: Iterable[Submission], now: dt.datetime) -> dict[tuple[str, str], Submission]:
    """The first submission of each (event, kind) that had arrived by `now`."""
    out: dict[tuple[str, str], Submission] = {}
    for s in submissions:
        if s.submitted_at > now:
            continue
        k = (s.event_uid, s.kind)
        if k not in out or s.submitted_at < out[k].submitted_at:
            out[k] = s
    return out


def due_actions(loops: Sequence[LoopState], units: Mapping[str, UnitFacts], submissions: Iterable[Submission],
                now: dt.datetime, config: DueConfig, since: dt.datetime | None = None,
                answers: Answers | None = None) -> list[DueAction]:
    """Every email due at `now` for the given loops, each with its stable key. `answers` (the
    attendees' answers to the invitations, once replies are read) feed the chiefs' digest."""
    return [a for a in due_and_skipped(loops, units, submissions, now, config, since, answers) if a.skipped is None]


def due_and_skipped(loops: Sequence[LoopState], units: Mapping[str, UnitFacts], submissions: Iterable[Submission],
                    now: dt.datetime, config: DueConfig, since: dt.datetime | None = None,
                    answers: Answers | None = None) -> list[DueAction]:
    """Every email due at `now`, and those that fell due since the window began but can no longer
    be of use (`skipped` says why); `since`: when a dispatch last decided anything."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    subs = latest_submissions(submissions, now)
    views = [_Loop(s, subs, now, since) for s in loops if s.created_at <= now]
    out: list[DueAction] = []
    for L in views:
        out += _invitations(L, units)
        if L.s.status == "active":
            out += _deadlines(L, units)
            out += _data_package_triggers(L, units, config.data_team)
    out += _digests([L for L in views if L.s.status == "active"], units, now, config.digest_weekday, since, answers)
    out.sort(key=lambda a: (a.due_at, a.key))
    return out
