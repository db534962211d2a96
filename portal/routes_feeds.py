"""A person's links: the calendar feed (with ETag and 304) and the page of their talks, where a
talk's participants see its data basis, the board's statement (D) included."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from kvalitetsloop.usecases import feeds, forms
from portal.app import PortalDep, client_of
from portal.routes_forms import _guard

router = APIRouter()


def _person(portal, request: Request, token: str) -> str:
    email = feeds.person_of(portal.uow(), token)
    if email is None:
        raise forms.LinkRefused("Linket findes ikke. Tjek, at hele adressen fra e-mailen er kopieret med.")
    return email


@router.get("/kalender/{token}.ics")
async def calendar_feed(token: str, request: Request, portal: PortalDep):
    """A calendar program's poll: answered on the event loop when nothing changed (304, or the
    feed built before); only a feed that must be built again goes to a worker thread."""
    if portal.wrong_links.blocked(client_of(request)):
        return Response(status_code=429)
    state = feeds.feed_state(portal.uow(), token)
    if state is None:
        portal.wrong_links.failed(client_of(request))
        return Response("Kalenderen findes ikke.", status_code=404, media_type="text/plain; charset=utf-8")
    headers = {"ETag": state.etag, "Cache-Control": "private, max-age=0, must-revalidate"}
    if state.matches(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    payload = feeds.cached_feed(portal.feed_cache, state)
    if payload is None:
        payload = await run_in_threadpool(feeds.build_feed, portal.uow(), state, portal.clock(), portal.feed_cache)
    return Response(payload, media_type="text/calendar; charset=utf-8", headers=headers)


@router.get("/mine/{token}", response_class=HTMLResponse)
def my_talks(token: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    email = _person(portal, request, token)
    talks = forms.talks_of(portal.uow(), email)
    return portal.page("mine.html", token_path=token, email=email, talks=talks,
                       feed=feeds.feed_url(portal.settings.base_url, token))


@router.get("/mine/{token}/samtale/{talk_uid}", response_class=HTMLResponse)
def talk_page(token: str, talk_uid: str, request: Request, portal: PortalDep):
    if (blocked := _guard(portal, request)) is not None:
        return blocked
    email = _person(portal, request, token)
    basis = forms.talk_basis(portal.uow(), email, talk_uid)
    return portal.page("talk.html", token_path=token, b=basis, w=basis.words)
