"""Youth input before talk 1 (schools and FU: it becomes data E of the talk) and a self-owned
daycare board's supervision report (the chief is told), through the links in their reminders."""

from __future__ import annotations

import datetime as dt

import httpx
import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH, FRAMEWORKS
from tests.portal.conftest import link_in
from tests.portal.test_statement import form_fields


def _first(url: str, kind: str) -> tuple[dt.date, str, str]:
    with engine_for(url).connect() as c:
        start, unit_id, uid = c.execute(sa.text("select start, unit_id, uid from event where kind=:k "
                                                "order by start, unit_id limit 1"), {"k": kind}).one()
    return dt.datetime.fromisoformat(str(start)).replace(tzinfo=dt.timezone.utc).astimezone(CPH).date(), unit_id, uid


def reminded(portal, deadline: str, days_before: int, path: str) -> tuple[str, str]:
    """Dispatch `days_before` the first deadline of its kind: (the link in its reminder, its uid)."""
    due, _, uid = _first(portal.db, deadline)
    portal.dispatch(dt.datetime.combine(due - dt.timedelta(days=days_before), dt.time(9, 0), CPH))
    reminder = [m for m in portal.mails(deadline.replace("_due", "_reminder")) if m["X-Kvalitetsloop-Event"] == uid]
    return link_in(reminder[0], path), uid


def test_a_supervision_report_reaches_the_chief(portal):
    link, uid = reminded(portal, "supervision_report_due", 21, "/tilsyn/")
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
        assert page.status_code == 200 and "Basistilsynet" in page.text and "Det pædagogiske tilsyn" in page.text
        half = client.post(link, data={**form_fields(page.text), "basic": "Alt er i orden."})
        assert half.status_code == 422 and "Kommunale retningslinjer" in half.text
        done = client.post(link, data={**form_fields(client.get(link).text), "basic": "Alt er i orden.",
                                       "guidelines": "Retningslinjerne følges.",
                                       "pedagogical": "Læreplanen er evalueret med forældrene."})
        assert done.status_code == 200 and "Tak – tilsynsafrapporteringen er modtaget" in done.text
    portal.dispatch(portal.clock.now + dt.timedelta(hours=1))
    told = [m for m in portal.mails("supervision_report_received") if m["X-Kvalitetsloop-Event"] == uid]
    assert len(told) == 1 and told[0]["To"].addresses[0].addr_spec.startswith("chief-")


def test_youth_input_becomes_data_e_of_talk_1(portal, tmp_path):
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases import forms, loops

    # The schools' loop (6-18) of the same organisation.
    loops.start_loop(unit_of_work_for(portal.db), FRAMEWORKS, "aarhus", "6-18", dt.date(2028, 4, 26),
                     dt.datetime(2027, 3, 1, 9, 0, tzinfo=CPH))
    link, uid = reminded(portal, "youth_input_due", 14, "/ungeinput/")
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(link)
        done = client.post(link, data={**form_fields(page.text), "text": "Elevrådet ønsker flere pauser udenfor."})
        assert done.status_code == 200 and "Tak – inputtet er registreret" in done.text
    with engine_for(portal.db).connect() as c:
        talk_uid, chief = c.execute(sa.text(
            "select t.uid, a.email from event y join event t on t.uid = y.parent_uid join attendee a "
            "on a.event_id = t.id and a.role='chief' where y.uid=:u"), {"u": uid}).one()
    basis = forms.talk_basis(unit_of_work_for(portal.db), chief, talk_uid)
    assert basis.basis[4][0] == "E" and basis.basis[4][2] == ["Elevrådet ønsker flere pauser udenfor."]
