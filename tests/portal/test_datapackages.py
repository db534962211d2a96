"""The data team's page: the link in the data-package request, the packages requested and not
ready per sector, marking one ready with a link or a PDF; the leader and the board are told,
and the arrival waits for the dispatch flow's Prefect event."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import sqlalchemy as sa

from storage.db import engine_for
from tests.notifications.conftest import CPH
from tests.portal.conftest import link_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fields(html: str) -> dict:
    return dict(re.findall(r'name="(form_id|csrf)" value="([^"]+)"', html)[:2])


def test_the_data_team_marks_packages_ready_from_its_page(portal):
    with engine_for(portal.db).connect() as c:
        details = c.execute(sa.text("select details from event where kind='data_package' and number=1 "
                                    "order by start limit 1")).scalar()
    trigger = dt.date.fromisoformat((details if isinstance(details, dict) else __import__("json").loads(details))
                                    ["trigger_date"])
    portal.dispatch(dt.datetime.combine(trigger, dt.time(9, 0), CPH))
    request = portal.mails("data_package_trigger", "data@aarhus.example.dk")[0]
    link = link_in(request, "/datapakker/")
    assert "Meld datapakker klar" in request.get_body(("plain",)).get_content()
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        assert page.status_code == 200 and "Bestilte datapakker, der ikke er meldt klar" in page.text
        assert "Dagtilbud (" in page.text
        uids = re.findall(r'action="/datapakker/[^/]+/([^"]+)"', page.text)
        assert len(uids) >= 2
        units = re.findall(r"Meld ([\w-]+) klar", page.text)
        # A link that is not one, and a file that is not a PDF: refused, nothing stored.
        bad = client.post(f"{link}/{uids[0]}", data={**fields(page.text), "url": "javascript:alert(1)"},
                          files={"file": ("", b"")})
        assert bad.status_code == 422 and "https://" in bad.text
        fake = client.post(f"{link}/{uids[0]}", data={**fields(page.text), "url": ""},
                           files={"file": ("pakke.pdf", b"<html>not a pdf</html>", "application/pdf")})
        assert fake.status_code == 422 and "ikke en PDF-fil" in fake.text
        ok = client.post(f"{link}/{uids[0]}", data={**fields(page.text), "url": "https://lis.example.dk/pakke/1"},
                         files={"file": ("", b"")})
        assert ok.status_code == 303
        up = client.post(f"{link}/{uids[1]}", data={**fields(page.text), "url": ""},
                         files={"file": ("pakke 2.pdf", PDF, "application/pdf")})
        assert up.status_code == 303
        after = client.get(link)
        assert f"Meld {units[0]} klar" not in after.text and f"Meld {units[1]} klar" not in after.text
    # The next dispatch tells the leader and the board, with the link or the download.
    portal.dispatch(portal.clock.now + dt.timedelta(hours=1))
    ready = portal.mails("data_package_ready", f"bestyrelse-{units[0]}@example.dk")
    assert len(ready) == 1 and "https://lis.example.dk/pakke/1" in ready[0].get_body(("plain",)).get_content()
    second = portal.mails("data_package_ready", f"bestyrelse-{units[1]}@example.dk")[0]
    download = re.search(r"http://127\.0\.0\.1:\d+/datapakke/[A-Za-z0-9_-]+", second.get_body(("plain",)).get_content())
    with httpx.Client(timeout=30) as client:
        got = client.get(download.group(0))
        assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    # The arrivals wait for the dispatch flow, which emits kvalitetsloop.data-package.ready for each.
    from kvalitetsloop.bootstrap import unit_of_work_for
    from kvalitetsloop.usecases.submissions import unannounced

    assert sorted(a.unit_id for a in unannounced(unit_of_work_for(portal.db))
                  if a.kind == "data_package_ready") == sorted(units[:2])
