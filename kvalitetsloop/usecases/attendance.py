"""Use cases of a meeting's ad hoc participants [000 table: "Ad hoc deltagere alt efter lokalt
fokusområde"]: add a person to one meeting (a REQUEST goes to them, an update to the others) or
take them off again (a CANCEL goes to them). The guests are recorded in the meeting's details ("guests"), so a re-import
of the organisation keeps them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cycle.events import Attendee
from kvalitetsloop.errors import NotFound, UserError

# The organisation file's rule for an address (cycle.organisation).
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


@dataclass
class AttendanceChange:
    uid: str
    title: str
    email: str
    added: bool


def change_guest(uow, uid: str, now: dt.datetime, add: str | None = None, name: str = "",
                 remove: str | None = None) -> AttendanceChange:
    """Add an ad hoc participant to a meeting, or remove one that was added."""
    if (add is None) == (remove is None):
        raise UserError("give one person to add or one to remove")
    email = (add or remove or "").strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"'{email}' is not a valid email address")
    if any(not ch.isprintable() for ch in name) or len(name) > 200:
        raise UserError("a participant's name must be one line of at most 200 characters")
    with uow:
        row = uow.events.row(uid)
        if row is None:
            raise NotFound(f"there is no event with uid '{uid}'")
        tz = ZoneInfo(uow.loops.framework(uow.loops.get(row.loop_id)).timezone)
        event = uow.events.get(uid, tz)
        if not event.is_meeting:
            raise UserError(f"'{event.title}' is a deadline, not a meeting: it has no participants to add")
        if event.status == "cancelled":
            raise UserError(f"the meeting '{event.title}' is cancelled")
        if event.start <= now:
            raise UserError(f"the meeting '{event.title}' has already taken place ({event.start.date().isoformat()})")
        guests = list(event.details.get("guests", []))
        current = {a.email: a for a in event.attendees}
        if add is not None:
            if email in current:
                raise UserError(f"{email} already takes part in '{event.title}'")
            guests.append({"email": email, "name": name.strip()})
            attendees = (*event.attendees, Attendee(email, "guest", name.strip()))
        else:
            if email not in current:
                raise UserError(f"{email} does not take part in '{event.title}'")
            if email not in {g["email"] for g in guests}:
                raise UserError(f"{email} takes part in '{event.title}' by the organisation file "
                                f"({current[email].role}), not as an ad hoc participant; change the organisation instead")
            guests = [g for g in guests if g["email"] != email]
            attendees = tuple(a for a in event.attendees if a.email != email)
        # An added guest: everyone's calendar gets the meeting again with its new participant
        # (the "the others an update"); a removed one: only that person gets a CANCEL.
        new, change = event.with_changes(details={**event.details, "guests": guests}).with_attendees(
            attendees, update_all=add is not None, cause="guest")
        uow.events.record(new, change, now)
        uow.commit()
    return AttendanceChange(uid, event.title, email, add is not None)
