"""The portal's FastAPI application: settings, the clock, one Jinja environment, the routers.

`create_app(settings, clock)` is what `kvalitetsloop web` serves and what the tests start on a
real port. A request builds a unit of work (the database is upgraded once, at start) and calls a
use case; a LinkRefused becomes the Danish page that says whom to contact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from calendars.texts import ZONE, danish_date, danish_time
from cycle import vocabulary
from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.reports.cost import MeetingCostCache
from kvalitetsloop.unit_of_work import SqlUnitOfWork
from kvalitetsloop.usecases.feeds import FeedCache
from kvalitetsloop.usecases.forms import LinkRefused
from portal.comparisons import Comparisons
from portal.security import BodyLimit, Csrf, WrongLinkLimit

HERE = Path(__file__).parent


def _wall() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def environment() -> Environment:
    """Every page autoescaped: nothing a person typed reaches the markup as markup."""
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True)
    env.filters.update(dato=lambda d: danish_date(d.date() if isinstance(d, dt.datetime) else d),
                       tid=lambda t, tz=None: danish_time(t, tz or ZONE), tal=vocabulary.number)
    return env


class Portal:
    """What every request needs: settings, the clock, the database, templates, the guards."""

    def __init__(self, settings, clock: Callable[[], dt.datetime] | None = None):
        self.settings = settings
        self.clock = clock or _wall
        self.url = settings.database_url
        unit_of_work_for(self.url)  # migrations run once, before the first request
        self.env = environment()
        self.csrf = Csrf(settings.link_secret)
        self.wrong_links = WrongLinkLimit()
        self.feed_cache = FeedCache()
        self.meeting_cost_cache = MeetingCostCache()
        self.comparisons = Comparisons()

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.url)

    def page(self, name: str, status: int = 200, headers: dict | None = None, **values) -> HTMLResponse:
        values.setdefault("org", {"name": self.settings.organiser_name, "email": self.settings.organiser})
        html = self.env.get_template(name).render(**values)
        out = {"Cache-Control": "no-store"}
        out.update(headers or {})
        return HTMLResponse(html, status_code=status, headers=out)


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


PortalDep = Annotated[Portal, Depends(portal_of)]


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def create_app(settings, clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    from portal import routes_admin, routes_data, routes_feeds, routes_forms

    app = FastAPI(title="kvalitetsloop", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = Portal(settings, clock)
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(routes_forms.router)
    app.include_router(routes_data.router)
    app.include_router(routes_feeds.router)
    routes_admin.install(app)

    @app.exception_handler(LinkRefused)
    async def refused(request: Request, exc: LinkRefused):
        portal = portal_of(request)
        if not exc.expired:
            portal.wrong_links.failed(client_of(request))
        return portal.page("refused.html", status=410 if exc.expired else 404, message=str(exc),
                           expired=exc.expired, contact=exc.contact)

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        return portal_of(request).page("refused.html", status=404, message="Siden findes ikke.", expired=False,
                                       contact={})

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc):
        return portal_of(request).page("refused.html", status=405, message="Siden kan ikke bruges sådan.",
                                       expired=False, contact={})

    @app.get("/", response_class=HTMLResponse)
    def index(portal: PortalDep):
        return portal.page("index.html")

    return app
