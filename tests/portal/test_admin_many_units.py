"""The administration pages of a loop too big to list on a page (an organisation of 420 units, 240
daycares in the 0-6 loop, in its first year with nothing submitted: hundreds of overdue deadlines).
The overdue page shows the oldest 200, says how many there are and offers them all as CSV; the
status report's page and PDF give the summary form (the area and each chief) and its CSV every unit
and every overdue deadline. What a reader sees, over HTTP on a real port."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx
import pypdf
import pytest
import sqlalchemy as sa

from cycle.vocabulary import number
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.reports.model import SUMMARY_ABOVE_UNITS
from kvalitetsloop.reports.views import OVERDUE_SHOWN
from kvalitetsloop.usecases import loops, organisation
from kvalitetsloop.usecases.admins import add_user
from storage.db import engine_for
from tests.conftest import FRAMEWORKS
from tests.notifications.conftest import CPH, LOOP_ID, START, settings_for, small_org_csv
from tests.portal.conftest import Clock, serve
from tests.portal.test_admin import PASSWORD, USER, login

NOW = dt.datetime(2027, 12, 1, 10, 0, tzinfo=CPH)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    from notifications.mailsink import free_port
    from portal.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('many') / 'kvalitetsloop.sqlite'}"
    organisation.import_organisation(unit_of_work_for(url), small_org_csv(420, 20), START)
    loops.start_loop(unit_of_work_for(url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), START, past="held")
    add_user(unit_of_work_for(url), USER, PASSWORD, START)
    port = free_port()
    server, thread = serve(create_app(settings_for(1, database_url=url, base_url=f"http://127.0.0.1:{port}"),
                                      Clock(NOW)), port)
    try:
        with httpx.Client(timeout=120) as client:
            login(client, f"http://127.0.0.1:{port}")
            yield url, f"http://127.0.0.1:{port}/admin/loop/{LOOP_ID}", client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _overdue(url: str) -> list[tuple[str, int]]:
    """Every deadline passed by NOW (nothing was submitted): (unit, days overdue), as the database has them."""
    with engine_for(url).connect() as c:
        rows = c.execute(sa.text(
            "select unit_id, start from event where loop_id = :l and status != 'cancelled' and \"end\" <= :now and "
            "kind in ('data_package', 'board_statement_due', 'followup_form_due', 'youth_input_due', "
            "'supervision_report_due', 'report_back_due')"),
            {"l": LOOP_ID, "now": NOW.astimezone(dt.timezone.utc).replace(tzinfo=None)}).all()
    local = lambda v: dt.datetime.fromisoformat(str(v)).replace(tzinfo=dt.timezone.utc).astimezone(CPH)  # noqa: E731
    return [(u, (NOW.date() - local(s).date()).days) for u, s in rows]


def _units(url: str) -> int:
    with engine_for(url).connect() as c:
        return c.execute(sa.text("select count(distinct unit_id) from event where loop_id = :l"),
                         {"l": LOOP_ID}).scalar()


def test_the_overdue_page_lists_the_oldest_with_the_count_and_all_of_them_as_csv(many):
    url, loop, client = many
    overdue = _overdue(url)
    assert len(overdue) > OVERDUE_SHOWN
    page = client.get(f"{loop}/forsinket")
    assert page.status_code == 200
    assert f"{number(len(overdue))} frister er overskredet, de ældste først." in page.text
    assert f"Siden viser de {OVERDUE_SHOWN} ældste" in page.text
    assert f'href="/admin/loop/{LOOP_ID}/forsinket.csv"' in page.text
    body = page.text.split("<tbody>")[1]
    assert body.count("<tr>") == OVERDUE_SHOWN
    shown_days = [int(cells.split("</td>")[0]) for cells in body.split("<td>")[1:][4::5]]
    assert shown_days == sorted((d for _, d in overdue), reverse=True)[:OVERDUE_SHOWN]

    data = client.get(f"{loop}/forsinket.csv")
    assert data.headers["content-type"].startswith("text/csv") and "attachment" in data.headers["content-disposition"]
    rows = [r for r in csv.reader(io.StringIO(data.text)) if r and r[0] == "Forsinket"]
    assert sorted((r[1], int(r[6])) for r in rows) == sorted(overdue)


def test_the_status_report_of_many_units_is_a_summary_on_its_page_and_pdf_and_whole_in_its_csv(many):
    url, loop, client = many
    units, overdue = _units(url), _overdue(url)
    assert units > SUMMARY_ABOVE_UNITS
    page = client.get(f"{loop}/rapport/status")
    assert page.status_code == 200 and "Pr. chef" in page.text and "Området 0-6" in page.text
    assert f"Loopet har {number(units)} enheder og {number(len(overdue))} overskredne frister, så rapporten vises i kort form" \
        in page.text
    assert "<h2>Pr. enhed</h2>" not in page.text and "<h2>Forsinket</h2>" not in page.text
    chiefs = page.text.split("<h2>Pr. chef</h2>")[1].split("</table>")[0].count("<tr>") - 1
    assert 1 < chiefs <= 20

    pdf = client.get(f"{loop}/rapport/status?format=pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "kort form" in text and "Pr. chef" in text and len(reader.pages) <= 5

    data = client.get(f"{loop}/rapport/status?format=csv").text
    rows = list(csv.reader(io.StringIO(data)))
    assert len([r for r in rows if r and r[0] == "Pr. enhed"]) == units
    assert len([r for r in rows if r and r[0] == "Forsinket"]) == len(overdue)


def test_the_report_back_of_many_units_shows_the_areas_on_its_page(many):
    url, loop, client = many
    page = client.get(f"{loop}/rapport/report-back")
    assert page.status_code == 200
    assert "Samlet afrapportering for området: fokusområder pr. tema" in page.text
    assert f"{_units(url)} enheder. Med så mange enheder vises kun den samlede afrapportering her" in page.text
    assert "Intet registreret endnu." not in page.text and "<h3>" not in page.text
