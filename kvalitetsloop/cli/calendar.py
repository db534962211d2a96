"""`kvalitetsloop calendar`: a person's subscription feed and publishing a loop to a CalDAV server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from kvalitetsloop.cli.common import Fail, NowOption, counted, out, parse_now, unit_of_work

calendar_app = typer.Typer(no_args_is_help=True, help="Calendar feeds and CalDAV publishing.")


def _views(ctx: typer.Context, loop: Optional[str]) -> list:
    from kvalitetsloop.usecases.loops import active_views, view_loop

    views = [view_loop(unit_of_work(ctx), loop)] if loop else active_views(unit_of_work(ctx))
    if not views:
        raise Fail("no loop has been started yet")
    return views


@calendar_app.command("feed")
def feed(ctx: typer.Context, email: str = typer.Argument(..., help="The person whose meetings and deadlines to include."),
         loop: Optional[str] = typer.Option(None, help="One loop; default every active loop."),
         output: Optional[Path] = typer.Option(None, "--out", help="Write to this file (default stdout)."),
         now: NowOption = None):
    """A person's calendar feed (.ics, METHOD:PUBLISH) to subscribe to."""
    from kvalitetsloop.calendar_context import feed_ics
    from kvalitetsloop.usecases.loops import person_in_loops

    # Only the person's own events are read: a national loop has tens of thousands.
    mine = person_in_loops(unit_of_work(ctx), email, loop)
    if not mine:
        raise Fail("no loop has been started yet")
    payload, count = feed_ics(mine, email, parse_now(now))
    if count == 0:
        raise Fail(f"{email} takes part in no event of {'loop ' + loop if loop else 'the active loops'}")
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(payload)
        except OSError as exc:  # a folder that cannot exist (/proc/x), no permission, a full disk
            raise Fail(f"cannot write {output} ({exc.strerror or exc})") from None
        out.print(f"Wrote {counted(count, 'event')} for {email} to {output}.")
    else:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()


@calendar_app.command("publish")
def publish(ctx: typer.Context,
            url: str = typer.Option(..., help="The CalDAV collection URL, e.g. http://host/user/kvalitet/"),
            user: Optional[str] = typer.Option(None),
            password: Optional[str] = typer.Option(None, envvar="KVALITETSLOOP_CALDAV_PASSWORD"),
            loop: Optional[str] = typer.Option(None, help="One loop; default every active loop."),
            now: NowOption = None):
    """Write every event to a CalDAV collection; a second run changes nothing."""
    from calendars.caldav_publish import PublishError
    from calendars.caldav_publish import publish as do_publish
    from kvalitetsloop.calendar_context import context_for
    from kvalitetsloop.cli.progress import progress_shown

    when = parse_now(now)
    for view in _views(ctx, loop):
        try:
            with progress_shown() as progress:
                report = do_publish(view.events, url, context_for(view, when), user=user, password=password,
                                    progress=progress, label=f"Publishing loop {view.loop.id} (events)")
        except PublishError as exc:
            raise Fail(str(exc).rstrip(".")) from None
        out.print(f"Loop {view.loop.id}: {report.created} created, {report.updated} updated, "
                  f"{report.cancelled} cancelled, {report.unchanged} unchanged.")
