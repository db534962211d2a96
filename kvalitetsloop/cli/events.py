"""`kvalitetsloop event`: move or cancel one planned event."""

from __future__ import annotations

import typer

from kvalitetsloop.cli.common import Fail, NowOption, out, parse_now, settings, unit_of_work

event_app = typer.Typer(no_args_is_help=True, help="Move or cancel one planned event.")


@event_app.command("move")
def event_move(ctx: typer.Context, uid: str = typer.Argument(...),
               start: str = typer.Option(..., help="New start, ISO; without offset read as Danish local time."),
               force: bool = typer.Option(False, "--force", help="Move even if it breaks a rule."),
               now: NowOption = None):
    """Move a meeting or deadline; its sequence rises and dependants follow a moved talk."""
    from kvalitetsloop.errors import MoveRefused
    from kvalitetsloop.usecases.events import move_event

    try:
        ch = move_event(unit_of_work(ctx), settings().frameworks_dir, uid, start, parse_now(now), force=force)
    except MoveRefused as exc:
        raise Fail(f"{exc} (use --force to move it anyway)") from None
    out.print(f"Moved '{ch.title}' to {ch.start.isoformat()} (sequence {ch.sequence}).")
    for problem in ch.forced_over:
        out.print(f"  forced over: {problem}")
    for _, title, when in ch.dependents:
        out.print(f"  also moved '{title}' to {when.date().isoformat()}")


@event_app.command("cancel")
def event_cancel(ctx: typer.Context, uid: str = typer.Argument(...), now: NowOption = None):
    """Cancel a meeting or deadline (a talk's deadlines go with it)."""
    from kvalitetsloop.usecases.events import cancel_event

    ch = cancel_event(unit_of_work(ctx), uid, parse_now(now))
    out.print(f"Cancelled '{ch.title}' (sequence {ch.sequence}).")
    for _, title, _ in ch.dependents:
        out.print(f"  also cancelled '{title}'")


@event_app.command("attend")
def event_attend(ctx: typer.Context, uid: str = typer.Argument(..., help="The meeting's uid (see 'loop show --unit')."),
                 add: str = typer.Option(None, "--add", help="Email of an ad hoc participant to invite."),
                 name: str = typer.Option("", "--name", help="The new participant's name."),
                 remove: str = typer.Option(None, "--remove", help="Email of an ad hoc participant to take off."),
                 now: NowOption = None):
    """Add an ad hoc participant to a meeting (they get an invitation) or remove one (they get a cancellation)."""
    from kvalitetsloop.usecases.attendance import change_guest

    ch = change_guest(unit_of_work(ctx), uid, parse_now(now), add=add, name=name, remove=remove)
    if ch.added:
        out.print(f"Added {ch.email} to '{ch.title}'; the invitation goes out with the next dispatch.")
    else:
        out.print(f"Removed {ch.email} from '{ch.title}'; the cancellation goes out with the next dispatch.")
