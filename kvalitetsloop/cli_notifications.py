"""Commands of the email part: dispatch, outbox, mailsink, statement, package, submission, simulate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

NOW_HELP = "The time to act as if it were now (ISO, e.g. 2027-05-01T09:00+02:00); default: the clock."

outbox_app = typer.Typer(no_args_is_help=True, help="The emails decided and their sending: list, retry, give up.")
statement_app = typer.Typer(no_args_is_help=True, help="Board statements before talks 2-4.")
package_app = typer.Typer(no_args_is_help=True, help="Data packages.")
submission_app = typer.Typer(no_args_is_help=True, help="Record anything a deadline asks for.")


def _cli():
    from kvalitetsloop import cli  # imported late: cli imports this module

    return cli


def _read_file(path: Path, what: str) -> str:
    cli = _cli()
    text = cli._read_text(path, what)
    if not text.strip():
        raise cli.Fail(f"the {what} file {path} is empty")
    if len(text) > 1_000_000:
        raise cli.Fail(f"the {what} file {path} is larger than 1 MB")
    return text


def dispatch_cmd(now: Optional[str] = typer.Option(None, help=NOW_HELP),
                 dry_run: bool = typer.Option(False, "--dry-run", help="Write the .eml files it would send; send nothing."),
                 out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for --dry-run (default var/dry-run).")):
    """Send every email due at --now: invitations, reminders, escalations, triggers, digests."""
    from kvalitetsloop import dispatch
    from kvalitetsloop.settings import get_settings

    cli = _cli()
    when = cli.parse_now(now)
    if dry_run:
        folder = out_dir or get_settings().dry_run_dir
        r = dispatch.dispatch(cli.db_url(), when, dry_run_dir=folder)
        cli.out.print(f"Dry run at {when.isoformat()}: {len(r.dry_run_files)} emails would be sent; "
                      f"nothing was sent or recorded. The messages are in {folder}/.")
        _kinds_table(cli, r.dry_run_files)
        return
    r = dispatch.dispatch(cli.db_url(), when)
    d = r.drain
    decided = sum(r.decided.values())
    cli.out.print(f"Dispatch at {when.isoformat()}: {decided} new emails decided, {d.total_sent} sent over "
                  f"{d.connections} SMTP connection{'s' if d.connections != 1 else ''}"
                  + (f", {d.retrying} to retry, {d.failed} failed" if d.retrying or d.failed else "") + ".")
    if d.sent:
        t = Table("kind", "sent")
        for kind, n in sorted(d.sent.items()):
            t.add_row(kind, str(n))
        cli.out.print(t)
    if d.stopped:
        cli.err.print(f"The SMTP server could not be used ({d.stopped}); the emails wait in the outbox "
                      "and are tried again with backoff (see 'kvalitetsloop outbox list').", markup=False)
    for e in d.errors[:10]:
        cli.err.print(f"  {e}", markup=False)
    if d.stopped or d.failed:
        raise typer.Exit(1)


def _kinds_table(cli, files: list[Path]) -> None:
    from collections import Counter

    kinds = Counter(f.name.split("-", 2)[1] for f in files)
    if kinds:
        t = Table("kind", "emails")
        for k, n in sorted(kinds.items()):
            t.add_row(k, str(n))
        cli.out.print(t)


@outbox_app.command("list")
def outbox_list(status: Optional[str] = typer.Option(None, help="pending, sending, sent, failed or given_up."),
                limit: int = typer.Option(50, help="How many rows, newest first.")):
    """The newest outbox rows with their state, tries and the SMTP answer or error."""
    from kvalitetsloop import dispatch

    cli = _cli()
    rows, counts = dispatch.outbox_rows(cli.db_url(), status, limit)
    cli.out.print("Outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty") + ".")
    if not rows:
        return
    t = Table("id", "status", "tries", "kind", "to", "subject", "next try / sent", "answer or error")
    for r in rows:
        when = r.sent_at if r.status == "sent" else r.next_attempt_at
        answer = (f"{r.smtp_code} {r.smtp_response}" if r.status == "sent" else (r.last_error or "")).strip()
        t.add_row(str(r.id), r.status, str(r.attempts), r.kind, r.recipient, r.subject[:60],
                  when.isoformat(timespec="minutes") if when else "", answer[:70])
    cli.out.print(t)


@outbox_app.command("retry")
def outbox_retry(row_id: int = typer.Argument(..., metavar="ID"), now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Send a failed or waiting row again at the next dispatch."""
    from kvalitetsloop import dispatch

    cli = _cli()
    row = dispatch.outbox_retry(cli.db_url(), row_id, cli.parse_now(now))
    cli.out.print(f"Outbox row {row.id} ({row.kind} to {row.recipient}) will be sent at the next dispatch.")


@outbox_app.command("give-up")
def outbox_give_up(row_id: int = typer.Argument(..., metavar="ID"), now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Stop trying to send a row (it stays listed as given_up)."""
    from kvalitetsloop import dispatch

    cli = _cli()
    row = dispatch.outbox_give_up(cli.db_url(), row_id, cli.parse_now(now))
    cli.out.print(f"Gave up outbox row {row.id} ({row.kind} to {row.recipient}).")


def mailsink_cmd(directory: Path = typer.Option(..., "--dir", help="Folder for the received .eml files."),
                 port: int = typer.Option(8025, help="Port to listen on."),
                 host: str = typer.Option("127.0.0.1", help="Address to listen on.")):
    """A local SMTP server that stores every email it receives as an .eml file."""
    from notifications import mailsink

    cli = _cli()
    try:
        mailsink.serve(directory, host, port, announce=cli.out.print)
    except OSError as exc:
        raise cli.Fail(f"the mail sink cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def _report_submission(cli, s, what: str) -> None:
    again = f" (it replaces {s.earlier} earlier)" if s.earlier else ""
    cli.out.print(f"Recorded {what} for '{s.title}' at {s.submitted_at.isoformat()}{again}; "
                  "its reminders stop.")


@statement_app.command("submit")
def statement_submit(unit: str = typer.Option(..., help="Unit id, e.g. dt-003."),
                     talk: int = typer.Option(..., help="The talk the statement is for (2, 3 or 4)."),
                     file: Path = typer.Option(..., help="The statement as a UTF-8 text file."),
                     by: str = typer.Option("", help="Who submits it (email)."),
                     now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Record a board's written statement (until the web form exists)."""
    from kvalitetsloop import dispatch

    cli = _cli()
    text = _read_file(file, "statement")
    s = dispatch.submit(cli.db_url(), "board_statement", unit, talk, cli.parse_now(now), by=by, content=text)
    _report_submission(cli, s, "the board statement")


@package_app.command("ready")
def package_ready(unit: str = typer.Option(..., help="Unit id."),
                  number: int = typer.Option(..., help="Data package number (1-4)."),
                  url: Optional[str] = typer.Option(None, help="Where the package is (https://...)."),
                  now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Mark a data package available; the next dispatch tells the leader and the board."""
    from kvalitetsloop import dispatch

    cli = _cli()
    s = dispatch.submit(cli.db_url(), "data_package_ready", unit, number, cli.parse_now(now), link=url)
    cli.out.print(f"Data package {s.number} of {unit} is ready ({s.title}); the leader and the board are told "
                  "at the next dispatch.")


@submission_app.command("add")
def submission_add(kind: str = typer.Option(..., help="board_statement, youth_input, followup_form, "
                                                      "supervision_report, report_back or data_package_ready."),
                   unit: str = typer.Option(..., help="Unit id."),
                   number: Optional[int] = typer.Option(None, help="Talk, package or report number."),
                   file: Optional[Path] = typer.Option(None, help="Content as a UTF-8 text file."),
                   url: Optional[str] = typer.Option(None, help="A link (data package)."),
                   now: Optional[str] = typer.Option(None, help=NOW_HELP)):
    """Record that what a deadline asks for has arrived (forms until the web part exists)."""
    from kvalitetsloop import dispatch

    cli = _cli()
    text = _read_file(file, kind.replace("_", " ")) if file else ""
    s = dispatch.submit(cli.db_url(), kind, unit, number, cli.parse_now(now), content=text, link=url)
    _report_submission(cli, s, kind.replace("_", " "))


def _parse_step(text: str) -> dt.timedelta:
    cli = _cli()
    units = {"d": "days", "h": "hours", "w": "weeks"}
    try:
        n, unit = int(text[:-1]), units[text[-1]]
    except (ValueError, KeyError, IndexError):
        raise cli.Fail(f"--step '{text}' is not a step like 1d, 12h or 1w") from None
    if n <= 0:
        raise cli.Fail("--step must be positive")
    return dt.timedelta(**{unit: n})


def simulate_cmd(loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28."),
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
    from kvalitetsloop import dispatch
    from notifications import mailsink
    from notifications.transport import YagTransport
    from kvalitetsloop.settings import get_settings

    cli = _cli()
    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        raise cli.Fail("--from and --to must be dates like 2027-03-01") from None
    try:
        at_time = dt.time.fromisoformat(at)
    except ValueError:
        raise cli.Fail(f"--at '{at}' is not a time like 16:00") from None
    the_step = _parse_step(step)
    the_script = dispatch.load_script(script) if script else None
    if sink.exists() and not keep:
        for old in sink.glob("*.eml"):
            old.unlink()
    settings = get_settings()
    proc, port = mailsink.start_process(sink)
    try:
        def transport():
            return YagTransport(host="127.0.0.1", port=port, user=settings.sender, password="", tls="none",
                                timeout=settings.smtp_timeout, envelope_from=settings.sender)

        report = dispatch.simulate(cli.db_url(), loop, first, last, step=the_step, at=at_time, script=the_script,
                                   settings=settings, transport_factory=transport, sink_dir=sink)
    finally:
        mailsink.stop_process(proc)
    t = Table("uge", *dispatch.CATEGORY_HEADS, "i alt", title=f"Sendt pr. uge i loop {loop} (simuleret tid)")
    for week in sorted(report.weeks):
        c = report.weeks[week]
        t.add_row(week, *(str(c.get(k, 0) or "") for k in dispatch.CATEGORIES), str(sum(c.values())))
    cli.out.print(t)
    cli.out.print(f"{report.total} emails in {len(report.weeks)} weeks, {report.steps} dispatch runs, "
                  f"{report.submissions} scripted submissions, {report.moves} moves/cancellations, "
                  f"{report.seconds:.1f} s. The emails are in {sink}/.")
    if report.failed:
        cli.err.print(f"{report.failed} sends failed or wait for a retry; see 'kvalitetsloop outbox list'.")


def register(app: typer.Typer) -> None:
    """Add this part's commands to the `kvalitetsloop` app."""
    app.command("dispatch")(dispatch_cmd)
    app.add_typer(outbox_app, name="outbox")
    app.command("mailsink")(mailsink_cmd)
    app.add_typer(statement_app, name="statement")
    app.add_typer(package_app, name="package")
    app.add_typer(submission_app, name="submission")
    app.command("simulate")(simulate_cmd)
