"""`kvalitetsloop db`: the database schema."""

from __future__ import annotations

import typer

from kvalitetsloop.cli.common import database_url, out

db_app = typer.Typer(no_args_is_help=True, help="The database: bring its schema up to date.")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context):
    """Create the database or run the Alembic migrations up to the newest schema."""
    from kvalitetsloop.bootstrap import upgrade_database

    url = database_url(ctx)
    changed = upgrade_database(url)
    out.print(f"The database {'was brought' if changed else 'is already'} up to the newest schema.")
