"""`kvalitetsloop web`: serve the portal (the forms behind the links in emails, the data team's
page, the calendar feeds); `kvalitetsloop link`: hand out a personal or data-team link."""

from __future__ import annotations

import datetime as dt

import typer

from kvalitetsloop.cli.common import Fail, NowOption, database_url, out, parse_now, settings, unit_of_work, wall_clock

link_app = typer.Typer(no_args_is_help=True, help="Links to the portal for the data team and for people's calendars.")


def web_cmd(ctx: typer.Context,
            host: str = typer.Option("127.0.0.1", help="Address to listen on."),
            port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
            now: NowOption = None):
    """Serve the web portal: statement and follow-up forms, the data team's page, calendar feeds."""
    from kvalitetsloop.settings import Settings

    # The personal feed links are derived from the link secret: with the development value
    # anyone who knows an address could make that person's link. Only a local portal may use it.
    if settings().link_secret == Settings.model_fields["link_secret"].default and \
            host not in ("127.0.0.1", "localhost", "::1"):
        raise Fail(f"KVALITETSLOOP_LINK_SECRET is the development value; set a long random secret before serving "
                   f"on {host}")
    import uvicorn

    from portal.app import create_app

    clock = wall_clock
    if now is not None:  # simulated time: the portal's clock starts at --now and runs from there
        start, offset = parse_now(now), wall_clock()
        clock = lambda: start + (wall_clock() - offset)  # noqa: E731
    app = create_app(settings().model_copy(update={"database_url": database_url(ctx)}), clock)
    out.print(f"Serving the portal on http://{host}:{port}/ (Ctrl+C stops it)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except OSError as exc:
        raise Fail(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


@link_app.command("data-team")
def link_data_team(ctx: typer.Context, days: int = typer.Option(60, min=1, max=366, help="How long the link works."),
                   now: NowOption = None):
    """A new link to the data team's page (the data-package requests also carry one)."""
    from kvalitetsloop.usecases import datapackages

    moment = parse_now(now)
    token = datapackages.new_data_team_link(unit_of_work(ctx), settings().data_team, moment,
                                            moment + dt.timedelta(days=days))
    out.print(datapackages.data_team_url(settings().base_url, token))


@link_app.command("person")
def link_person(ctx: typer.Context, email: str = typer.Argument(..., help="Whose calendar feed and talks."),
                now: NowOption = None):
    """A person's calendar feed (subscribe to it) and page of talks (the invitations carry them too)."""
    from kvalitetsloop.usecases import feeds

    s = settings()
    token = feeds.personal_link(unit_of_work(ctx), s.link_secret, email, parse_now(now))
    out.print(feeds.feed_url(s.base_url, token))
    out.print(feeds.page_url(s.base_url, token))
