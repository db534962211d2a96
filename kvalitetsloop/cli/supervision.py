"""`kvalitetsloop supervision`: the chief's answer to a self-owned daycare board's supervision
report, as on the page behind the link in the notice of its arrival."""

from __future__ import annotations

from typing import Optional

import typer

from kvalitetsloop.cli.common import Fail, NowOption, out, parse_now, settings, unit_of_work

supervision_app = typer.Typer(no_args_is_help=True, help="Self-owned daycares' supervision reports.")


@supervision_app.command("answer")
def supervision_answer(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
                       unit: str = typer.Argument(..., help="The self-owned daycare, e.g. dt-004."),
                       meeting_at: Optional[str] = typer.Option(
                           None, "--meeting-at", help="A follow-up meeting with the board at this time (ISO; "
                                                      "without offset read as Danish local time)."),
                       no_meeting: bool = typer.Option(False, "--no-meeting", help="No follow-up meeting is needed."),
                       number: Optional[int] = typer.Option(None, "--number", help="Which of the unit's supervision "
                                                            "reports (needed when more than one has arrived)."),
                       now: NowOption = None):
    """Record whether the chief holds a follow-up meeting with the board about its report; a
    meeting is invited by the next dispatch, and a later answer moves or cancels it."""
    from kvalitetsloop.usecases.supervision import answer

    if (meeting_at is None) == (not no_meeting):
        raise Fail("give either --meeting-at TIME or --no-meeting")
    r = answer(unit_of_work(ctx), settings().frameworks_dir, loop, unit, number, meeting_at, parse_now(now))
    when = f"'{r.meeting.title}' at {r.meeting.start.isoformat()}" if r.meeting is not None else ""
    out.print({
        "none": f"No follow-up meeting for the supervision report of {unit}.",
        "cancelled": f"No follow-up meeting for the supervision report of {unit}: {when} is cancelled "
                     "(the next dispatch sends the cancellation).",
        "planned": f"Planned {when} (uid {r.meeting.uid if r.meeting else ''}); the next dispatch invites the chief "
                   "and the board.",
        "moved": f"Moved {when}; the next dispatch sends the update.",
        "unchanged": f"The follow-up meeting {when} stays as it is.",
    }[r.change])
