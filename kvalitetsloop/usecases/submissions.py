"""Use case: something a deadline asks for has arrived (a statement, a form, a package is ready)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cycle.kinds import SUBMISSION_KINDS, deadline_for_submission
import re

from kvalitetsloop.errors import NotFound, NumberNeeded, UserError
from storage.models_notifications import SubmissionRow

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


def submit(uow, kind: str, unit_id: str, number: int | None, now: dt.datetime, *, by: str = "",
           content: str = "", link: str | None = None) -> Submitted:
    """Record that something a deadline asks for has arrived; reminders for it stop."""
    if kind not in SUBMISSION_KINDS:
        raise UserError(f"'{kind}' is not a kind of submission (one of {', '.join(SUBMISSION_KINDS)})")
    if link is not None and any(ch.isspace() or not ch.isprintable() for ch in link):
        raise UserError("the link must not contain spaces, line breaks or other control characters")
    if link is not None and not (link.startswith("https://") or link.startswith("http://")):
        raise UserError(f"the link '{link}' must start with https:// or http://")
    if by and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", by):
        raise UserError(f"who submits it must be given as an email address; '{by}' is not an email address"
                        if by.isprintable() else "who submits it must be given as an email address")
    with uow:
        if uow.organisation.load().by_id().get(unit_id) is None:
            raise NotFound(f"there is no unit '{unit_id}' in the organisation")
        deadline = deadline_for_submission(kind)
        found = uow.events.find(unit_id, deadline.event_kind, number)
        if not found:
            what = deadline.english.format(n=number if number is not None else "?")
            raise NotFound(f"unit {unit_id} has no {what} in an active loop".replace("no a ", "no "))
        if number is None and len({e.number for e, _ in found}) > 1:
            raise NumberNeeded(f"unit {unit_id} has {len(found)} deadlines for a {kind.replace('_', ' ')}; "
                               "say which number is meant")
        event, loop = found[0]
        earlier = uow.submissions.count_for(event.uid, kind)
        uow.submissions.add(SubmissionRow(event_uid=event.uid, loop_id=loop.id, kind=kind, unit_id=unit_id,
                                          number=event.number, submitted_at=now, by=by, content=content, url=link))
        uow.commit()
    return Submitted(kind, unit_id, event.number, event.uid, event.title, loop.id, now, earlier)


@dataclass
class Arrival:
    """A submission not yet announced to others (as a Prefect event)."""

    id: int
    kind: str
    loop_id: str
    unit_id: str | None
    number: int | None
    event_uid: str
    submitted_at: dt.datetime
    url: str | None


def unannounced(uow, limit: int = 500) -> list[Arrival]:
    """What has arrived and not been announced yet, oldest first."""
    with uow:
        return [Arrival(s.id, s.kind, s.loop_id, s.unit_id, s.number, s.event_uid, s.submitted_at, s.url)
                for s in uow.submissions.unannounced(limit)]


def mark_announced(uow, ids: list[int], now: dt.datetime) -> None:
    with uow:
        uow.submissions.mark_announced(ids, now)
        uow.commit()
