"""Calendar commands: a person's subscription feed and publishing a loop to a CalDAV server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the `calendar` commands to the `kvalitetsloop` app."""
    from kvalitetsloop import cli, services

    cal = typer.Typer(no_args_is_help=True, help="Calendar feeds and CalDAV publishing.")
    app.add_typer(cal, name="calendar")

    def _views(loop: Optional[str]) -> list:
        ids = [loop] if loop else [r.id for r in services.loops(cli.db_url()) if r.status == "active"]
        if not ids:
            raise cli.Fail("no loop has been started yet")
        return [services.view_loop(cli.db_url(), i) for i in ids]

    @cal.command("feed")
    def feed(email: str = typer.Argument(..., help="The person whose meetings and deadlines to include."),
             loop: Optional[str] = typer.Option(None, help="One loop; default every active loop."),
             output: Optional[Path] = typer.Option(None, "--out", help="Write to this file (default stdout)."),
             now: Optional[str] = typer.Option(None, help=cli.NOW_HELP)):
        """A person's calendar feed (.ics, METHOD:PUBLISH) to subscribe to."""
        from kvalitetsloop.calendar_context import feed_ics

        payload, count = feed_ics(_views(loop), email, cli.parse_now(now))
        if count == 0:
            raise cli.Fail(f"{email} takes part in no event of {'loop ' + loop if loop else 'the active loops'}")
        if output:
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_bytes(payload)
            except OSError as exc:  # a folder that cannot exist (/proc/x), no permission, a full disk
                raise cli.Fail(f"cannot write {output} ({exc.strerror or exc})") from None
            cli.out.print(f"Wrote {count} events for {email} to {output}.")
        else:
            sys.stdout.buffer.write(payload)
            sys.stdout.flush()

    @cal.command("publish")
    def publish(url: str = typer.Option(..., help="The CalDAV collection URL, e.g. http://host/user/kvalitet/"),
                user: Optional[str] = typer.Option(None), password: Optional[str] = typer.Option(None, envvar="KVALITETSLOOP_CALDAV_PASSWORD"),
                loop: Optional[str] = typer.Option(None, help="One loop; default every active loop."),
                now: Optional[str] = typer.Option(None, help=cli.NOW_HELP)):
        """Write every event to a CalDAV collection; a second run changes nothing."""
        from calendars.caldav_publish import PublishError
        from calendars.caldav_publish import publish as do_publish
        from kvalitetsloop.calendar_context import context_for

        when = cli.parse_now(now)
        for view in _views(loop):
            try:
                report = do_publish(view.events, url, context_for(view, when), user=user, password=password)
            except PublishError as exc:
                raise cli.Fail(str(exc).rstrip(".")) from None
            cli.out.print(f"Loop {view.loop.id}: {report.created} created, {report.updated} updated, "
                          f"{report.cancelled} cancelled, {report.unchanged} unchanged.")
