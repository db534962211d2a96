"""The leader's follow-up form after a talk (the learning circle): after talk 1 the focus areas,
each within a theme, and the decision on the children's perspective; it goes to the board; at
talk 2 the form shows what was decided last time."""

from __future__ import annotations

import datetime as dt

import httpx
import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH
from tests.portal.conftest import link_in
from tests.portal.test_statement import form_fields


def _followup_reminder(portal, number: int, unit: str | None = None) -> tuple[str, str]:
    """Dispatch the day after the first talk `number` (of `unit`): the link in its leader's
    reminder, and the unit."""
    with engine_for(portal.db).connect() as c:
        start, unit_id, uid = c.execute(sa.text(
            "select t.start, t.unit_id, f.uid from event t join event f on f.parent_uid = t.uid "
            "and f.kind='followup_form_due' where t.kind='learning_talk' and t.number=:n "
            "and (:u is null or t.unit_id = :u) order by t.start, t.unit_id limit 1"), {"n": number, "u": unit}).one()
    talk_day = dt.datetime.fromisoformat(str(start)).replace(tzinfo=dt.timezone.utc).astimezone(CPH).date()
    portal.dispatch(dt.datetime.combine(talk_day + dt.timedelta(days=1), dt.time(9, 0), CPH))
    mails = [m for m in portal.mails("followup_form_reminder") if m["X-Kvalitetsloop-Event"] == uid]
    assert len(mails) == 1
    return link_in(mails[0], "/opfoelgning/"), unit_id


def test_after_talk_1_the_leader_records_focus_areas_and_the_board_gets_them(portal):
    from storage.db import engine_for as _e

    with _e(portal.db).begin() as c:  # the loop's themes, as `loop start --theme` records them
        c.execute(sa.text("update loop set themes = :t"), {"t": '["Sprog og kommunikation", "Trivsel og fællesskaber"]'})
    link, unit_id = _followup_reminder(portal, 1)
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
        assert page.status_code == 200 and "Tilbuddets lokale fokusområder" in page.text
        assert "Sprog og kommunikation" in page.text
        data = {**form_fields(page.text), "focus_title": ["Flere samtaler med de 3-årige", "Gode overgange"],
                "focus_theme": ["Sprog og kommunikation", "Trivsel og fællesskaber"],
                "children_perspective": "Børnene interviewes i små grupper før hver samtale.",
                "decisions": "Vi arbejder med sprog i alle stuer.", "next_steps": "Sprogstimulering på stuemøder."}
        missing = client.post(link, data={**data, "children_perspective": ""})
        assert missing.status_code == 422 and "børnenes perspektiv" in missing.text
        wrong = client.post(link, data={**form_fields(page.text), **{k: v for k, v in data.items()
                                                                     if k not in ("form_id", "csrf")},
                                        "focus_theme": ["Et andet tema", "Trivsel og fællesskaber"]})
        assert wrong.status_code == 422 and "skal høre til et af loopets temaer" in wrong.text
        done = client.post(link, data={**data, **form_fields(client.get(link).text)})
        assert done.status_code == 200 and "Tak – opfølgningen er registreret" in done.text
    portal.dispatch(portal.clock.now + dt.timedelta(minutes=5))
    board = f"bestyrelse-{unit_id}@example.dk"
    to_board = portal.mails("followup_form_to_board", board)
    assert len(to_board) == 1
    body = to_board[0].get_body(("plain",)).get_content()
    assert "Flere samtaler med de 3-årige (tema: Sprog og kommunikation)" in body
    assert "Børnene interviewes i små grupper" in body
    with engine_for(portal.db).connect() as c:
        assert c.execute(sa.text("select count(*) from submission where kind='followup_form'")).scalar() == 1

    # At talk 2 the form shows what was decided at talk 1 and asks how it went.
    link2, _ = _followup_reminder(portal, 2, unit_id)
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link2)
        assert "Det blev besluttet ved læringssamtale 1" in page.text
        assert "Vi arbejder med sprog i alle stuer." in page.text and "Sådan er det gået siden sidst" in page.text
        assert "Flere samtaler med de 3-årige" in page.text
        done = client.post(link2, data={**form_fields(page.text), "how_it_went": "Godt; sproget er blevet bedre.",
                                        "decisions": "Vi fortsætter."})
        assert done.status_code == 200 and "Godt; sproget er blevet bedre." in done.text
