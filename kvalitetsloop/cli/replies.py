"""`kvalitetsloop replies`, `event show` and `report replies`: the calendar replies read from the
organiser's mailbox, and each attendee's answer."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from kvalitetsloop.cli.common import Fail, NowOption, out, parse_now, print_table, settings, unit_of_work, wall_clock

replies_app = typer.Typer(no_args_is_help=True, help="Calendar replies read from the organiser's mailbox.")
report_app = typer.Typer(no_args_is_help=True, help="Reports on a loop.")

OUTCOME_WORDS = {"applied": "recorded", "stale": "stale (a newer answer is recorded)",
                 "unknown_event": "kept aside: unknown meeting", "not_attendee": "kept aside: not an attendee",
                 "unsent_sequence": "kept aside: a sequence never sent", "counter": "counter-proposal",
                 "malformed": "rejected"}
LISTS = {"aside": ("unknown_event", "not_attendee", "unsent_sequence"), "counters": ("counter",),
         "rejected": ("malformed",), "all": None}


def _check_imap(s) -> None:
    """The mailbox settings a fetch needs, in one sentence when they are missing."""
    missing = [name for name, value in (("KVALITETSLOOP_IMAP_HOST", s.imap_host), ("KVALITETSLOOP_IMAP_USER", s.imap_user))
               if not value]
    if missing:
        raise Fail(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: name the IMAP server "
                   "and user of the organiser's mailbox (README, 'Calendar replies')")


def run_fetch(uow, s, now, wall):
    """Read the organiser's mailbox, record the replies, send the notices they decided at once.
    Shared by the command and the Prefect flow. Returns (FetchReport, DrainReport | None)."""
    from kvalitetsloop.usecases.dispatch import send
    from kvalitetsloop.usecases.replies import fetch_replies
    from notifications.mailbox import ImapMailbox
    from notifications.transport import YagTransport

    with ImapMailbox.from_settings(s) as box:
        report = fetch_replies(uow, box, now, s)
    drained = None
    if report.notice_ids:
        drained = send(uow, now, s, YagTransport.from_settings(s), wall=wall, only=report.notice_ids)
    return report, drained


@replies_app.command("fetch")
def replies_fetch(ctx: typer.Context, now: NowOption = None):
    """Read the organiser's mailbox: record accept/decline/tentative answers and counter-proposals,
    tell the administration and the chief about declined talks and one-to-ones, file the messages."""
    s = settings()
    _check_imap(s)
    report, drained = run_fetch(unit_of_work(ctx), s, parse_now(now), wall_clock)
    o = report.outcomes
    out.print(f"Read {report.messages} messages in {s.imap_folder}: {o['applied']} answers recorded, "
              f"{o['stale']} stale, {sum(o[k] for k in LISTS['aside'])} kept aside, {o['counter']} counter-proposals, "
              f"{o['malformed']} rejected; {report.again} recorded before and only filed now; "
              f"{report.ignored} other messages left where they were.")
    # One line per answer, never wrapped: the uid and the reason are what an administrator copies.
    for line in report.lines:
        seq = "" if line.sequence is None else f" to sequence {line.sequence}"
        who = f"{line.attendee}: {line.partstat}{seq}" if line.attendee else ""
        out.print(f"  {OUTCOME_WORDS.get(line.outcome, line.outcome)}: {who} {line.uid}".rstrip()
                  + (f" ({line.reason})" if line.reason else "") + (f" [{line.subject}]" if line.subject else ""))
    if drained is not None:
        out.print(f"Sent {drained.total_sent} of {len(report.notice_ids)} notices (declines, counter-proposals).")
        if drained.total_sent < len(report.notice_ids):
            out.print("The others wait in the outbox for the next dispatch ('kvalitetsloop outbox list').")
            raise typer.Exit(1)


@replies_app.command("list")
def replies_list(ctx: typer.Context,
                 show: str = typer.Option("aside", "--show", help="aside, counters, rejected or all."),
                 limit: int = typer.Option(100, min=1, max=10000, help="At most this many, newest first.")):
    """The replies read: those kept aside (never applied), counter-proposals, rejected messages."""
    from kvalitetsloop.usecases.replies import read_replies

    if show not in LISTS:
        raise Fail(f"--show must be aside, counters, rejected or all, not '{show}'")
    rows = read_replies(unit_of_work(ctx), LISTS[show], limit)
    if not rows:
        out.print(f"No replies ({show}).")
        return
    for r in rows:
        seq = "" if r.sequence is None else f" to sequence {r.sequence}"
        out.print(f"{r.received_at.strftime('%Y-%m-%d %H:%M')} UTC  {OUTCOME_WORDS.get(r.outcome, r.outcome)}: "
                  f"{r.attendee or r.sender}" + (f" {r.partstat}{seq}" if r.partstat else ""))
        if r.event_uid:
            out.print(f"  uid: {r.event_uid}")
        if r.proposed_start:
            end = f" - {r.proposed_end.strftime('%H:%M')}" if r.proposed_end else ""
            out.print(f"  proposed: {r.proposed_start.strftime('%Y-%m-%d %H:%M')}{end} UTC")
        if r.reason:
            out.print(f"  reason: {r.reason}")
        if r.comment:
            out.print(f"  comment: {r.comment}")
        out.print(f"  subject: {r.subject}  (from {r.sender})")


def answers_table(meetings, title: str | None = None, with_meeting: bool = True) -> Table:
    """Each attendee's answer to each meeting (used by `event show` and `loop show --unit`)."""
    t = Table(title=title)
    if with_meeting:
        t.add_column("meeting")
    # An address is what a person searches for, and the answer what they came for: never cut
    # them; names, roles and titles wrap instead.
    t.add_column("attendee", no_wrap=True)
    t.add_column("role")
    t.add_column("svar", no_wrap=True)
    t.add_column("svaret", no_wrap=True)
    t.add_column("kommentar")
    for m in meetings:
        tz = m.event.start.tzinfo
        heading = f"{m.event.start.strftime('%Y-%m-%d %H:%M')} (seq {m.event.sequence}) {m.event.title}"
        for i, a in enumerate(m.attendees):
            when = a.recorded.replied_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if a.recorded else ""
            row = [a.email, a.role, a.words, when, a.recorded.comment if a.recorded else ""]
            t.add_row(*([heading if i == 0 else ""] if with_meeting else []), *row)
    return t


def event_show_cmd(ctx: typer.Context, uid: str = typer.Argument(..., help="The event's uid (loop show --unit lists them).")):
    """One event: when, its status and sequence, and each attendee's answer to the invitation."""
    from kvalitetsloop.usecases.replies import event_answers

    m = event_answers(unit_of_work(ctx), uid)
    e = m.event
    fmt = "%Y-%m-%d" if e.all_day else "%Y-%m-%d %H:%M"
    out.print(f"{e.title} ({e.kind}), loop {m.loop_id}")
    out.print(f"  {e.start.strftime(fmt)}{'' if e.all_day else ' - ' + e.end.strftime('%H:%M')}, status {e.status}, "
              f"sequence {e.sequence}")
    if not e.is_meeting:
        out.print("  A deadline: no invitation, so no answers.")
        return
    counts = ", ".join(f"{m.count(k)} {w}" for k, w in (("ACCEPTED", "deltager"), ("TENTATIVE", "måske"),
                                                         ("DECLINED", "afbud"), ("NEEDS-ACTION", "ikke svaret")))
    out.print(f"  Svar: {counts}")
    print_table(answers_table([m], with_meeting=False))


@report_app.command("replies")
def report_replies(ctx: typer.Context, loop: str = typer.Argument(..., help="Loop id, e.g. 0-6-2027-04-28.")):
    """Answers to the invitations sent so far, per kind of meeting and chief."""
    from kvalitetsloop.usecases.replies import replies_report

    rows = replies_report(unit_of_work(ctx), loop)
    if not rows:
        out.print(f"No invitation of loop {loop} has been sent yet.")
        return
    t = Table("kind", "chef", "møder", "inviterede", "deltager", "måske", "afbud", "ikke svaret",
              title=f"Svar på invitationer, loop {loop}")
    total = {"meetings": 0, "people": 0, "ACCEPTED": 0, "TENTATIVE": 0, "DECLINED": 0, "NEEDS-ACTION": 0}
    for r in rows:
        unanswered = r.people - r.counts["ACCEPTED"] - r.counts["TENTATIVE"] - r.counts["DECLINED"]
        t.add_row(r.kind, r.chief or "(fælles møde)", str(r.meetings), str(r.people), str(r.counts["ACCEPTED"]), str(r.counts["TENTATIVE"]),
                  str(r.counts["DECLINED"]), str(unanswered))
        total["meetings"] += r.meetings
        total["people"] += r.people
        for k in ("ACCEPTED", "TENTATIVE", "DECLINED"):
            total[k] += r.counts[k]
        total["NEEDS-ACTION"] += unanswered
    t.add_row("i alt", "", *(str(total[k]) for k in ("meetings", "people", "ACCEPTED", "TENTATIVE", "DECLINED",
                                                       "NEEDS-ACTION")))
    print_table(t)


def unit_answers_table(ctx: typer.Context, loop: str, unit: str) -> Optional[Table]:
    """The answers to a unit's meetings, for `loop show --unit`."""
    from kvalitetsloop.usecases.replies import unit_answers

    meetings = unit_answers(unit_of_work(ctx), loop, unit)
    return answers_table(meetings, title="Svar på invitationer") if meetings else None
