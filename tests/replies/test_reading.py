"""Reading one email: which calendar replies it holds, whatever the client's MIME shape."""

from __future__ import annotations

import datetime as dt

import pytest

import base64
import re

from calendars.replies import MalformedReply, read_message
from tests.replies import messages as m

W = dt.datetime(2027, 4, 12, 8, 15, tzinfo=dt.timezone.utc)
UID = "6f1e2b7c-0000-5000-8000-000000000001@kvalitetsloop"


def test_gmail_sends_the_file_twice_and_it_counts_once():
    read = read_message(m.gmail_reply(UID, 2, "Leder@Example.dk", "Leder", "DECLINED", W, comment="Syg"))
    assert [(r.uid, r.attendee, r.partstat, r.sequence, r.replied_at, r.comment) for r in read.replies] == \
        [(UID, "leder@example.dk", "DECLINED", 2, W, "Syg")]


def test_outlook_apple_and_a_wrapped_reply():
    outlook = read_message(m.outlook_reply(UID, 0, "chef@example.dk", "Chef", "TENTATIVE", W, comment="Måske"))
    assert [(r.partstat, r.comment) for r in outlook.replies] == [("TENTATIVE", "Måske")]
    apple = read_message(m.apple_reply(UID, 1, "p@example.dk", "Pæd", "ACCEPTED", W))
    assert [(r.attendee, r.partstat, r.sequence) for r in apple.replies] == [("p@example.dk", "ACCEPTED", 1)]
    wrapped = read_message(m.wrapped(m.outlook_reply(UID, 0, "chef@example.dk", "Chef", "DECLINED", W), "sek@example.dk", W))
    assert wrapped.sender == "sek@example.dk" and [r.attendee for r in wrapped.replies] == ["chef@example.dk"]


def test_a_counter_carries_its_proposed_time():
    start, end = dt.datetime(2027, 5, 20, 10, tzinfo=dt.timezone.utc), dt.datetime(2027, 5, 20, 12, tzinfo=dt.timezone.utc)
    read = read_message(m.outlook_reply(UID, 0, "chef@example.dk", "Chef", "NEEDS-ACTION", W, method="COUNTER",
                                        proposed=(start, end)))
    (r,) = read.replies
    assert r.method == "COUNTER" and r.proposed_start == start and r.proposed_end == end


def test_other_mail_is_not_a_reply():
    assert read_message(m.plain_mail("a@example.dk", W)).replies == ()
    # A forwarded invitation (METHOD:REQUEST) is not an answer either.
    request = m.outlook_reply(UID, 0, "a@example.dk", "A", "NEEDS-ACTION", W, method="REQUEST")
    assert read_message(request).replies == ()


def test_a_broken_reply_says_why():
    with pytest.raises(MalformedReply, match="cannot be parsed"):
        read_message(m.malformed_reply("a@example.dk", W))
    no_attendee = m.apple_reply(UID, 0, "a@example.dk", "A", "ACCEPTED", W)
    part = re.search(rb"method=REPLY; name=iCal-20270415-081500.ics\r\n\r\n(.*?)\r\n--", no_attendee, re.S)
    ics = base64.b64decode(part.group(1)).replace(b"ATTENDEE;", b"X-ATTENDEE;")
    broken = no_attendee.replace(part.group(1), base64.b64encode(ics))
    with pytest.raises(MalformedReply, match="names no ATTENDEE"):
        read_message(broken)
