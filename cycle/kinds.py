"""The registry of deadline kinds and notification kinds: one table every layer reads.

A deadline kind says what is submitted to meet it, who the event is for and who is reminded, at
which offsets (read from the framework), which notifications it causes (reminder, escalation,
notice of receipt) and to whom, its link (purpose and URL path of the web form), whether the
chief's weekly digest lists it, and its words: the Danish of the calendar text, the link label,
the event title, and an English phrase for command-line errors.
Danish words take `str.format` fields from cycle.vocabulary.words() (``{board_s}``, ``{talk}``
...) so each municipality's own words are used.

Adding a deadline kind: an entry here (and in DEADLINES), its framework keys, the templates of its
notifications (KIND.txt and KIND.html), tests. Pure Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cycle.framework import Framework

Schedule = Literal["before_due", "after_talk", "none"]


@dataclass(frozen=True)
class DeadlineWords:
    """The Danish of a deadline kind (fields from cycle.vocabulary.words and the event)."""

    # Calendar DESCRIPTION of the deadline (calendars.texts): {number} {unit} {talk} {board_s} {body} ...
    calendar: str
    # Title of the planned event: {n} {unit} {talk} {board} {Data_package} {body} {what} {year}.
    title: str
    # The web form's button.
    link_label: str | None = None
    # The button of the notice's link, where the notice asks its recipient to answer.
    answer_link_label: str | None = None


@dataclass(frozen=True)
class DeadlineKind:
    event_kind: str
    # The `submission.kind` that meets the deadline; reminders stop once it has arrived.
    submission: str
    # Who a unit's event of this kind is for (its attendees), from the framework.
    attendees: Callable[[Framework], list[str]]
    # Who reminders go to (roles among the event's attendees).
    remind: tuple[str, ...] = ()
    # "before_due": a reminder series at the framework's offsets (days before the due date);
    # "after_talk": every few days after the talk until some days past the due date (follow-up
    # form); "none": no reminders.
    schedule: Schedule = "none"
    # The framework key of the reminder offsets (documentation) and its accessor (empty when the
    # framework has no such section).
    offsets_key: str | None = None
    offsets: Callable[[Framework], tuple[int, ...]] = lambda fw: ()
    reminder: str | None = None
    # Sent at the end of the working day of the due date when nothing has arrived.
    escalation: str | None = None
    escalate_to: Callable[[Framework], list[str]] = lambda fw: []
    # Sent when the submission arrives, to `notice_to`; `notice_url`: the submission's URL is the
    # email's link; `notice_keyed_by_sequence`: the notice's key carries the event's sequence.
    notice: str | None = None
    notice_to: Callable[[Framework], list[str]] = lambda fw: []
    notice_url: bool = False
    notice_keyed_by_sequence: bool = True
    # Where the notice's recipient answers what arrived (the chief decides on a supervision
    # report): the `submission.kind` of the answer, its link's purpose and URL path.
    answer: str | None = None
    answer_link: str | None = None
    answer_path: str | None = None
    # The purpose of the capability link in reminders (notifications.links), and its URL path
    # (None: the link is a URL given with the submission, like a data package's).
    link: str | None = None
    path: str | None = None
    # Listed in the chief's weekly digest while missing.
    in_digest: bool = False
    # Where the deadline lies from the talk it hangs off ("before" / "after"), or None.
    talk: Literal["before", "after"] | None = None
    words: DeadlineWords = DeadlineWords("{title}.", "{unit}")
    # For command-line errors: "unit X has no {english} in an active loop"; "the {noun} must ...".
    english: str = ""
    noun: str = ""


@dataclass(frozen=True)
class NotificationKind:
    name: str
    template: str
    # The column of the simulation's weekly table.
    category: str
    # The deadline kind (event kind) it belongs to, if any.
    deadline: str | None = None
    # Reminders and notices are auto-generated (RFC 3834); invitations never are.
    auto_submitted: bool = True


BOARD_STATEMENT = DeadlineKind(
    event_kind="board_statement_due", submission="board_statement",
    attendees=lambda fw: ["board", *fw.board_statements.escalate_to], remind=("board",),
    schedule="before_due", offsets_key="board_statements.reminder_days_before_due",
    offsets=lambda fw: tuple(fw.board_statements.reminder_days_before_due),
    reminder="board_statement_reminder",
    escalation="board_statement_escalation", escalate_to=lambda fw: list(fw.board_statements.escalate_to),
    link="board_statement", path="/udtalelse/{token}", in_digest=True, talk="before",
    words=DeadlineWords(
        calendar="Frist for {board_s} skriftlige udtalelse før {talk} {number} for {unit}.",
        title="Udtalelse fra {board} før {talk} {n}: {unit}",
        link_label="Skriv {board_s} udtalelse"),
    english="a board statement before talk {n}", noun="board statement")

YOUTH_INPUT = DeadlineKind(
    event_kind="youth_input_due", submission="youth_input",
    attendees=lambda fw: ["leader", "youth_rep"], remind=("leader", "youth_rep"),
    schedule="before_due", offsets_key="youth_input.reminder_days_before_due",
    offsets=lambda fw: tuple(fw.youth_input.reminder_days_before_due) if fw.youth_input else (),
    reminder="youth_input_reminder", link="youth_input", path="/ungeinput/{token}", in_digest=True, talk="before",
    words=DeadlineWords(calendar="Frist for input fra {body} før {talk} {number} for {unit}.",
                        title="Input fra {body} før {talk} {n}: {unit}",
                        link_label="Registrér børnenes og de unges input"),
    english="a youth-input deadline before talk {n}", noun="youth input")

FOLLOWUP_FORM = DeadlineKind(
    event_kind="followup_form_due", submission="followup_form",
    attendees=lambda fw: ["leader", "chief"], remind=("leader",),
    schedule="after_talk", offsets_key="followup_form.reminder_every_days",
    reminder="followup_form_reminder", link="followup_form", path="/opfoelgning/{token}", in_digest=True,
    talk="after",
    words=DeadlineWords(
        calendar="Frist for opfølgningsskemaet efter {talk} {number} for {unit}.",
        title="Opfølgningsskema efter {talk} {n} ({what}): {unit}",
        link_label="Udfyld opfølgningsskemaet"),
    english="a follow-up form after talk {n}", noun="follow-up form")

SUPERVISION_REPORT = DeadlineKind(
    event_kind="supervision_report_due", submission="supervision_report",
    attendees=lambda fw: ["board", "chief"], remind=("board",),
    schedule="before_due", offsets_key="supervision_report.reminder_days_before_due",
    offsets=lambda fw: tuple(fw.supervision_report.reminder_days_before_due) if fw.supervision_report else (),
    reminder="supervision_report_reminder",
    escalation="supervision_report_missing", escalate_to=lambda fw: ["chief"],
    notice="supervision_report_received", notice_to=lambda fw: ["chief"], notice_keyed_by_sequence=False,
    # The chief reads the report and records whether a follow-up meeting with the board is needed
    # [000: "I de tilfælde hvor data giver anledning til yderligere opfølgning, afholder Børn- og
    # Unge-chefen møde med bestyrelsen"].
    answer="supervision_followup", answer_link="supervision_followup", answer_path="/tilsynsopfoelgning/{token}",
    link="supervision_report", path="/tilsyn/{token}", in_digest=True,
    words=DeadlineWords(
        calendar="Frist for {board_s} skriftlige tilsynsafrapportering for {unit}.",
        title="Skriftlig tilsynsafrapportering fra {board} ({year}): {unit}",
        link_label="Aflevér tilsynsafrapporteringen",
        answer_link_label="Læs afrapporteringen, og tag stilling til et opfølgningsmøde"),
    english="supervision report {n}", noun="supervision report")

REPORT_BACK = DeadlineKind(
    event_kind="report_back_due", submission="report_back",
    attendees=lambda fw: ["leader", "chief"], remind=("leader",),
    schedule="before_due", offsets_key="report_back.reminder_days_before_due",
    offsets=lambda fw: tuple(fw.report_back.reminder_days_before_due) if fw.report_back else (),
    reminder="report_back_reminder", in_digest=True,
    words=DeadlineWords(calendar="Frist for afrapportering af {report_back} for {unit}.",
                        title="Afrapportering: {unit}"),
    english="a report-back", noun="report-back")

# A data package is a deadline for the data team: it must be available by its date. It is met by
# "data_package_ready" (with the package's URL), which tells the unit; it is never reminded.
DATA_PACKAGE = DeadlineKind(
    event_kind="data_package", submission="data_package_ready",
    attendees=lambda fw: list(fw.data_packages.notify) if fw.data_packages else [],
    notice="data_package_ready", notice_to=lambda fw: list(fw.data_packages.notify) if fw.data_packages else [],
    notice_url=True,
    link="data_package", talk="before",
    words=DeadlineWords(
        calendar="{Data_package} {number} til {unit} er tilgængelig senest denne dag (før {talk} {number}).",
        title="{Data_package} {n}: {unit}",
        link_label="Åbn {the_data_package}"),
    english="data package {n}", noun="data package")

# In this order: the submission kinds, the commands' help and the simulation's script follow it.
DEADLINES: tuple[DeadlineKind, ...] = (BOARD_STATEMENT, YOUTH_INPUT, FOLLOWUP_FORM, SUPERVISION_REPORT, REPORT_BACK,
                                       DATA_PACKAGE)

_BY_EVENT = {d.event_kind: d for d in DEADLINES}
_BY_SUBMISSION = {d.submission: d for d in DEADLINES}
_BY_LINK = {**{d.link: d for d in DEADLINES if d.link}, **{d.answer_link: d for d in DEADLINES if d.answer_link}}

DEADLINE_EVENT_KINDS: tuple[str, ...] = tuple(d.event_kind for d in DEADLINES)
SUBMISSION_KINDS: tuple[str, ...] = tuple(d.submission for d in DEADLINES)
# What meets each deadline event: its event kind -> the submission kind (what a query joins on).
SUBMISSION_OF_EVENT: dict[str, str] = {d.event_kind: d.submission for d in DEADLINES}
# The deadlines a chief's weekly digest lists while they are missing.
DIGEST_DEADLINES: tuple[str, ...] = tuple(d.event_kind for d in DEADLINES if d.in_digest)
# URL path of each link purpose that is a web form.
LINK_PATHS: dict[str, str] = {**{d.link: d.path for d in DEADLINES if d.link and d.path},
                              **{d.answer_link: d.answer_path for d in DEADLINES if d.answer_link}}

INVITATION = "invitation"
DATA_PACKAGE_TRIGGER = "data_package_trigger"
WEEKLY_DIGEST = "weekly_digest"
# Calendar replies read from the organiser's mailbox (cycle.replies): a required participant's
# decline, and a proposed new time (METHOD:COUNTER), told to the administration (and the chief).
REPLY_DECLINED = "reply_declined"
REPLY_COUNTER = "reply_counter"
# The weekly table's column for an invitation that is not a first one (moved, cancelled, removed).
CHANGED_INVITATION_CATEGORY = "ændringer"

# Every kind of email, in the order the simulation's report lists them.
NOTIFICATION_KINDS: dict[str, NotificationKind] = {n.name: n for n in (
    NotificationKind(INVITATION, "invitation", "invitationer", auto_submitted=False),
    NotificationKind("board_statement_reminder", "board_statement_reminder", "påmindelser bestyrelse",
                     BOARD_STATEMENT.event_kind),
    NotificationKind("board_statement_escalation", "board_statement_escalation", "eskaleringer",
                     BOARD_STATEMENT.event_kind),
    NotificationKind("youth_input_reminder", "youth_input_reminder", "andre påmindelser", YOUTH_INPUT.event_kind),
    NotificationKind("followup_form_reminder", "followup_form_reminder", "opfølgningsskema",
                     FOLLOWUP_FORM.event_kind),
    NotificationKind("supervision_report_reminder", "supervision_report_reminder", "andre påmindelser",
                     SUPERVISION_REPORT.event_kind),
    NotificationKind("supervision_report_missing", "supervision_report_missing", "eskaleringer",
                     SUPERVISION_REPORT.event_kind),
    NotificationKind("supervision_report_received", "supervision_report_received", "beskeder",
                     SUPERVISION_REPORT.event_kind),
    # Sent by the portal when a board's statement or a leader's follow-up form is posted.
    NotificationKind("board_statement_receipt", "board_statement_receipt", "beskeder", BOARD_STATEMENT.event_kind),
    NotificationKind("followup_form_to_board", "followup_form_to_board", "beskeder", FOLLOWUP_FORM.event_kind),
    NotificationKind("report_back_reminder", "report_back_reminder", "andre påmindelser", REPORT_BACK.event_kind),
    NotificationKind(DATA_PACKAGE_TRIGGER, "data_package_trigger", "datapakke-bestillinger", DATA_PACKAGE.event_kind),
    NotificationKind("data_package_ready", "data_package_ready", "beskeder", DATA_PACKAGE.event_kind),
    NotificationKind(WEEKLY_DIGEST, "weekly_digest", "ugeoversigter"),
    NotificationKind(REPLY_DECLINED, "reply_declined", "beskeder"),
    NotificationKind(REPLY_COUNTER, "reply_counter", "beskeder"),
)}
# The columns of the simulation's weekly table, in order.
CATEGORIES: tuple[str, ...] = ("invitationer", CHANGED_INVITATION_CATEGORY, "påmindelser bestyrelse", "eskaleringer",
                               "opfølgningsskema", "andre påmindelser", "datapakke-bestillinger", "beskeder",
                               "ugeoversigter")


def deadline_for_event_kind(kind: str) -> DeadlineKind | None:
    """The deadline kind of an event kind ("board_statement_due" ...), or None for other events."""
    return _BY_EVENT.get(kind)


def deadline_for_submission(kind: str) -> DeadlineKind | None:
    """The deadline kind a submission kind ("board_statement" ...) meets, or None."""
    return _BY_SUBMISSION.get(kind)


def deadline_for_link(purpose: str) -> DeadlineKind | None:
    """The deadline kind whose emails carry a link of this purpose (its form's, or the answer
    link of its notice), or None."""
    return _BY_LINK.get(purpose)


def is_answer_link(purpose: str) -> bool:
    """Whether links of this purpose answer a notice (the chief's answer to a supervision report)."""
    deadline = _BY_LINK.get(purpose)
    return deadline is not None and deadline.answer_link == purpose


def notification(kind: str) -> NotificationKind:
    """The registered notification kind; KeyError names an unknown one."""
    return NOTIFICATION_KINDS[kind]


def reminder_offsets(fw: Framework) -> tuple[int, ...]:
    """Every reminder offset (days before a due date) the framework sets, over all deadline kinds."""
    return tuple(d for k in DEADLINES for d in k.offsets(fw))
