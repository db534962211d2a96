"""The forms behind the links in reminders: the board's statement, the leader's follow-up form,
youth input and the supervision report.

Each form is GET (the page), POST (store, then redirect: a reload never posts twice) and a
receipt page, made from one table of form pages. The link's token is the only key; what a page
shows comes from the use cases (kvalitetsloop.usecases.forms).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cycle import kinds
from kvalitetsloop.usecases import forms, supervision
from portal.app import PortalDep, client_of
from portal.security import MAX_FORM_BYTES, cross_site

router = APIRouter()


@dataclass(frozen=True)
class FormPage:
    """One form behind a link: where it lives, its templates, what it reads from a post."""

    purpose: str
    path: str
    template: str
    receipt_template: str
    # (portal, token, posted form, attachment, now, form id) -> Receipt
    submit: Callable
    # The posted fields to show again when the post is refused.
    refill: Callable[[object], dict]
    # Takes a PDF (a bigger body); the others are small forms.
    files: bool = False
    # (portal, view) -> more values for the template (what the page shows besides the form).
    extra: Callable | None = None


def _guard(portal, request: Request) -> HTMLResponse | None:
    """429 for a client that has tried too many unknown links this minute."""
    if portal.wrong_links.blocked(client_of(request)):
        return portal.page("refused.html", status=429, expired=False, contact={},
                           message="Der er prøvet for mange forkerte links fra din forbindelse. Vent et minut, "
                                   "og brug linket fra e-mailen igen.")
    return None


def _refused(portal, status: int, message: str) -> HTMLResponse:
    return portal.page("refused.html", status=status, expired=False, contact={}, message=message)


CROSS_SITE = "Formularen kan kun sendes fra kvalitetsloops egen side."
STALE_FORM = ("Formularen er for gammel eller ikke sendt fra denne side. Åbn linket fra e-mailen igen, og send "
              "den på ny.")


async def posted_form(portal, request: Request, scope_id: str, limit: int | None = None):
    """The posted form, if it passes the size, cross-site and CSRF checks; else a refusal page."""
    if limit is not None and int(request.headers.get("content-length") or 0) > limit:
        return None, _refused(portal, 413, "Det sendte er for stort.")
    if cross_site(request.headers, portal.settings.base_url):
        return None, _refused(portal, 403, CROSS_SITE)
    data = await request.form(max_files=1, max_fields=200)
    if not portal.csrf.valid(scope_id, data.get("form_id"), data.get("csrf")):
        return None, _refused(portal, 403, STALE_FORM)
    return data, None


async def uploaded(data, name: str) -> tuple[str, bytes] | None:
    """The file posted in field `name` (read up to one byte over the limit), or None."""
    upload = data.get(name)
    if upload is None or not hasattr(upload, "read") or not upload.filename:
        return None
    return upload.filename, await upload.read(forms.MAX_PDF_BYTES + 1)


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


def _values(portal, page: FormPage, token: str, view: forms.LinkView, form: dict) -> dict:
    form_id = portal.csrf.new_form_id()
    return {"token_path": token, "v": view, "w": view.words, "form": form, "labels": forms.FIELD_LABELS,
            "sections": forms.SUPERVISION_SECTIONS, "receipt": False, "problems": {}, "form_id": form_id,
            "csrf": portal.csrf.token(view.token_hash, form_id), **(page.extra(portal, view) if page.extra else {})}


def _routes(page: FormPage) -> None:
    async def show(token: str, request: Request, portal: PortalDep):
        if (blocked := _guard(portal, request)) is not None:
            return blocked
        view = forms.open_link(portal.uow(), token, page.purpose, portal.clock())
        return portal.page(page.template, **_values(portal, page, token, view,
                                                    dict(view.latest.form) if view.latest else {}))

    async def post(token: str, request: Request, portal: PortalDep, background: BackgroundTasks):
        if (blocked := _guard(portal, request)) is not None:
            return blocked
        now = portal.clock()
        view = forms.open_link(portal.uow(), token, page.purpose, now)
        data, refusal = await posted_form(portal, request, view.token_hash, None if page.files else MAX_FORM_BYTES)
        if refusal is not None:
            return refusal
        attachment = await uploaded(data, "pdf") if page.files else None
        try:
            receipt = page.submit(portal, token, data, attachment, now, data.get("form_id"))
        except forms.FormRejected as exc:
            values = _values(portal, page, token, view, page.refill(data))
            values["problems"] = exc.problems
            return portal.page(page.template, status=422, **values)
        _send_now(portal, background, receipt.outbox_ids)
        return RedirectResponse(f"{page.path}/{token}/kvittering", status_code=303)

    async def receipt(token: str, request: Request, portal: PortalDep):
        if (blocked := _guard(portal, request)) is not None:
            return blocked
        view = forms.open_link(portal.uow(), token, page.purpose, portal.clock())
        if view.latest is None:
            return RedirectResponse(f"{page.path}/{token}", status_code=303)
        values = _values(portal, page, token, view, dict(view.latest.form))
        values["receipt"] = True
        return portal.page(page.receipt_template, **values)

    router.add_api_route(f"{page.path}/{{token}}", show, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(f"{page.path}/{{token}}", post, methods=["POST"], response_class=HTMLResponse)
    router.add_api_route(f"{page.path}/{{token}}/kvittering", receipt, methods=["GET"], response_class=HTMLResponse)


def _text(data) -> dict:
    return {"text": forms.clean_text(data.get("text"), forms.MAX_TEXT)}


FOLLOWUP_FIELDS = (*forms.CIRCLE_FIELDS, "children_perspective", "how_it_went")


def _followup_answers(data) -> dict:
    answers = {name: data.get(name) for name in FOLLOWUP_FIELDS}
    answers["focus_theme"] = data.getlist("focus_theme")[:forms.MAX_FOCUS_AREAS + 1]
    answers["focus_title"] = data.getlist("focus_title")[:forms.MAX_FOCUS_AREAS + 1]
    return answers


def _followup_refill(data) -> dict:
    answers = _followup_answers(data)
    form = {k: forms.clean_text(v, forms.MAX_FIELD) for k, v in answers.items() if isinstance(v, str)}
    form["focus_areas"] = [{"theme": t, "title": forms.clean_text(x, 400)}
                           for t, x in zip(answers["focus_theme"], answers["focus_title"])]
    return form


def _sections(data) -> dict:
    return {key: data.get(key) for key, _ in forms.SUPERVISION_SECTIONS}


ANSWER_FIELDS = ("needed", "date", "time")


def _answer(data) -> dict:
    return {name: forms.clean_text(data.get(name), 20) for name in ANSWER_FIELDS}


PAGES = (
    FormPage(kinds.BOARD_STATEMENT.link, "/udtalelse", "statement.html", "statement_receipt.html",
             lambda p, token, data, pdf, now, fid: forms.submit_statement(
                 p.uow(), token, data.get("text"), pdf, now, p.settings.message_id_domain, form_id=fid),
             _text, files=True),
    FormPage(kinds.FOLLOWUP_FORM.link, "/opfoelgning", "followup.html", "followup_receipt.html",
             lambda p, token, data, pdf, now, fid: forms.submit_followup(
                 p.uow(), token, _followup_answers(data), now, p.settings.message_id_domain, form_id=fid),
             _followup_refill),
    FormPage(kinds.YOUTH_INPUT.link, "/ungeinput", "youth.html", "youth.html",
             lambda p, token, data, pdf, now, fid: forms.submit_youth_input(
                 p.uow(), token, data.get("text"), now, form_id=fid),
             _text),
    FormPage(kinds.SUPERVISION_REPORT.link, "/tilsyn", "supervision.html", "supervision.html",
             lambda p, token, data, pdf, now, fid: forms.submit_supervision(
                 p.uow(), token, _sections(data), pdf, now, form_id=fid),
             lambda data: {k: forms.clean_text(v, forms.MAX_TEXT) for k, v in _sections(data).items()}, files=True),
    # The chief reads the board's supervision report and answers whether a follow-up meeting is
    # needed (the link in the notice of its arrival); the page shows the report (`form`).
    FormPage(kinds.SUPERVISION_REPORT.answer_link, "/tilsynsopfoelgning", "supervision_answer.html",
             "supervision_answer.html",
             lambda p, token, data, pdf, now, fid: supervision.answer_by_link(
                 p.uow(), p.settings.frameworks_dir, token, _answer(data), now, form_id=fid),
             _answer, extra=lambda p, view: {"answer": supervision.answer_page(p.uow(), view)}),
)
for _page in PAGES:
    _routes(_page)


@router.post("/udtalelse/{token}/valg", response_class=HTMLResponse)
async def choose_participation(token: str, request: Request, portal: PortalDep):
    """The board's choice between a written statement and attending the talk, on its statement
    page; back to the page, which then shows the statement form or the attendance."""
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    now = portal.clock()
    view = forms.open_link(portal.uow(), token, kinds.BOARD_STATEMENT.link, now)
    data, refusal = await posted_form(portal, request, view.token_hash, MAX_FORM_BYTES)
    if refusal is not None:
        return refusal
    try:
        forms.choose_by_link(portal.uow(), portal.settings.frameworks_dir, token, data.get("choice") or "", now)
    except forms.FormRejected as exc:
        values = _values(portal, PAGES[0], token, view, {})
        values["problems"] = exc.problems
        return portal.page(PAGES[0].template, status=422, **values)
    return RedirectResponse(f"/udtalelse/{token}", status_code=303)


def pdf_by_link(portal, request: Request, token: str, read) -> Response:
    """A PDF behind a link: `read(uow, token, now)` gives (file name, bytes) or refuses the link."""
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    name, data = read(portal.uow(), token, portal.clock())
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/tilsynsopfoelgning/{token}/bilag")
def supervision_attachment(token: str, request: Request, portal: PortalDep):
    """The PDF the board attached to its supervision report, for the chief (through the chief's link)."""
    return pdf_by_link(portal, request, token, forms.report_attachment)
