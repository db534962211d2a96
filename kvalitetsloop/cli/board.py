"""`kvalitetsloop board`: how a unit's board takes part in talks 2-4 (statement or attendance)."""

from __future__ import annotations

import typer

from kvalitetsloop.cli.common import NowOption, out, parse_now, settings, unit_of_work

board_app = typer.Typer(no_args_is_help=True, help="The boards' part in the talks.")


@board_app.command("choose")
def board_choose(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
                 unit: str = typer.Argument(..., help="The unit whose board chose, e.g. dt-003."),
                 choice: str = typer.Argument(..., help="statement or attendance."),
                 talk: int = typer.Option(..., "--talk", help="The talk the choice is for (2, 3 or 4 in Aarhus)."),
                 now: NowOption = None):
    """Record a board's choice for one talk: a written statement, or attending the talk."""
    from kvalitetsloop.usecases.boards import choose_board_participation

    r = choose_board_participation(unit_of_work(ctx), settings().frameworks_dir, loop, unit, talk, choice,
                                   parse_now(now))
    if not r.changed:
        out.print(f"The board of {unit} already takes part in talk {talk} by {choice}; nothing changed.")
        return
    if choice == "attendance":
        who = ", ".join(r.board_emails) or "the board"
        out.print(f"The board of {unit} attends talk {talk}: {who} added to the invitation"
                  + ("; the statement deadline and its reminders are cancelled." if r.statement_change else "."))
    else:
        who = ", ".join(r.board_emails) or "the board"
        out.print(f"The board of {unit} writes a statement for talk {talk}: {who} taken off the invitation"
                  + ("; the statement deadline is due again." if r.statement_change else "."))
