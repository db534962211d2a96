"""The data team's page: the data packages requested and not ready, per sector and due date;
marking one ready with a link or an uploaded PDF. And the download of an uploaded package."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kvalitetsloop.usecases import datapackages, forms
from notifications import links
from portal.app import PortalDep
from portal.routes_forms import _guard, pdf_by_link, posted_form, uploaded

router = APIRouter()


def _page(portal, token: str, status: int = 200, problems: dict | None = None, failed_uid: str = "",
          done: str = ""):
    packages = datapackages.requested(portal.uow(), token, portal.clock())
    form_id = portal.csrf.new_form_id()
    groups: dict[str, list] = {}
    for p in packages:
        groups.setdefault(p.sector_label, []).append(p)
    return portal.page("datateam.html", status=status, token_path=token, groups=groups, problems=problems or {},
                       failed_uid=failed_uid, done=done, form_id=form_id,
                       csrf=portal.csrf.token(links.token_hash(token), form_id))


@router.get("/datapakker/{token}", response_class=HTMLResponse)
def data_team(token: str, request: Request, portal: PortalDep, klar: str = ""):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    return _page(portal, token, done=klar[:200])


@router.post("/datapakker/{token}/{event_uid}", response_class=HTMLResponse)
async def mark_ready(token: str, event_uid: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    data, refusal = await posted_form(portal, request, links.token_hash(token))
    if refusal is not None:
        return refusal
    attachment = await uploaded(data, "file")
    try:
        row = datapackages.mark_ready(portal.uow(), token, event_uid, data.get("url"), attachment, portal.clock(),
                                      portal.settings.base_url)
    except forms.FormRejected as exc:
        return _page(portal, token, status=422, problems=exc.problems, failed_uid=event_uid)
    return RedirectResponse(f"/datapakker/{token}?klar={row.unit_id}-{row.number}", status_code=303)


@router.get("/datapakke/{token}")
def package_file(token: str, request: Request, portal: PortalDep):
    return pdf_by_link(portal, request, token, datapackages.package_file)
