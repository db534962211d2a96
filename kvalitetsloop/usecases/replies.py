"""Use cases of calendar replies (SPEC 4.5): read them from the organiser's mailbox, record each
attendee's answer, tell the administration and the chief about a decline that matters, and show
the answers.

The mailbox is an adapter handed in by the entry point (notifications.mailbox.ImapMailbox, or
anything with `items()` and `file(ref, where)`); nothing here reads settings or the clock.

Each message is its own transaction: its answers and the notices they cause are committed
together, and only then is the message filed in the mailbox (done, aside, rejected). A crash
between the two leaves the message where it was; the next fetch finds its key recorded, applies
nothing again and only files it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from calendars.replies import CalendarReply, MalformedReply, read_message
from cycle import kinds, vocabulary
from cycle.events import Event
from cycle.framework import AARHUS_ROLE_LABELS
from cycle.replies import ANSWER_WORDS, NO_ANSWER, Answer, current, decline_is_notified, told_of_decline
from kvalitetsloop.errors import NotFound
from storage.models_replies import ASIDE, CalendarReplyRow, ReplyMessageRow

# Where a message goes once it is read: "done" (applied or stale answers, counter-proposals),
# "aside" (kept for a person: unknown meeting, not an attendee) or "rejected" (malformed).
DONE, ASIDE_FOLDER, REJECTED = "done", "aside", "rejected"
# Stored texts are cut to the columns' sizes (a reply is outside input).
_UID_MAX, _KEY_MAX = 255, 300


@dataclass(frozen=True)
class MailItem:
    ref: str  # the mailbox's handle of the message (its IMAP UID)
    raw: bytes


class Mailbox(Protocol):
    def items(self) -> Iterable[MailItem]: ...

    def file(self, ref: str, where: str) -> None: ...


@dataclass(frozen=True)
class FetchLine:
    """One answer read, as `replies fetch` reports it."""

    outcome: str
    uid: str
    attendee: str
    partstat: str
    sequence: int | None
    reason: str
    subject: str


@dataclass
class FetchReport:
    messages: int = 0  # looked at
    ignored: int = 0  # not calendar replies: left where they were
    again: int = 0  # recorded by an earlier fetch: only filed now
    outcomes: Counter = field(default_factory=Counter)
    lines: list[FetchLine] = field(default_factory=list)
    notice_keys: list[str] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)
    filed: Counter = field(default_factory=Counter)


def message_key(message_id: str, raw: bytes) -> str:
    """What identifies a message across fetches: its Message-ID, else a hash of its bytes."""
    if message_id:
        return message_id[:_KEY_MAX]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _folder(outcomes: list[str]) -> str:
    if "malformed" in outcomes:
        return REJECTED
    if outcomes and all(o in ASIDE for o in outcomes):
        return ASIDE_FOLDER
    return DONE


def fetch_replies(uow, mailbox: Mailbox, now: dt.datetime, settings) -> FetchReport:
    """Read every message of the mailbox, record the calendar replies among them, decide the
    notices they cause (outbox rows, sent by the caller or the next dispatch), and file them."""
    report = FetchReport()
    for item in mailbox.items():
        report.messages += 1
        try:
            read = read_message(item.raw)
            problem = None
        except MalformedReply as exc:
            read, problem = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - one odd message must not stop every later fetch
            read, problem = None, f"it cannot be read ({type(exc).__name__}: {str(exc)[:160]})"
        if read is not None and not read.replies:
            report.ignored += 1
            continue
        key = message_key(read.message_id if read else _message_id(item.raw), item.raw)
        with uow:
            earlier = uow.replies.known(key)
            if earlier:
                outcomes = [r.outcome for r in earlier]
                report.again += 1
            else:
                if problem is not None:
                    rows = [_malformed(key, problem, item.raw, now)]
                    notices = []
                else:
                    rows, notices = _record(uow, key, read, now, settings)
                try:
                    uow.replies.log(rows)
                    if notices:
                        uow.outbox.add_decided(notices)
                    uow.commit()
                except IntegrityError:
                    # Another fetch (the flow and the command at once) recorded it first: it
                    # files the message; this one leaves it.
                    report.again += 1
                    continue
                outcomes = [r.outcome for r in rows]
                report.outcomes.update(outcomes)
                report.lines += [FetchLine(r.outcome, r.event_uid or "", r.attendee or "", r.partstat or "",
                                           r.sequence, r.reason, r.subject) for r in rows]
                report.notice_keys += [n["key"] for n in notices]
        where = _folder(outcomes)
        mailbox.file(item.ref, where)
        report.filed[where] += 1
    if report.notice_keys:
        with uow:
            report.notice_ids = uow.replies.outbox_ids(report.notice_keys)
    return report


def _message_id(raw: bytes) -> str:
    import email
    import email.policy

    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        return " ".join(str(msg.get("Message-ID", "")).split())
    except Exception:  # noqa: BLE001 - an unreadable header: the hash identifies the message
        return ""


def _headers(raw: bytes) -> tuple[str, str]:
    import email
    import email.policy
    import email.utils

    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    sender = email.utils.parseaddr(str(msg.get("From", "")))[1].lower()
    subject = str(email.header.make_header(email.header.decode_header(str(msg.get("Subject", "")))))
    return sender[:254], " ".join(subject.split())


def _malformed(key: str, reason: str, raw: bytes, now: dt.datetime) -> ReplyMessageRow:
    try:
        sender, subject = _headers(raw)
    except Exception:  # noqa: BLE001 - the reason is what matters here
        sender, subject = "", ""
    return ReplyMessageRow(message_key=key, item=0, outcome="malformed", reason=reason, sender=sender,
                           subject=subject, received_at=now)


def _record(uow, key: str, read, now: dt.datetime, settings) -> tuple[list[ReplyMessageRow], list[dict]]:
    rows, notices = [], []
    for i, r in enumerate(read.replies):
        row = ReplyMessageRow(message_key=key, item=i, outcome="", method=r.method, event_uid=r.uid[:_UID_MAX],
                              attendee=r.attendee[:254], partstat=r.partstat[:16], sequence=r.sequence,
                              replied_at=r.replied_at or now, comment=r.comment, proposed_start=r.proposed_start,
                              proposed_end=r.proposed_end, sender=read.sender[:254], subject=read.subject,
                              received_at=now)
        row.outcome, row.reason, notice = _apply(uow, r, row, now, settings)
        rows.append(row)
        notices += notice
    return rows, notices


def _apply(uow, r: CalendarReply, row: ReplyMessageRow, now: dt.datetime,
           settings) -> tuple[str, str, list[dict]]:
    """What becomes of one answer: (outcome, reason, notices)."""
    event_row = uow.events.row(r.uid) if len(r.uid) <= 128 else None
    if event_row is None:
        return "unknown_event", f"no meeting has the UID {r.uid}", []
    row.loop_id = event_row.loop_id
    loop = uow.loops.get(event_row.loop_id)
    fw = uow.loops.framework(loop)
    tz = ZoneInfo(fw.timezone)
    event = uow.events.get(r.uid, tz)
    attendee = next((a for a in event.attendees if a.email.lower() == r.attendee), None)
    if attendee is None:
        return "not_attendee", f"{r.attendee} is not invited to '{event.title}'", []
    if r.sequence > event.sequence:
        return ("unsent_sequence", f"it answers sequence {r.sequence} of '{event.title}', "
                                   f"but the newest sent is {event.sequence}", [])
    if r.method == "COUNTER":
        return "counter", "", _notices(kinds.REPLY_COUNTER, event, loop, fw, attendee, r, row, now, settings)
    answered = r.replied_at or now
    stored = uow.replies.answer(r.uid, r.attendee)
    if stored is not None and (stored.sequence > r.sequence
                               or (stored.sequence == r.sequence and stored.replied_at > answered)):
        return ("stale", f"an answer to sequence {stored.sequence} given {stored.replied_at.isoformat()} is newer", [])
    if stored is None:
        stored = CalendarReplyRow(event_uid=r.uid, loop_id=event_row.loop_id, attendee=r.attendee, partstat="",
                                  sequence=0, replied_at=answered, received_at=now, message_key=row.message_key)
    stored.partstat, stored.sequence, stored.replied_at = r.partstat, r.sequence, answered
    stored.received_at, stored.comment, stored.message_key = now, r.comment, row.message_key
    uow.replies.save(stored)
    notices = []
    if decline_is_notified(event, attendee.role, r.partstat, r.sequence, now):
        notices = _notices(kinds.REPLY_DECLINED, event, loop, fw, attendee, r, row, now, settings)
    return "applied", "", notices


def _role_label(fw, role: str) -> str:
    return {**AARHUS_ROLE_LABELS, **fw.role_labels}.get(role, role)


def _notices(kind: str, event: Event, loop, fw, attendee, r: CalendarReply, row: ReplyMessageRow,
             now: dt.datetime, settings) -> list[dict]:
    """The outbox rows of a decline notice (administration, and the chief or the leader holding the
    meeting) or a counter-proposal (administration)."""
    from notifications.mime import new_message_id
    from notifications.render import render_subject

    tz = ZoneInfo(fw.timezone)
    recipients = {settings.organiser.lower(): fw.bodies.administration}
    if kind == kinds.REPLY_DECLINED:
        for a in told_of_decline(event, attendee.email):
            recipients.setdefault(a.email.lower(), a.name)
    proposed = r.proposed_start.astimezone(tz) if r.proposed_start else None
    start_hint = (proposed or event.start.astimezone(tz)).strftime("%Y-%m-%dT%H:%M")
    ctx = {
        "event": {"uid": event.uid, "kind": event.kind, "title": event.title, "number": event.number,
                  "start": event.start.astimezone(tz).isoformat(), "end": event.end.astimezone(tz).isoformat(),
                  "sequence": event.sequence, "unit_id": event.unit_id},
        "loop_id": loop.id,
        "attendee": {"email": attendee.email, "name": attendee.name or r.attendee_name,
                     "role": _role_label(fw, attendee.role)},
        "answer": ANSWER_WORDS.get(r.partstat, r.partstat.lower()),
        "comment": r.comment,
        "replied_at": (r.replied_at or now).astimezone(tz).isoformat(),
        "proposed_start": proposed.isoformat() if proposed else None,
        "proposed_end": r.proposed_end.astimezone(tz).isoformat() if r.proposed_end else None,
        "move_command": f"kvalitetsloop event move {event.uid} --start {start_hint}",
        "words": vocabulary.words(fw),
    }
    template = kinds.notification(kind).template
    out = []
    for email, name in recipients.items():
        c = {**ctx, "names": {email: name}}
        out.append({
            "key": f"{kind}|{event.uid}|{r.sequence}|{r.attendee}|{email}"
                   + (f"|{row.message_key}" if kind == kinds.REPLY_COUNTER else ""),
            "kind": kind, "loop_id": loop.id, "event_uid": event.uid, "recipient": email,
            "subject": render_subject(template, c, name), "message_id": new_message_id(settings.message_id_domain),
            "context": c, "ics": None, "method": None, "status": "pending", "attempts": 0, "due_at": now,
            "created_at": now, "next_attempt_at": now, "updated_at": now,
        })
    return out



# -- showing the answers -------------------------------------------------------------------

@dataclass(frozen=True)
class AttendeeAnswer:
    email: str
    name: str
    role: str
    answer: str  # the answer to the meeting as it is now (NEEDS-ACTION if none)
    recorded: Answer | None  # the latest answer recorded, perhaps to an earlier time

    @property
    def words(self) -> str:
        """The answer in Danish, with an earlier time's answer when a move asked again."""
        text = ANSWER_WORDS.get(self.answer, self.answer.lower())
        if self.answer == NO_ANSWER and self.recorded is not None:
            text += f" (tidligere tidspunkt: {ANSWER_WORDS.get(self.recorded.partstat, self.recorded.partstat.lower())})"
        return text


@dataclass(frozen=True)
class MeetingAnswers:
    event: Event
    loop_id: str
    attendees: list[AttendeeAnswer]

    def count(self, answer: str) -> int:
        return sum(a.answer == answer for a in self.attendees)


def _answer(row: CalendarReplyRow | None) -> Answer | None:
    return None if row is None else Answer(row.partstat, row.sequence, row.replied_at, row.comment)


def _meeting_answers(event: Event, loop_id: str, fw, rows: dict[str, CalendarReplyRow]) -> MeetingAnswers:
    out = []
    for a in event.attendees:
        recorded = _answer(rows.get(a.email.lower()))
        out.append(AttendeeAnswer(a.email, a.name, _role_label(fw, a.role), current(event, recorded), recorded))
    return MeetingAnswers(event, loop_id, out)


def event_answers(uow, uid: str) -> MeetingAnswers:
    """One event with each attendee's answer."""
    with uow:
        row = uow.events.row(uid)
        if row is None:
            raise NotFound(f"there is no event with uid '{uid}'")
        fw = uow.loops.framework(uow.loops.get(row.loop_id))
        event = uow.events.get(uid, ZoneInfo(fw.timezone))
        answers = uow.replies.answers_of([uid]).get(uid, {})
        return _meeting_answers(event, row.loop_id, fw, answers)


def unit_answers(uow, loop_id: str, unit_id: str) -> list[MeetingAnswers]:
    """Every meeting of a unit in a loop, in time order, with each attendee's answer."""
    with uow:
        loop = uow.loops.get(loop_id)
        if loop is None:
            raise NotFound(f"there is no loop '{loop_id}'")
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        events = [uow.events.get(r.uid, tz) for r in uow.replies.events_of_unit(loop_id, unit_id)]
        meetings = sorted((e for e in events if e.is_meeting), key=lambda e: e.start)
        answers = uow.replies.answers_of(e.uid for e in meetings)
        return [_meeting_answers(e, loop_id, fw, answers.get(e.uid, {})) for e in meetings]


@dataclass(frozen=True)
class ReplyCount:
    kind: str
    chief: str
    meetings: int
    people: int
    counts: Counter


def replies_report(uow, loop_id: str) -> list[ReplyCount]:
    """Per kind of meeting and chief: the meetings invited so far, their attendees, and how many
    have accepted, are unsure, declined or not answered the current time. A unit's meeting counts
    for the unit's chief (also one the chief is not at, such as a visit); a shared meeting (a leader
    network's, where several chiefs sit) for no chief ("")."""
    with uow:
        loop = uow.loops.get(loop_id)
        if loop is None:
            raise NotFound(f"there is no loop '{loop_id}'")
        fw = uow.loops.framework(loop)
        invited = uow.replies.invited_events(loop_id)
        events = [e for e in uow.events.of_loop(loop_id, ZoneInfo(fw.timezone))
                  if e.uid in invited and e.status != "cancelled"]
        answers = uow.replies.answers_of_loops([loop_id])
        chiefs = {u.id: u.chief_name or u.chief_email or "" for u in uow.reports.units(loop_id)}
    # A unit removed since keeps its chief from its meetings' own people.
    for e in events:
        if e.unit_id and e.unit_id not in chiefs:
            chief = next((a.name or a.email for a in e.attendees if a.role == "chief"), None)
            if chief:
                chiefs[e.unit_id] = chief
    groups: dict[tuple[str, str], ReplyCount] = {}
    for e in events:
        chief = "" if e.unit_id is None else chiefs.get(e.unit_id, "(tidligere enhed)")
        g = groups.setdefault((e.kind, chief), ReplyCount(e.kind, chief, 0, 0, Counter()))
        m = _meeting_answers(e, loop_id, fw, answers.get(e.uid, {}))
        groups[(e.kind, chief)] = ReplyCount(e.kind, chief, g.meetings + 1, g.people + len(m.attendees), g.counts)
        g.counts.update(a.answer for a in m.attendees)
    return [groups[k] for k in sorted(groups)]


def read_replies(uow, outcomes: Iterable[str] | None = None, limit: int = 200) -> list[ReplyMessageRow]:
    """The replies read, newest first: those kept aside, counter-proposals, rejected ones."""
    with uow:
        return uow.replies.messages(outcomes, limit)
