"""Use cases of the chief's answer to a self-owned daycare board's supervision report (issue 11,
point 2): is a follow-up meeting with the board needed, and if so when.

"Børn og Unge-chefens opfølgning består af bestyrelsens skriftlige afrapportering samt data fra
fællesfunktionerne. I de tilfælde hvor data giver anledning til yderligere opfølgning, afholder
Børn- og Unge-chefen møde med bestyrelsen i det selvejende dagtilbud." [000]

Each answer is a submission of the report's deadline event (kind `supervision_followup`; every
answer is kept as a version, with the link that made it). A "yes" plans a meeting of kind
`supervision_meeting` that the next dispatch invites like any meeting; a later "yes" at another
time moves the same meeting (a REQUEST with a higher SEQUENCE), a later "no" cancels it. The time
is checked as a moved meeting's is: the unit's working day, the holidays, working hours, and the
people's other meetings in every running loop.

Shared by the portal (the chief's link) and the command line, so a refusal carries its sentence
in English (`str`) and in Danish (`da`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from cycle import kinds
from cycle.events import SUPERVISION_MEETING, Event
from cycle.planner import supervision_meeting
from kvalitetsloop.errors import NotFound, NumberNeeded, UserError
from kvalitetsloop.usecases.events import parse_when, placement_problems
from kvalitetsloop.usecases.forms import FormRejected, LinkView, Receipt, Version, _versions, _view
from kvalitetsloop.usecases.loops import working_calendar
from storage.models_notifications import SubmissionRow
from storage.models_portal import SubmissionFormRow

REPORT = kinds.SUPERVISION_REPORT
ANSWER = REPORT.answer


class AnswerRefused(UserError):
    """The answer cannot be recorded; `da` is the same sentence for the chief's web page."""

    def __init__(self, english: str, danish: str):
        super().__init__(english)
        self.da = danish


class MeetingRefused(AnswerRefused):
    """The meeting's time breaks the rules a moved meeting keeps (cycle.rules.check_placement)."""

    def __init__(self, problems: list[str]):
        clauses = list(dict.fromkeys(getattr(p, "da", "") or "tidspunktet bryder rammens regler for møder"
                                     for p in problems))
        super().__init__(f"the follow-up meeting is refused because {'; and '.join(problems)}",
                         f"Mødet kan ikke holdes på det tidspunkt: {' og '.join(clauses)}.")
        self.problems = problems


@dataclass
class Answered:
    loop_id: str
    unit_id: str
    report_uid: str
    version: int
    submitted_at: dt.datetime
    # none | planned | moved | unchanged | cancelled
    change: str
    meeting: Event | None = None


def _meeting_of(events: list[Event], report_uid: str) -> tuple[Event | None, int]:
    """The report's live follow-up meeting (or None), and how many were ever planned for it."""
    ours = [e for e in events if e.kind == SUPERVISION_MEETING and e.details.get("supervision_report_uid") == report_uid]
    return next((e for e in ours if e.status != "cancelled"), None), len(ours)


def _record(uow, frameworks_dir: Path, loop, report: Event, unit, meeting_at: dt.datetime | None, now: dt.datetime,
            by: str, form_id: str | None = None, capability_hash: str | None = None) -> Answered:
    """The answer and what it does to the meeting, in the open transaction."""
    fw = uow.loops.framework(loop)
    tz = ZoneInfo(fw.timezone)
    events = uow.events.of_loop(loop.id, tz)
    current, planned = _meeting_of(events, report.uid)
    if current is not None and current.start <= now and (meeting_at is None or meeting_at != current.start):
        held = current.start.astimezone(tz)
        raise AnswerRefused(f"the follow-up meeting was held on {held:%Y-%m-%d}; the answer can no longer change",
                            f"Opfølgningsmødet blev holdt den {held:%d.%m.%Y}; svaret kan ikke længere ændres.")
    meeting, change = None, "none"
    if meeting_at is None and current is not None:
        meeting, record = current.cancelled(reason="no follow-up meeting needed")
        uow.events.record(meeting, record, now)
        change = "cancelled"
    elif meeting_at is not None:
        start = meeting_at.astimezone(tz)
        if current is not None and current.start == start:
            meeting, change = current, "unchanged"
        else:
            # A new meeting after a cancelled one gets a uid of its own (a cancelled uid stays cancelled).
            meeting = current or supervision_meeting(fw, loop.id, unit, report, start, part=str(planned) if planned else "")
            end = start + (meeting.end - meeting.start)
            problems = placement_problems(uow, loop, fw, working_calendar(uow, fw, frameworks_dir), meeting, start,
                                          end, events, now)
            if problems:
                raise MeetingRefused(problems)
            if current is None:
                uow.events.add_planned(loop.id, [meeting], now)
                change = "planned"
            else:
                meeting, record = current.moved(start, end)
                uow.events.record(meeting, record, now)
                change = "moved"
    yes = meeting_at is not None
    form = {"meeting": yes, "meeting_at": meeting.start.isoformat() if yes else None,
            "meeting_uid": meeting.uid if meeting is not None else None, "form_id": form_id}
    content = (f"Opfølgningsmøde med bestyrelsen: ja, {meeting.start.astimezone(tz):%d.%m.%Y kl. %H.%M}" if yes
               else "Opfølgningsmøde med bestyrelsen: nej")
    row = SubmissionRow(event_uid=report.uid, loop_id=loop.id, kind=ANSWER, unit_id=unit.id, number=report.number,
                        submitted_at=now, by=by, content=content)
    uow.portal.add_submission(row, SubmissionFormRow(capability_hash=capability_hash, form=form))
    version = len(uow.portal.versions(report.uid, ANSWER))
    return Answered(loop.id, unit.id, report.uid, version, now, change, meeting)


def _arrived(uow, report_uid: str) -> bool:
    return bool(uow.portal.versions(report_uid, REPORT.submission))


def answer(uow, frameworks_dir: Path, loop_id: str, unit_id: str, number: int | None,
           meeting_at: str | None, now: dt.datetime) -> Answered:
    """The chief's answer from the command line: a follow-up meeting at `meeting_at` (ISO; local
    time of the framework without an offset), or none (None). Without `number`: the unit's report
    that has arrived, if only one has."""
    with uow:
        loop = uow.loops.get(loop_id)
        if loop is None:
            raise NotFound(f"there is no loop '{loop_id}'")
        unit = uow.organisation.load().by_id().get(unit_id)
        if unit is None:
            raise NotFound(f"there is no unit '{unit_id}' in the organisation")
        tz = ZoneInfo(uow.loops.framework(loop).timezone)
        when = parse_when(meeting_at, tz) if meeting_at is not None else None
        reports = [e for e in uow.events.of_unit(loop_id, unit_id, tz)
                   if e.kind == REPORT.event_kind and e.status != "cancelled" and number in (None, e.number)]
        if not reports:
            what = f"supervision report {number}" if number is not None else "supervision report"
            raise NotFound(f"unit {unit_id} has no {what} in loop {loop_id}")
        arrived = [e for e in reports if _arrived(uow, e.uid)]
        if not arrived:
            raise AnswerRefused(f"the board of {unit_id} has not handed in {reports[0].title!r} yet; the chief "
                                "answers a supervision report once it has arrived",
                                "Bestyrelsen har ikke afleveret tilsynsafrapporteringen endnu.")
        if len(arrived) > 1:
            raise NumberNeeded(f"the board of {unit_id} has handed in {len(arrived)} supervision reports in loop "
                               f"{loop_id}; say which number is meant")
        result = _record(uow, frameworks_dir, loop, arrived[0], unit, when, now,
                         by=unit.chief.email if unit.role("chief") else "")
        uow.commit()
    return result


def _posted_time(posted: dict, tz: ZoneInfo) -> dt.datetime | None:
    """The meeting time the chief chose on the page (an HTML date and time field, local time), or
    None for "no meeting"; FormRejected with one Danish sentence when it cannot be read."""
    needed = posted.get("needed")
    if needed == "nej":
        return None
    if needed != "ja":
        raise FormRejected({"needed": "Vælg, om der er behov for et opfølgningsmøde med bestyrelsen."})
    try:
        day = dt.date.fromisoformat(str(posted.get("date") or ""))
        time = dt.time.fromisoformat(str(posted.get("time") or ""))
    except ValueError:
        raise FormRejected({"meeting": "Vælg dato og klokkeslæt for mødet."}) from None
    if not 2000 <= day.year <= 2100:
        raise FormRejected({"meeting": "Vælg en dato i de kommende år."})
    return dt.datetime.combine(day, time.replace(second=0, microsecond=0, tzinfo=None), tz)


def answer_by_link(uow, frameworks_dir: Path, token: str, posted: dict, now: dt.datetime,
                   form_id: str | None = None) -> Receipt:
    """The chief's answer through the link in the notice of the report's arrival: `posted` holds
    "needed" (ja/nej), "date" and "time". The same form posted twice (a double click, a replayed
    post) is recorded once."""
    with uow:
        view = _view(uow, token, REPORT.answer_link, now)
        for v in _versions(uow, view.event_uid, ANSWER):
            if form_id and v.form.get("form_id") == form_id:
                return Receipt(view, v.number, v.submitted_at, [])
        meeting_at = _posted_time(posted, view.tz)
        loop = uow.loops.get(view.loop_id)
        report = uow.events.get(view.event_uid, view.tz)
        try:
            result = _record(uow, frameworks_dir, loop, report, view.unit, meeting_at, now, view.recipient, form_id,
                             view.token_hash)
        except AnswerRefused as exc:
            raise FormRejected({"meeting": exc.da}) from None
        uow.commit()
    return Receipt(view, result.version, now, [])


@dataclass
class AnswerPage:
    """What the chief's page shows besides the report: the answers so far and the meeting."""

    answers: list[Version]
    meeting: Event | None
    duration_minutes: int
    working_hours: tuple[dt.time, dt.time]


def answer_page(uow, view: LinkView) -> AnswerPage:
    with uow:
        loop = uow.loops.get(view.loop_id)
        fw = uow.loops.framework(loop)
        meeting, _ = _meeting_of(uow.events.of_unit(view.loop_id, view.unit.id, view.tz), view.event_uid)
        return AnswerPage(_versions(uow, view.event_uid, ANSWER), meeting, fw.durations.supervision_meeting,
                          (fw.working_hours.start, fw.working_hours.end))
