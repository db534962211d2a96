"""The forms behind the links in reminders: the board's statement and the leader's follow-up form.

Each form is GET (the page), POST (store, then redirect: a reload never posts twice) and a
receipt page. The link's token is the only key; what a page shows comes from the use cases.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from cycle import kinds
from kvalitetsloop.usecases import forms
from portal.app import PortalDep, client_of
from portal.security import MAX_FORM_BYTES, cross_site

router = APIRouter()

STATEMENT = kinds.BOARD_STATEMENT.link
FOLLOWUP = kinds.FOLLOWUP_FORM.link


def _guard(portal, request: Request) -> HTMLResponse | None:
    """429 for a client that has tried too many unknown links this minute."""
    if portal.wrong_links.blocked(client_of(request)):
        return portal.page("refused.html", status=429, expired=False, contact={},
                           message="Der er prøvet for mange forkerte links fra din forbindelse. Vent et minut, "
                                   "og brug linket fra e-mailen igen.")
    return None


def _form_fields(portal, view: forms.LinkView) -> dict:
    form_id = portal.csrf.new_form_id()
    return {"form_id": form_id, "csrf": portal.csrf.token(view.token_hash, form_id)}


async def _posted(portal, request: Request, view: forms.LinkView, limit: int | None = None):
    """The posted form, if it passes the CSRF and cross-site checks; else a refusal page."""
    if limit is not None and int(request.headers.get("content-length") or 0) > limit:
        return None, portal.page("refused.html", status=413, expired=False, contact={},
                                 message="Det sendte er for stort.")
    if cross_site(request.headers, portal.settings.base_url):
        return None, portal.page("refused.html", status=403, expired=False, contact={},
                                 message="Formularen kan kun sendes fra kvalitetsloops egen side.")
    data = await request.form(max_files=1, max_fields=200)
    if not portal.csrf.valid(view.token_hash, data.get("form_id"), data.get("csrf")):
        return None, portal.page("refused.html", status=403, expired=False, contact={},
                                 message="Formularen er for gammel eller ikke sendt fra denne side. Åbn linket fra "
                                         "e-mailen igen, og send den på ny.")
    return data, None


def _send_now(portal, background: BackgroundTasks, ids: list[int]) -> None:
    """Send the emails a submission decided right after the answer (the outbox keeps them, so
    the next dispatch sends them if this fails)."""
    if not ids:
        return

    def send() -> None:
        from kvalitetsloop.usecases import dispatch
        from notifications.transport import YagTransport

        try:
            dispatch.send(portal.uow(), portal.clock(), portal.settings, YagTransport.from_settings(portal.settings),
                          wall=lambda: dt.datetime.now(dt.timezone.utc), only=ids)
        except Exception:  # noqa: BLE001 - the rows wait in the outbox for the next dispatch
            pass

    background.add_task(send)


# -- the board's statement ---------------------------------------------------------------------

@router.get("/udtalelse/{token}", response_class=HTMLResponse)
def statement_page(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    view = forms.open_link(portal.uow(), token, STATEMENT, portal.clock())
    return portal.page("statement.html", token_path=token, v=view, w=view.words, problems={}, text=view.latest.text if view.latest else "",
                       **_form_fields(portal, view))


@router.post("/udtalelse/{token}", response_class=HTMLResponse)
async def statement_post(token: str, request: Request, portal: PortalDep, background: BackgroundTasks):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    now = portal.clock()
    view = forms.open_link(portal.uow(), token, STATEMENT, now)
    data, refusal = await _posted(portal, request, view)
    if refusal is not None:
        return refusal
    upload = data.get("pdf")
    attachment = None
    if upload is not None and hasattr(upload, "read") and upload.filename:
        attachment = (upload.filename, await upload.read(forms.MAX_PDF_BYTES + 1))
    try:
        receipt = forms.submit_statement(portal.uow(), token, data.get("text"), attachment, now,
                                         portal.settings.message_id_domain, form_id=data.get("form_id"))
    except forms.FormRejected as exc:
        return portal.page("statement.html", status=422, token_path=token, v=view, w=view.words, problems=exc.problems,
                           text=forms.clean_text(data.get("text"), forms.MAX_TEXT), **_form_fields(portal, view))
    _send_now(portal, background, receipt.outbox_ids)
    return RedirectResponse(f"/udtalelse/{token}/kvittering", status_code=303)


@router.get("/udtalelse/{token}/kvittering", response_class=HTMLResponse)
def statement_receipt(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    view = forms.open_link(portal.uow(), token, STATEMENT, portal.clock())
    if view.latest is None:
        return RedirectResponse(f"/udtalelse/{token}", status_code=303)
    return portal.page("statement_receipt.html", token_path=token, v=view, w=view.words)


# -- the leader's follow-up form ----------------------------------------------------------------

@router.get("/opfoelgning/{token}", response_class=HTMLResponse)
def followup_page(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    view = forms.open_link(portal.uow(), token, FOLLOWUP, portal.clock())
    form = dict(view.latest.form) if view.latest else {}
    return portal.page("followup.html", token_path=token, v=view, w=view.words, problems={}, form=form, labels=forms.FIELD_LABELS,
                       **_form_fields(portal, view))


@router.post("/opfoelgning/{token}", response_class=HTMLResponse)
async def followup_post(token: str, request: Request, portal: PortalDep, background: BackgroundTasks):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    now = portal.clock()
    view = forms.open_link(portal.uow(), token, FOLLOWUP, now)
    data, refusal = await _posted(portal, request, view, limit=MAX_FORM_BYTES)
    if refusal is not None:
        return refusal
    answers = {name: data.get(name) for name in (*forms.CIRCLE_FIELDS, "children_perspective", "how_it_went")}
    answers["focus_theme"] = data.getlist("focus_theme")[:forms.MAX_FOCUS_AREAS + 1]
    answers["focus_title"] = data.getlist("focus_title")[:forms.MAX_FOCUS_AREAS + 1]
    try:
        receipt = forms.submit_followup(portal.uow(), token, answers, now, portal.settings.message_id_domain,
                                        form_id=data.get("form_id"))
    except forms.FormRejected as exc:
        form = {k: forms.clean_text(v, forms.MAX_FIELD) for k, v in answers.items() if isinstance(v, str)}
        form["focus_areas"] = [{"theme": t, "title": forms.clean_text(x, 400)}
                               for t, x in zip(answers["focus_theme"], answers["focus_title"])]
        return portal.page("followup.html", status=422, token_path=token, v=view, w=view.words, problems=exc.problems, form=form,
                           labels=forms.FIELD_LABELS, **_form_fields(portal, view))
    _send_now(portal, background, receipt.outbox_ids)
    return RedirectResponse(f"/opfoelgning/{token}/kvittering", status_code=303)


@router.get("/opfoelgning/{token}/kvittering", response_class=HTMLResponse)
def followup_receipt(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    view = forms.open_link(portal.uow(), token, FOLLOWUP, portal.clock())
    if view.latest is None:
        return RedirectResponse(f"/opfoelgning/{token}", status_code=303)
    return portal.page("followup_receipt.html", token_path=token, v=view, w=view.words, labels=forms.FIELD_LABELS)


# -- youth input (schools and FU, before talk 1) and the supervision report (self-owned daycares) --

YOUTH = kinds.YOUTH_INPUT.link
SUPERVISION = kinds.SUPERVISION_REPORT.link


def _receipt_or_form(portal, token: str, purpose: str, template: str, path: str):
    view = forms.open_link(portal.uow(), token, purpose, portal.clock())
    if view.latest is None:
        return RedirectResponse(f"{path}/{token}", status_code=303)
    return portal.page(template, token_path=token, v=view, w=view.words, receipt=True, problems={},
                       form=view.latest.form, sections=forms.SUPERVISION_SECTIONS)


@router.get("/ungeinput/{token}", response_class=HTMLResponse)
def youth_page(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    view = forms.open_link(portal.uow(), token, YOUTH, portal.clock())
    return portal.page("youth.html", token_path=token, v=view, w=view.words, problems={}, receipt=False,
                       form=view.latest.form if view.latest else {}, **_form_fields(portal, view))


@router.post("/ungeinput/{token}", response_class=HTMLResponse)
async def youth_post(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    now = portal.clock()
    view = forms.open_link(portal.uow(), token, YOUTH, now)
    data, refusal = await _posted(portal, request, view, limit=MAX_FORM_BYTES)
    if refusal is not None:
        return refusal
    try:
        forms.submit_youth_input(portal.uow(), token, data.get("text"), now, form_id=data.get("form_id"))
    except forms.FormRejected as exc:
        return portal.page("youth.html", status=422, token_path=token, v=view, w=view.words, problems=exc.problems,
                           receipt=False, form={"text": forms.clean_text(data.get("text"), forms.MAX_TEXT)},
                           **_form_fields(portal, view))
    return RedirectResponse(f"/ungeinput/{token}/kvittering", status_code=303)


@router.get("/ungeinput/{token}/kvittering", response_class=HTMLResponse)
def youth_receipt(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    return _receipt_or_form(portal, token, YOUTH, "youth.html", "/ungeinput")


@router.get("/tilsyn/{token}", response_class=HTMLResponse)
def supervision_page(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    view = forms.open_link(portal.uow(), token, SUPERVISION, portal.clock())
    return portal.page("supervision.html", token_path=token, v=view, w=view.words, problems={}, receipt=False,
                       form=view.latest.form if view.latest else {}, sections=forms.SUPERVISION_SECTIONS,
                       **_form_fields(portal, view))


@router.post("/tilsyn/{token}", response_class=HTMLResponse)
async def supervision_post(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    now = portal.clock()
    view = forms.open_link(portal.uow(), token, SUPERVISION, now)
    data, refusal = await _posted(portal, request, view)
    if refusal is not None:
        return refusal
    upload = data.get("pdf")
    attachment = None
    if upload is not None and hasattr(upload, "read") and upload.filename:
        attachment = (upload.filename, await upload.read(forms.MAX_PDF_BYTES + 1))
    sections = {key: data.get(key) for key, _ in forms.SUPERVISION_SECTIONS}
    try:
        forms.submit_supervision(portal.uow(), token, sections, attachment, now, form_id=data.get("form_id"))
    except forms.FormRejected as exc:
        return portal.page("supervision.html", status=422, token_path=token, v=view, w=view.words,
                           problems=exc.problems, receipt=False, sections=forms.SUPERVISION_SECTIONS,
                           form={k: forms.clean_text(v, forms.MAX_TEXT) for k, v in sections.items()},
                           **_form_fields(portal, view))
    return RedirectResponse(f"/tilsyn/{token}/kvittering", status_code=303)


@router.get("/tilsyn/{token}/kvittering", response_class=HTMLResponse)
def supervision_receipt(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    return _receipt_or_form(portal, token, SUPERVISION, "supervision.html", "/tilsyn")
