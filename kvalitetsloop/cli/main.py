"""The `kvalitetsloop` command: one Typer app per part, composed here. Commands only translate:
arguments in, a use case called with a unit of work, a table out.

Every error a user can cause ends as one sentence on stderr and exit code 2; never a traceback.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer
# Typer 0.29 ships its own copy of click; its usage errors derive from this ClickException.
from typer._click import ClickException

from kvalitetsloop.cli import admin, board, calendar, db, events, loops, mail, org, replies, reports, supervision, web
from kvalitetsloop.cli.common import Fail, err

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Plan and run the two-year quality follow-up and supervision loop.")
app.add_typer(org.org_app, name="org")
app.add_typer(loops.loop_app, name="loop")
app.add_typer(events.event_app, name="event")
app.add_typer(org.holidays_app, name="holidays")
app.command("status")(loops.status_cmd)
app.add_typer(reports.report_app, name="report")
app.add_typer(calendar.calendar_app, name="calendar")
app.command("dispatch")(mail.dispatch_cmd)
app.add_typer(mail.outbox_app, name="outbox")
app.command("mailsink")(mail.mailsink_cmd)
app.add_typer(mail.statement_app, name="statement")
app.add_typer(board.board_app, name="board")
app.add_typer(supervision.supervision_app, name="supervision")
app.add_typer(mail.package_app, name="package")
app.add_typer(mail.submission_app, name="submission")
app.command("simulate")(mail.simulate_cmd)
app.add_typer(db.db_app, name="db")
app.add_typer(replies.replies_app, name="replies")
reports.report_app.command("replies")(replies.report_replies)  # the answers to the invitations (issue 13)
events.event_app.command("show")(replies.event_show_cmd)
app.command("web")(web.web_cmd)
app.add_typer(web.link_app, name="link")
app.add_typer(admin.admin_app, name="admin")


@app.callback()
def main(ctx: typer.Context,
         database_url_: Optional[str] = typer.Option(None, "--database-url", envvar="KVALITETSLOOP_DATABASE_URL",
                                                     help="SQLAlchemy URL; default a SQLite file var/kvalitetsloop.sqlite.")):
    ctx.obj = {"database_url": database_url_}


def _say(text: str) -> None:
    err.print(text, markup=False)


def _user_error(exc: BaseException, url: str) -> bool:
    """Say what went wrong in one sentence, if it is a mistake the user can fix."""
    # Imported here, not at the top: most runs never fail, and these modules are heavy.
    import sqlalchemy.exc

    from cycle.framework import FrameworkError
    from cycle.organisation import OrganisationError
    from kvalitetsloop.errors import UserError
    from kvalitetsloop.settings import SettingsError
    from storage.db import DatabaseUrlError

    if isinstance(exc, (UserError, FrameworkError, SettingsError, DatabaseUrlError)):
        _say(f"Error: {exc}.")
    elif isinstance(exc, OrganisationError):
        _say(f"Error: {exc}:")
        for p in exc.problems:
            _say(f"  {p}")
    elif isinstance(exc, sqlalchemy.exc.OperationalError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unknown reason"
        _say(f"Error: the database at {url} cannot be used ({reason}).")
    elif isinstance(exc, (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, ModuleNotFoundError)):
        _say(f"Error: '{url}' is not a database URL this program can use "
             "(sqlite:///path/file.sqlite or postgresql://user@host:5432/db).")
    elif isinstance(exc, OSError):  # files the user named: a folder that does not exist, no permission
        where = f" {exc.filename}" if exc.filename else ""
        _say(f"Error: cannot use{where} ({exc.strerror or exc}).")
    elif isinstance(exc, OverflowError):
        _say("Error: a date is out of range; give dates between 2000 and 2100.")
    else:
        return False
    return True


def main_exit(argv: list[str]) -> int:
    """Run one command; user mistakes become one sentence on stderr and exit code 2."""
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of raising it.
        code = app(args=argv, standalone_mode=False)
        return code if isinstance(code, int) else 0
    except Fail as exc:
        _say(f"Error: {exc}.")
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("Aborted.")
        return 1
    except ClickException as exc:  # usage errors: unknown option, missing argument
        exc.show()
        return exc.exit_code
    except Exception as exc:
        if not _user_error(exc, _url_for_errors(argv)):
            raise
    return 2


def _url_for_errors(argv: list[str]) -> str:
    """The database URL the command used, for an error message."""
    if "--database-url" in argv[:-1]:
        return argv[argv.index("--database-url") + 1]
    from kvalitetsloop.settings import SettingsError, get_settings

    try:
        return get_settings().database_url
    except SettingsError:
        return "(the database named by the settings)"


def run() -> None:
    """Console-script entry point."""
    sys.exit(main_exit(sys.argv[1:]))


if __name__ == "__main__":
    run()
