"""`kvalitetsloop admin`: the accounts of the administration pages (kvalitetsloop web, /admin)."""

from __future__ import annotations

import os

import typer

from kvalitetsloop.cli.common import Fail, NowOption, out, parse_now, unit_of_work

admin_app = typer.Typer(no_args_is_help=True, help="Accounts of the administration pages.")


@admin_app.command("add-user")
def add_user_cmd(ctx: typer.Context, username: str = typer.Argument(..., help="The name to log in with, e.g. an email."),
                 replace: bool = typer.Option(False, "--replace", help="Set a new password for an existing user."),
                 now: NowOption = None):
    """Add an administrator. The password is read from KVALITETSLOOP_ADMIN_PASSWORD, else asked for
    (twice, not shown); it is stored only as an argon2 hash."""
    from kvalitetsloop.usecases.admins import add_user

    password = os.environ.get("KVALITETSLOOP_ADMIN_PASSWORD")
    if password is None:
        try:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        except (typer.Abort, EOFError):
            raise Fail("no password given (set KVALITETSLOOP_ADMIN_PASSWORD or type it when asked)") from None
    new = add_user(unit_of_work(ctx), username, password, parse_now(now), replace=replace)
    out.print(f"{'Added' if new else 'Updated'} the administrator '{username.strip().lower()}'.")
