"""Commands of the email part: dispatch, outbox, mailsink, statement, package, submission, simulate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from kvalitetsloop.cli.common import (Fail, NowOption, counted, err, out, parse_now, print_table, read_small_file,
                                      settings, unit_of_work, wall_clock)

outbox_app = typer.Typer(no_args_is_help=True, help="The emails decided and their sending: list, retry, give up.")
statement_app = typer.Typer(no_args_is_help=True, help="Board statements before talks 2-4.")
package_app = typer.Typer(no_args_is_help=True, help="Data packages.")
submission_app = typer.Typer(no_args_is_help=True, help="Record anything a deadline asks for.")


def dispatch_cmd(ctx: typer.Context, now: NowOption = None,
                 dry_run: bool = typer.Option(False, "--dry-run", help="Write the .eml files it would send; send nothing."),
                 out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for --dry-run (default var/dry-run).")):
    """Send every email due at --now: invitations, reminders, escalations, triggers, digests."""
    from kvalitetsloop.usecases import dispatch
    from notifications.transport import YagTransport

    when = parse_now(now)
    config = settings()
    if dry_run:
        folder = out_dir or config.dry_run_dir
        r = dispatch.dry_run(unit_of_work(ctx), when, config, folder)
        out.print(f"Dry run at {when.isoformat()}: {counted(len(r.dry_run_files), 'email')} would be sent; "
                  f"nothing was sent or recorded. The messages are in {folder}/.")
        _kinds_table(r.dry_run_files)
        _skipped(r.skipped)
        return
    r = dispatch.dispatch(unit_of_work(ctx), when, config, YagTransport.from_settings(config), wall=wall_clock)
    d = r.drain
    decided = sum(r.decided.values())
    out.print(f"Dispatch at {when.isoformat()}: {counted(decided, 'new email')} decided, {d.total_sent} sent over "
              f"{counted(d.connections, 'SMTP connection')}"
                  + (f", {d.retrying} to retry, {d.failed} failed" if d.retrying or d.failed else "") + ".")
    if d.sent:
        t = Table("kind", "sent")
        for kind, n in sorted(d.sent.items()):
            t.add_row(kind, str(n))
        print_table(t)
    if d.stopped:
        err.print(f"The SMTP server could not be used ({d.stopped}); the emails wait in the outbox "
                      "and are tried again with backoff (see 'kvalitetsloop outbox list').", markup=False)
    _skipped(r.skipped)
    for e in d.errors[:10]:
        err.print(f"  {e}", markup=False)
    held, next_try, _ = dispatch.held_back(unit_of_work(ctx), when)
    if held and not d.stopped:
        err.print(f"{counted(held, 'email')} that could not be sent wait for the next try at "
                  f"{next_try.astimezone(when.tzinfo).isoformat(timespec='minutes')} "
                  "(see 'kvalitetsloop outbox list').", markup=False)
    if d.stopped or d.failed or held:
        raise typer.Exit(1)


def _skipped(skipped: list[tuple[str, str, str]]) -> None:
    """What fell due while no dispatch ran and is no longer of use: listed, never silently lost."""
    from collections import Counter

    if not skipped:
        return
    out.print(f"{len(skipped)} emails that fell due while no dispatch ran are skipped "
              "(listed with 'outbox list --status skipped'):")
    t = Table("kind", "why", "emails")
    for (kind, why), n in sorted(Counter((k, why) for k, _, why in skipped).items()):
        t.add_row(kind, why, str(n))
    print_table(t)


def _kinds_table(files: list[Path]) -> None:
    from collections import Counter

    kinds = Counter(f.name.split("-", 2)[1] for f in files)
    if kinds:
        t = Table("kind", "emails")
        for k, n in sorted(kinds.items()):
            t.add_row(k, str(n))
        print_table(t)


@outbox_app.command("list")
def outbox_list(ctx: typer.Context, status: Optional[str] = typer.Option(None, help="pending, sending, sent, failed, given_up, withdrawn or skipped."),
                limit: int = typer.Option(50, help="How many rows, newest first.")):
    """The newest outbox rows with their state, tries and the SMTP answer or error."""
    from kvalitetsloop.usecases.outbox import list_outbox

    rows, counts = list_outbox(unit_of_work(ctx), status, limit)
    out.print("Outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty") + ".")
    if not rows:
        return
    t = Table("id", "status", "tries", "kind", "to", "subject", "next try / sent", "answer or error")
    for r in rows:
        when = r.sent_at if r.status == "sent" else r.next_attempt_at
        answer = (f"{r.smtp_code} {r.smtp_response}" if r.status == "sent" else (r.last_error or "")).strip()
        t.add_row(str(r.id), r.status, str(r.attempts), r.kind, r.recipient, r.subject[:60],
                  when.isoformat(timespec="minutes") if when else "", answer[:70])
    print_table(t)


@outbox_app.command("retry")
def outbox_retry(ctx: typer.Context, row_id: int = typer.Argument(..., metavar="ID"), now: NowOption = None):
    """Send a failed or waiting row again at the next dispatch."""
    from kvalitetsloop.usecases.outbox import retry_row

    row = retry_row(unit_of_work(ctx), row_id, parse_now(now), settings().outbox_max_attempts)
    out.print(f"Outbox row {row.id} ({row.kind} to {row.recipient}) will be sent at the next dispatch.")


@outbox_app.command("give-up")
def outbox_give_up(ctx: typer.Context, row_id: int = typer.Argument(..., metavar="ID"), now: NowOption = None):
    """Stop trying to send a row (it stays listed as given_up)."""
    from kvalitetsloop.usecases.outbox import give_up_row

    row = give_up_row(unit_of_work(ctx), row_id, parse_now(now))
    out.print(f"Gave up outbox row {row.id} ({row.kind} to {row.recipient}).")


def mailsink_cmd(directory: Path = typer.Option(..., "--dir", help="Folder for the received .eml files."),
                 port: int = typer.Option(8025, help="Port to listen on."),
                 host: str = typer.Option("127.0.0.1", help="Address to listen on.")):
    """A local SMTP server that stores every email it receives as an .eml file."""
    from notifications import mailsink

    try:
        mailsink.serve(directory, host, port, announce=out.print)
    except OSError as exc:
        raise Fail(f"the mail sink cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def _report_submission(s, what: str) -> None:
    again = f" (it replaces {s.earlier} earlier)" if s.earlier else ""
    out.print(f"Recorded {what} for '{s.title}' at {s.submitted_at.isoformat()}{again}; "
                  "its reminders stop.")


@statement_app.command("submit")
def statement_submit(ctx: typer.Context, unit: str = typer.Option(..., help="Unit id, e.g. dt-003."),
                     talk: int = typer.Option(..., help="The talk the statement is for (2, 3 or 4)."),
                     file: Path = typer.Option(..., help="The statement as a UTF-8 text file."),
                     by: str = typer.Option("", help="Who submits it (email)."),
                     now: NowOption = None):
    """Record a board's written statement (until the web form exists)."""
    from cycle.kinds import BOARD_STATEMENT
    from kvalitetsloop.usecases.submissions import submit

    text = read_small_file(file, "statement")
    s = submit(unit_of_work(ctx), BOARD_STATEMENT.submission, unit, talk, parse_now(now), by=by, content=text)
    _report_submission(s, "the board statement")


@package_app.command("ready")
def package_ready(ctx: typer.Context, unit: str = typer.Option(..., help="Unit id."),
                  number: int = typer.Option(..., help="Data package number (1-4)."),
                  url: Optional[str] = typer.Option(None, help="Where the package is (https://...)."),
                  now: NowOption = None):
    """Mark a data package available; the next dispatch tells the leader and the board."""
    from cycle.kinds import DATA_PACKAGE
    from kvalitetsloop.usecases.submissions import submit

    s = submit(unit_of_work(ctx), DATA_PACKAGE.submission, unit, number, parse_now(now), link=url)
    out.print(f"Data package {s.number} of {unit} is ready ({s.title}); the leader and the board are told "
                  "at the next dispatch.")


@submission_app.command("add")
def submission_add(ctx: typer.Context, kind: str = typer.Option(..., help="What arrived, e.g. board_statement or followup_form "
                                                      "(a kind it does not know lists them all)."),
                   unit: str = typer.Option(..., help="Unit id."),
                   number: Optional[int] = typer.Option(None, help="Talk, package or report number."),
                   file: Optional[Path] = typer.Option(None, help="Content as a UTF-8 text file."),
                   url: Optional[str] = typer.Option(None, help="A link (data package)."),
                   now: NowOption = None):
    """Record that what a deadline asks for has arrived (forms until the web part exists)."""
    from kvalitetsloop.errors import NumberNeeded
    from kvalitetsloop.usecases.submissions import submit

    text = read_small_file(file, kind.replace("_", " ")) if file else ""
    try:
        s = submit(unit_of_work(ctx), kind, unit, number, parse_now(now), content=text, link=url)
    except NumberNeeded as exc:
        raise Fail(f"{exc} with --number") from None
    _report_submission(s, kind.replace("_", " "))


def _parse_step(text: str) -> dt.timedelta:
    units = {"d": "days", "h": "hours", "w": "weeks"}
    try:
        n, unit = int(text[:-1]), units[text[-1]]
    except (ValueError, KeyError, IndexError):
        raise Fail(f"--step '{text}' is not a step like 1d, 12h or 1w") from None
    if n <= 0:
        raise Fail("--step must be positive")
    return dt.timedelta(**{unit: n})


def simulate_cmd(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
                 start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
                 end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
                 step: str = typer.Option("1d", help="Step between dispatch runs: 1d, 12h, 1w."),
                 at: str = typer.Option("16:00", help="Local time of day of each dispatch run."),
                 sink: Path = typer.Option(Path("var/simulation-mail"), help="Folder where the mail sink stores the emails."),
                 script: Optional[Path] = typer.Option(None, help="YAML: who submits when, meetings moved or cancelled."),
                 keep: bool = typer.Option(False, "--keep", help="Keep .eml files already in the sink folder.")):
    """Run dispatch day by day in simulated time into a local mail sink and show what went out per week.

    It works on the database it is given: the outbox rows it sends are marked sent. Use a copy or a
    demo database, not the production one.
    """
    from kvalitetsloop import simulation
    from kvalitetsloop.cli.progress import progress_shown
    from notifications import mailsink
    from notifications.transport import YagTransport

    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        raise Fail("--from and --to must be dates like 2027-03-01") from None
    try:
        at_time = dt.time.fromisoformat(at)
    except ValueError:
        raise Fail(f"--at '{at}' is not a time like 16:00") from None
    the_step = _parse_step(step)
    the_script = simulation.load_script(script) if script else None
    if sink.exists() and not keep:
        for old in sink.glob("*.eml"):
            old.unlink()
    config = settings()
    proc, port = mailsink.start_process(sink)
    try:
        def transport():
            return YagTransport(host="127.0.0.1", port=port, user=config.sender, password="", tls="none",
                                timeout=config.smtp_timeout, envelope_from=config.sender)

        with progress_shown() as progress:
            report = simulation.simulate(unit_of_work(ctx), loop, first, last, settings=config,
                                         transport_factory=transport, frameworks_dir=config.frameworks_dir,
                                         wall=wall_clock, step=the_step, at=at_time, script=the_script,
                                         sink_dir=sink, progress=progress)
    finally:
        mailsink.stop_process(proc)
    t = Table("week", *simulation.CATEGORY_HEADS, "total", title=f"Sent per week in loop {loop} (simulated time)")
    for week in sorted(report.weeks):
        c = report.weeks[week]
        t.add_row(week, *(str(c.get(k, 0) or "") for k in simulation.CATEGORIES), str(sum(c.values())))
    print_table(t)
    out.print(f"{counted(report.total, 'email')} in {counted(len(report.weeks), 'week')}, "
              f"{counted(report.steps, 'dispatch run')}, {counted(report.submissions, 'scripted submission')}, "
              f"{counted(report.moves, 'move or cancellation', 'moves or cancellations')}, "
              f"{report.seconds:.1f} s. The emails are in {sink}/.")
    if report.organisation_changes or report.skipped:
        out.print(f"{counted(report.organisation_changes, 'organisation change')}; "
                  f"{counted(report.skipped, 'email')} that fell due while no dispatch ran "
                  f"{'was' if report.skipped == 1 else 'were'} skipped (see 'outbox list --status skipped').")
    if report.failed:
        err.print(f"{counted(report.failed, 'email')} failed or {'waits' if report.failed == 1 else 'wait'} "
                  "for a retry; see 'kvalitetsloop outbox list'.")


