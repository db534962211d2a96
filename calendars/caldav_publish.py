"""Publish a loop's events into one CalDAV calendar collection, idempotently.

Each event is one resource (named from its UID by the caldav library) holding the VTIMEZONE and
the event's VEVENT, the same VEVENT the invitations carry, with:

* SCHEDULE-AGENT=CLIENT on ORGANIZER and every ATTENDEE (RFC 6638 7.1): the invitations go out
  by email from kvalitetsloop; a scheduling server must not send a second one;
* X-KVALITETSLOOP-FINGERPRINT: a hash of the event's content without DTSTAMP. A second run
  compares it with what the server holds and sends nothing when it is equal, so running publish
  twice changes nothing; a moved event rewrites the same resource; a cancelled one is rewritten
  with STATUS:CANCELLED (never deleted, so clients show it struck through).

The caldav library raises SEQUENCE on every save unless told not to; the sequence belongs to the
domain (SPEC 4.1), so every save passes increase_seqno=False.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import caldav
from caldav.elements import dav
from caldav.lib import error as caldav_error

from calendars.context import CalendarContext
from calendars.vevent import FINGERPRINT, vcalendar, vevent
from cycle.events import Event


@dataclass
class PublishReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    # uid per outcome, for logs and tests
    uids: dict[str, list[str]] = field(default_factory=lambda: {"created": [], "updated": [], "unchanged": [],
                                                                  "cancelled": []})

    def _count(self, outcome: str, uid: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.uids[outcome].append(uid)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.cancelled


class PublishError(RuntimeError):
    """The CalDAV server refused or could not be reached; the message says which and where."""


def resource(event: Event, ctx: CalendarContext) -> tuple[bytes, str]:
    """The stored calendar object of one event (no METHOD), and its content fingerprint."""
    attendees = event.attendees if event.is_meeting else ()
    ve = vevent(event, ctx, attendees=attendees, schedule_agent_client=True, fingerprint=True)
    return vcalendar([ve], None), ve.fingerprint


@dataclass
class _Stored:
    obj: object
    fingerprint: str
    cancelled: bool


def _stored_objects(calendar) -> dict[str, _Stored]:
    out: dict[str, _Stored] = {}
    for obj in calendar.search(event=True):
        for comp in obj.icalendar_instance.walk("VEVENT"):
            uid = str(comp.get("UID", ""))
            if not uid:
                continue
            out[uid] = _Stored(obj, str(comp.get(FINGERPRINT, "")),
                               str(comp.get("STATUS", "")).upper() == "CANCELLED")
    return out


def _open_collection(url: str, user: str | None, password: str | None):
    client = caldav.DAVClient(url=url, username=user, password=password, enable_rfc6764=False, timeout=60)
    calendar = client.calendar(url=url)
    try:
        calendar.get_properties([dav.ResourceType()])
    except caldav_error.NotFoundError:
        # The collection does not exist yet: create it, as an administrator would expect.
        response = client.mkcalendar(url)
        if response.status not in (200, 201):
            raise PublishError(f"the CalDAV collection {_safe(url)} does not exist and could not be created "
                               f"(HTTP {response.status})") from None
    return client, calendar


def publish(events: Iterable[Event], url: str, ctx: CalendarContext, user: str | None = None,
            password: str | None = None, progress: Callable[[str, int, int], None] | None = None,
            label: str = "publish") -> PublishReport:
    """Put every event into the collection at `url`; change only what differs from the server.

    A run that fails half-way (PublishError) leaves what it wrote; running it again finishes the
    job and changes nothing that is already right. `progress(label, done, total)` is told after
    each event (kvalitetsloop.work_progress): a first publish writes thousands, one request each.
    """
    report = PublishReport()
    events = list(events)
    try:
        client, calendar = _open_collection(url, user, password)
        with client:
            stored = _stored_objects(calendar)
            if progress:
                progress(label, 0, len(events))
            for done, event in enumerate(events, 1):
                body, digest = resource(event, ctx)
                found = stored.get(event.uid)
                cancelled = event.status == "cancelled"
                if found is None:
                    calendar.add_event(body.decode("utf-8"), increase_seqno=False)
                    report._count("cancelled" if cancelled else "created", event.uid)
                elif found.fingerprint == digest:
                    report._count("unchanged", event.uid)
                else:
                    found.obj.data = body.decode("utf-8")
                    found.obj.save(increase_seqno=False)
                    report._count("cancelled" if cancelled and not found.cancelled else "updated", event.uid)
                if progress:
                    progress(label, done, len(events))
    except caldav_error.AuthorizationError:
        raise PublishError(f"the CalDAV server at {_safe(url)} refused the user name or password") from None
    except caldav_error.DAVError as exc:
        raise PublishError(f"publishing to {_safe(url)} failed: {exc}") from None
    except OSError as exc:  # connection refused, DNS, TLS, timeouts (the HTTP clients' errors are OSErrors)
        raise PublishError(f"the CalDAV server at {_safe(url)} could not be reached ({type(exc).__name__})") from None
    return report


def _safe(url: str) -> str:
    """The URL without any user:password@ part, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url
