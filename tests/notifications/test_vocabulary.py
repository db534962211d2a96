"""Emails speak the loop's framework's words (issue 7, point 4): an Albertslund loop's invitations
and reminders say "kvalitetsdialog", "forældrebestyrelsen" and "Afdelingen for dagtilbud", never
Aarhus's "læringssamtale"; times are written in the framework's time zone."""

from __future__ import annotations

import datetime as dt
from email import policy

import email

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for
from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases
from notifications.render import render
from tests.conftest import FRAMEWORKS
from tests.notifications.conftest import CPH, START, run_dispatch, settings_for, small_org_csv

LOOP = "0-6-2027-04-28"


def _texts(messages) -> list[tuple[str, str, str]]:
    out = []
    for m in messages:
        msg = email.message_from_bytes(m.data, policy=policy.default)
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        out.append((msg["X-Kvalitetsloop-Kind"], str(msg["Subject"]), plain + html))
    return out


def test_an_albertslund_loop_mails_in_albertslund_words(tmp_path, smtp):
    url = f"sqlite:///{tmp_path / 'albertslund.sqlite'}"
    org_cases.import_organisation(uow_for(url), small_org_csv(), START)
    loop_cases.start_loop(uow_for(url), FRAMEWORKS, "albertslund", "0-6", None, START, past="held",
                          start_date=dt.date(2027, 4, 28))
    events = loop_cases.view_loop(uow_for(url), LOOP).events
    talk = min((e for e in events if e.kind == "learning_talk" and e.number == 1), key=lambda e: e.start)
    settings = settings_for(smtp.port)
    # The invitations to talk 1, then the follow-up form's first reminder the day after the talk.
    for when in (talk.start - dt.timedelta(days=27), talk.start.astimezone(CPH) + dt.timedelta(days=1, hours=1)):
        run_dispatch(url, when, settings)
    mails = _texts(smtp.messages)
    kinds = {k for k, _, _ in mails}
    assert {"invitation", "followup_form_reminder"} <= kinds
    talk_invitations = [(s, t) for k, s, t in mails if k == "invitation" and "Kvalitetsdialog" in s]
    assert talk_invitations
    for kind, subject, text in mails:
        assert "læringssamtale" not in (subject + text).lower(), (kind, subject)
        assert "Børn og Unges system" not in text
        assert "Afdelingen for dagtilbuds system" in text
    reminders = [(s, t) for k, s, t in mails if k == "followup_form_reminder"]
    assert all("kvalitetsdialog 1" in s for s, _ in reminders)
    # Albertslund's own data basis, not Aarhus's sentence about 1:1 ledelsesopfølgninger.
    assert all("Kvalitetsdialogen bygger på: den pædagogiske læreplan" in t for _, t in talk_invitations)


def test_times_are_written_in_the_framework_time_zone_and_old_rows_keep_the_standard_words():
    ctx = {"event": {"title": "Møde", "start": "2027-06-01T07:00:00+00:00", "end": "2027-06-01T09:00:00+00:00",
                     "kind": "one_to_one"}, "unit": None, "reason": "created"}
    org = {"name": "Børn og Unge", "email": "kvalitet@example.dk"}
    # An outbox row decided before the contexts carried words: the standard (Aarhus) words and zone.
    old = render("invitation", ctx, "a@example.dk", "A", org)
    assert "kl. 09.00–11.00" in old.text and "Børn og Unges system" in old.text
    ctx["words"] = {**render.__globals__["STANDARD_WORDS"], "timezone": "Atlantic/Reykjavik"}
    iceland = render("invitation", ctx, "a@example.dk", "A", org)
    assert "kl. 07.00–09.00" in iceland.text
