"""The administration pages (/admin): behind a login, Danish, no scripts.

Loops; one loop (its phase, what is next, the chiefs); the overdue list; a unit's two years; a
chief's view; the reports (HTML on the page, CSV and PDF to download); the outbox with retry and
give-up. Every page reads through the use cases with the portal's clock as `now`.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from cycle.framework import FrameworkError
from kvalitetsloop.errors import NotFound, UserError
from portal.admin_auth import COOKIE, PRELOGIN, AdminSession, LoginLimit, Sessions
from portal.app import PortalDep, client_of
from portal.comparisons import WAIT_SECONDS
from portal.security import MAX_FORM_BYTES, cross_site

router = APIRouter(prefix="/admin")

REPORT_TITLES = {"status": "Status", "meeting-cost": "Mødetid", "committee": "Oversigt til udvalget",
                 "report-back": "Afrapportering"}
OUTBOX_LABELS = {"pending": "venter", "sending": "sendes", "sent": "sendt", "failed": "fejlet",
                 "given_up": "opgivet"}


class NotLoggedIn(Exception):
    def __init__(self, target: str):
        self.target = target


def install(app: FastAPI) -> None:
    portal = app.state.portal
    app.state.admin_sessions = Sessions(portal.settings.link_secret)
    app.state.admin_logins = LoginLimit()
    app.include_router(router)
    from portal import routes_admin_org

    app.include_router(routes_admin_org.router)

    @app.exception_handler(NotLoggedIn)
    async def to_login(request: Request, exc: NotLoggedIn):
        return RedirectResponse("/admin/login?" + urllib.parse.urlencode({"next": exc.target}), status_code=303)


def _sessions(request: Request) -> Sessions:
    return request.app.state.admin_sessions


def _session(portal, request: Request) -> AdminSession:
    s = _sessions(request).read(request.cookies.get(COOKIE), portal.clock().timestamp())
    if s is None:
        raise NotLoggedIn(request.url.path)
    return s


def _page(portal, request: Request, session: AdminSession, name: str, status: int = 200, **values) -> HTMLResponse:
    form_id = secrets.token_urlsafe(16)
    values.update(user=session.username, form_id=form_id, csrf=_sessions(request).csrf(session.nonce, form_id))
    return portal.page(f"admin/{name}", status=status, **values)


def _refused(portal, status: int, message: str) -> HTMLResponse:
    return portal.page("admin/refused.html", status=status, message=message)


def _secure(portal) -> bool:
    return portal.settings.base_url.startswith("https://")


async def _posted(portal, request: Request, nonce: str, limit: int = MAX_FORM_BYTES, files: int = 0):
    """The posted form if it passes the size, cross-site and CSRF checks; else a refusal page.
    A form with a file (`files`) may be as big as the portal takes any body (`limit`)."""
    if int(request.headers.get("content-length") or 0) > limit:
        return None, _refused(portal, 413, "Det sendte er for stort.")
    if cross_site(request.headers, portal.settings.base_url):
        return None, _refused(portal, 403, "Formularen kan kun sendes fra kvalitetsloops egen side.")
    data = await request.form(max_files=files, max_fields=20, max_part_size=limit)
    if not _sessions(request).csrf_valid(nonce, data.get("form_id"), data.get("csrf")):
        return None, _refused(portal, 403, "Formularen er for gammel eller ikke sendt fra denne side. Åbn siden igen.")
    return data, None


async def _form(portal, request: Request):
    """The logged-in session and its posted form (size, cross-site and CSRF checked): (session,
    form, refusal page or None)."""
    session = _session(portal, request)
    data, refusal = await _posted(portal, request, session.nonce)
    return session, data, refusal


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect.
    if not target or not target.startswith("/admin") or target.startswith("//") or "\\" in target:
        return "/admin"
    return target


# -- login ------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, portal: PortalDep, next: str = "/admin", problem: str = ""):
    nonce = request.cookies.get(PRELOGIN) or secrets.token_urlsafe(16)
    form_id = secrets.token_urlsafe(16)
    resp = portal.page("admin/login.html", next=_safe_next(next), form_id=form_id,
                       csrf=_sessions(request).csrf(nonce, form_id), problem=problem)
    resp.set_cookie(PRELOGIN, nonce, httponly=True, samesite="strict", secure=_secure(portal), path="/admin")
    return resp


@router.post("/login")
async def login(request: Request, portal: PortalDep):
    from kvalitetsloop.usecases.admins import check_login

    nonce = request.cookies.get(PRELOGIN) or ""
    data, refusal = await _posted(portal, request, nonce)
    if refusal:
        return refusal
    username = str(data.get("username") or "").strip().lower()[:254]
    limit = request.app.state.admin_logins
    keys = (f"client:{client_of(request)}", f"user:{username}")
    if limit.blocked(*keys):
        return _refused(portal, 429, "For mange forkerte forsøg på at logge ind. Vent et kvarter, og prøv igen.")
    name = check_login(portal.uow(), username, str(data.get("password") or ""))
    target = _safe_next(str(data.get("next") or ""))
    if name is None:
        limit.failed(*keys)
        form_id = secrets.token_urlsafe(16)
        return portal.page("admin/login.html", status=401, next=target, form_id=form_id,
                           csrf=_sessions(request).csrf(nonce, form_id),
                           problem="Brugernavnet eller adgangskoden er forkert.")
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, _sessions(request).issue(name, portal.clock().timestamp()), httponly=True,
                    samesite="strict", secure=_secure(portal), path="/admin",
                    max_age=_sessions(request).lifetime)
    resp.delete_cookie(PRELOGIN, path="/admin")
    return resp


@router.post("/logout")
async def logout(request: Request, portal: PortalDep):
    session = _session(portal, request)
    data, refusal = await _posted(portal, request, session.nonce)
    if refusal:
        return refusal
    resp = RedirectResponse("/admin/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/admin")
    return resp


# -- loops ------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def loops(request: Request, portal: PortalDep):
    from kvalitetsloop.usecases.loops import list_loops
    from kvalitetsloop.usecases.progress import loops_progress

    session = _session(portal, request)
    now = portal.clock()
    progress = {p.loop_id: p for p in loops_progress(portal.uow(), now)}
    return _page(portal, request, session, "loops.html", loops=list_loops(portal.uow()), progress=progress)


@router.get("/loop/{loop_id}", response_class=HTMLResponse)
def loop(request: Request, portal: PortalDep, loop_id: str):
    from kvalitetsloop.reports.views import loop_page

    session = _session(portal, request)
    try:
        view = loop_page(portal.uow(), loop_id, portal.clock())
    except NotFound:
        return _refused(portal, 404, "Loopet findes ikke.")
    from kvalitetsloop.reports.build import kinds_of
    from kvalitetsloop.usecases.loop_changes import units_outside

    reports = {k: t for k, t in REPORT_TITLES.items() if k in kinds_of(view.facts.fw)}
    return _page(portal, request, session, "loop.html", view=view, f=view.facts, reports=reports,
                 outside=units_outside(portal.uow(), loop_id, portal.clock()))


def _loop_page(portal, request: Request, loop_id: str, template: str, make, missing: str) -> HTMLResponse:
    """A page about one loop: `make(uow, loop_id, now)` gives the page's view (with its facts),
    or None (404 with `missing`)."""
    session = _session(portal, request)
    try:
        view = make(portal.uow(), loop_id, portal.clock())
    except NotFound:
        return _refused(portal, 404, "Loopet findes ikke.")
    if view is None:
        return _refused(portal, 404, missing)
    return _page(portal, request, session, template, f=view.facts, view=view)


@router.get("/loop/{loop_id}/forsinket", response_class=HTMLResponse)
def overdue(request: Request, portal: PortalDep, loop_id: str):
    from kvalitetsloop.reports.views import overdue_page

    return _loop_page(portal, request, loop_id, "overdue.html", overdue_page, "")


@router.get("/loop/{loop_id}/forsinket.csv")
def overdue_csv(request: Request, portal: PortalDep, loop_id: str):
    from kvalitetsloop.reports.render import to_csv
    from kvalitetsloop.reports.status import overdue_report
    from kvalitetsloop.reports.views import overdue_page

    _session(portal, request)
    try:
        view = overdue_page(portal.uow(), loop_id, portal.clock(), limit=None)
    except NotFound:
        return _refused(portal, 404, "Loopet findes ikke.")
    rep = overdue_report(view.facts, view.overdue, portal.clock().astimezone(view.facts.tz))
    name = f"forsinket-{loop_id}-{rep.made_at.date().isoformat()}.csv"
    return Response(to_csv(rep).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/loop/{loop_id}/enhed/{unit_id}", response_class=HTMLResponse)
def unit(request: Request, portal: PortalDep, loop_id: str, unit_id: str):
    from kvalitetsloop.reports.views import unit_page

    return _loop_page(portal, request, loop_id, "unit.html", lambda uow, l, now: unit_page(uow, l, now, unit_id),
                      "Enheden findes ikke.")


@router.get("/loop/{loop_id}/chef/{email}", response_class=HTMLResponse)
def chief(request: Request, portal: PortalDep, loop_id: str, email: str):
    from kvalitetsloop.reports.views import chief_page

    return _loop_page(portal, request, loop_id, "chief.html", lambda uow, l, now: chief_page(uow, l, now, email),
                      "Chefen har ingen enheder i loopet.")


def _comparison(portal, loop_id: str, other: str, wait: float | None):
    """The loop's meeting hours compared under the framework `other`, made beside the request
    (portal.comparisons); None while it is being made. A download (`wait` None) waits for it."""
    from kvalitetsloop.reports.compare import compare_frameworks, comparison_state

    key = (loop_id, other, comparison_state(portal.uow(), portal.settings.frameworks_dir, other))
    now = portal.clock()
    return portal.comparisons.ask(
        key, lambda: compare_frameworks(portal.uow(), portal.settings.frameworks_dir, loop_id, other, now),
        wait=3600 if wait is None else wait)


@router.get("/loop/{loop_id}/rapport/{kind}")
def report(request: Request, portal: PortalDep, loop_id: str, kind: str, format: str = "html",
           sammenlign: str | None = None):
    from kvalitetsloop.reports.build import NotInFramework, build_report
    from kvalitetsloop.reports.render import body_html, render

    session = _session(portal, request)
    if kind not in REPORT_TITLES or format not in ("html", "csv", "pdf"):
        return _refused(portal, 404, "Rapporten findes ikke.")
    try:
        if kind == "meeting-cost" and sammenlign:
            # Only a framework shipped in frameworks/ by its name: never a path from the web.
            if not re.fullmatch(r"[a-z0-9_-]{1,64}", sammenlign):
                return _refused(portal, 404, "Rammen findes ikke.")
            rep = _comparison(portal, loop_id, sammenlign, wait=WAIT_SECONDS if format == "html" else None)
            if rep is None:
                return _page(portal, request, session, "report.html", loop_id=loop_id, kind=kind,
                             title=REPORT_TITLES[kind], body="", compare=sammenlign, pending=True)
        else:
            rep = build_report(portal.uow(), kind, loop_id, portal.clock(), detail=format == "csv",
                               cache=portal.meeting_cost_cache)
    except NotFound:
        return _refused(portal, 404, "Loopet findes ikke.")
    except NotInFramework:
        return _refused(portal, 404, f"Loopets ramme har ingen {REPORT_TITLES[kind].lower()}.")
    except (UserError, FrameworkError) as exc:
        return _refused(portal, 404, f"Rapporten kan ikke dannes: {exc}.")
    if format == "html":
        return _page(portal, request, session, "report.html", loop_id=loop_id, kind=kind, title=REPORT_TITLES[kind],
                     body=Markup(body_html(rep)), compare=sammenlign or "")
    media = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}[format]
    name = f"{kind}-{loop_id}-{rep.made_at.date().isoformat()}.{format}"
    return Response(render(rep, format), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/loop/{loop_id}/aarshjul.{fmt}")
def wheel(request: Request, portal: PortalDep, loop_id: str, fmt: str, aar: int = 1, enhed: str | None = None,
          chef: str | None = None):
    from kvalitetsloop.reports.build import year_wheel
    from kvalitetsloop.reports.yearwheel import year_wheel_png

    _session(portal, request)
    if fmt not in ("svg", "png"):
        return _refused(portal, 404, "Årshjulet findes kun som SVG og PNG.")
    try:
        svg = year_wheel(portal.uow(), loop_id, portal.clock(), aar, enhed or None, None if enhed else chef or None)
    except UserError:
        return _refused(portal, 404, "Årshjulet findes ikke.")
    if fmt == "png":
        return Response(year_wheel_png(svg), media_type="image/png", headers={
            "Cache-Control": "no-store", "Content-Disposition": f'inline; filename="aarshjul-{loop_id}-{aar}.png"'})
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


# -- the outbox -------------------------------------------------------------------------------

@router.get("/udbakke", response_class=HTMLResponse)
def outbox(request: Request, portal: PortalDep, status: str = "failed"):
    from kvalitetsloop.usecases.outbox import list_outbox

    session = _session(portal, request)
    if status not in OUTBOX_LABELS:
        status = "failed"
    rows, counts = list_outbox(portal.uow(), status, 200)
    return _page(portal, request, session, "outbox.html", rows=rows, counts=counts, shown=status,
                 labels=OUTBOX_LABELS)


@router.post("/udbakke/{row_id}/{action}")
async def outbox_action(request: Request, portal: PortalDep, row_id: int, action: str):
    from kvalitetsloop.usecases.outbox import give_up_row, retry_row

    _, data, refusal = await _form(portal, request)
    if refusal:
        return refusal
    try:
        if action == "prov-igen":
            row = retry_row(portal.uow(), row_id, portal.clock(), portal.settings.outbox_max_attempts)
        elif action == "opgiv":
            row = give_up_row(portal.uow(), row_id, portal.clock())
        else:
            return _refused(portal, 404, "Siden findes ikke.")
    except UserError:
        return _refused(portal, 409, "E-mailen kan ikke ændres i sin nuværende tilstand (sendt eller opgivet).")
    back = data.get("status") if data.get("status") in OUTBOX_LABELS else "failed"
    return RedirectResponse(f"/admin/udbakke?status={back}#r{row.id}", status_code=303)
