"""A person's calendar feed over HTTP: at the address the invitations give, read as a calendar
program would (icalendar), 304 while nothing changed, a new ETag once a meeting moves."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import icalendar
import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH


def test_the_feed_in_the_invitation_answers_with_etag_and_304(portal, tmp_path):
    portal.dispatch(dt.datetime(2027, 4, 20, 9, 0, tzinfo=CPH))
    invitation = portal.mails("invitation")[0]
    plain = invitation.get_body(("plain",)).get_content()
    feed = re.search(r"http://127\.0\.0\.1:\d+/kalender/[A-Za-z0-9_-]+\.ics", plain).group(0)
    assert "abonnere" in plain
    person = invitation["To"].addresses[0].addr_spec
    with httpx.Client(timeout=60) as client:
        first = client.get(feed)
        assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
        cal = icalendar.Calendar.from_ical(first.content)
        events = [c for c in cal.walk("VEVENT")]
        assert events and cal["METHOD"] == "PUBLISH"
        etag = first.headers["etag"]
        again = client.get(feed, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert client.get(feed.replace("/kalender/", "/kalender/x")).status_code == 404
    # A meeting of this person moves: the feed changes, and so does its ETag.
    with engine_for(portal.db).connect() as c:
        uid = c.execute(sa.text("select e.uid from event e join attendee a on a.event_id = e.id where a.email = :p "
                                "and e.kind in ('learning_talk', 'one_to_one') order by e.start desc limit 1"),
                        {"p": person}).scalar()
    from tests.conftest import Cli

    moved = Cli(portal.db, tmp_path)("event", "move", uid, "--start", "2029-01-10T10:00", "--force",
                                     "--now", "2027-03-02T09:00+01:00", check=False)
    assert moved.returncode == 0, moved.stderr
    with httpx.Client(timeout=60) as client:
        changed = client.get(feed, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        starts = {str(e["UID"]): e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(changed.content).walk("VEVENT")}
        assert starts[uid].astimezone(CPH) == dt.datetime(2029, 1, 10, 10, 0, tzinfo=CPH)
