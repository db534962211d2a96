"""The capability links themselves: random, long enough, expiring where the framework says."""

from __future__ import annotations

import base64
import datetime as dt
from zoneinfo import ZoneInfo

from notifications import links

CPH = ZoneInfo("Europe/Copenhagen")


def test_a_token_carries_256_random_bits_and_only_its_hash_is_kept():
    tokens = {links.new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    one = next(iter(tokens))
    assert len(base64.urlsafe_b64decode(one + "=" * (-len(one) % 4))) * 8 == 256
    assert links.well_formed(one) and len(links.token_hash(one)) == 64 and one not in links.token_hash(one)
    assert not links.well_formed("../../etc/passwd") and not links.well_formed("a" * 65)


def test_a_link_expires_at_the_due_date_plus_the_frameworks_grace():
    due, talk = dt.date(2027, 8, 25), dt.date(2027, 9, 1)
    # A statement feeds its talk: with 14 days' grace it still ends with the talk's day.
    assert links.expiry("board_statement", due, talk, CPH, 14) == dt.datetime(2027, 9, 2, tzinfo=CPH)
    assert links.expiry("board_statement", due, talk, CPH, 3) == dt.datetime(2027, 8, 29, tzinfo=CPH)
    assert links.expiry("board_statement", due, talk, CPH, 0) == dt.datetime(2027, 8, 26, tzinfo=CPH)
    # A follow-up form comes after its talk: the grace counts in full.
    assert links.expiry("followup_form", due, dt.date(2027, 8, 10), CPH, 14) == dt.datetime(2027, 9, 9, tzinfo=CPH)


def test_the_grace_is_a_framework_key(aarhus):
    assert aarhus.links.grace_days == 14
