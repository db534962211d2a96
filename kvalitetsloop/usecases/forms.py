"""Use cases of the web forms behind the links in emails: a board's statement, a leader's
follow-up form (the learning circle), and what a talk's participants see of its data basis.

Every submission made here is a `submission` row (so the reminders for its deadline stop, as for
one recorded from the command line) plus its form (`submission_form`: which link, the fields, a
PDF). A second post through the same link is a new version; the earlier ones are kept. A link
works until it expires; what it submitted can be amended until the deadline, and a first answer
is still taken after the deadline until the link expires.

The sentences of the errors here are Danish: the person who reads them is on a web page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from calendars.texts import danish_date
from cycle import kinds, vocabulary
from cycle.organisation import Unit
from cycle.planner import board_choice
from kvalitetsloop.errors import UserError
from kvalitetsloop.usecases.boards import CHOICES, record_board_choice
from notifications import links
from notifications.mime import new_message_id
from notifications.render import render_subject
from storage.models_notifications import SubmissionRow
from storage.models_portal import SubmissionFormRow

# What one text field may hold (a statement is a page or two; a form field less).
MAX_TEXT = 20_000
MAX_FIELD = 4_000
MAX_FOCUS_AREAS = 8
# A PDF attached to a statement.
MAX_PDF_BYTES = 5 * 1024 * 1024
# Control characters other than tab and line feed never belong in a text a person typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

RECEIPT = "board_statement_receipt"
FOLLOWUP_TO_BOARD = "followup_form_to_board"


class LinkRefused(UserError):
    """The link cannot be used: unknown, for something else, expired, or its deadline cancelled."""

    def __init__(self, message: str, *, expired: bool = False, contact: dict | None = None):
        super().__init__(message)
        self.expired = expired
        self.contact = contact or {}


class FormRejected(UserError):
    """What was posted cannot be stored; `problems` maps a field to one Danish sentence."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


@dataclass
class Version:
    number: int
    submitted_at: dt.datetime
    by: str
    text: str
    form: dict
    attachment_name: str | None = None


@dataclass
class LinkView:
    """Everything a form page shows about its deadline, read through one link."""

    purpose: str
    token_hash: str
    recipient: str
    expires_at: dt.datetime
    event_uid: str
    event_title: str
    number: int | None
    loop_id: str
    unit: Unit
    words: dict
    tz: ZoneInfo
    due_date: dt.date
    talk_start: dt.datetime | None
    themes: list[str]
    focus_areas: list[dict]
    children_perspective: str
    versions: list[Version] = field(default_factory=list)
    deadline_passed: bool = False
    # The previous talk's follow-up form (talks 2-4): what was decided then.
    previous: dict | None = None
    # A board's statement link: how the board takes part in the talk ("statement" or
    # "attendance"), where it may choose [000]; None where it has no choice.
    board_choice: str | None = None
    # The choice can change until the talk (a board that attends has no deadline to pass).
    choice_open: bool = False

    @property
    def amendable(self) -> bool:
        """Something may be posted: a first answer until the link expires, an amendment until
        the deadline; nothing while the board has chosen to attend instead."""
        return self.board_choice != "attendance" and not (self.versions and self.deadline_passed)

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None


@dataclass
class Receipt:
    view: LinkView
    version: int
    submitted_at: dt.datetime
    outbox_ids: list[int]


def _contact(unit: Unit | None, recipient: str = "") -> dict:
    """Whom the holder of a link that no longer works can ask: the unit's chief, unless the link
    was the chief's own (then the administration, which the page always names)."""
    if unit is None or not unit.role("chief") or unit.chief.email.lower() == recipient.strip().lower():
        return {}
    return {"name": unit.chief.name, "email": unit.chief.email}


def open_link(uow, token: str, purpose: str, now: dt.datetime) -> LinkView:
    """What the link `token` lets its holder see and do at `now`; LinkRefused if nothing."""
    with uow:
        return _view(uow, token, purpose, now)


def _view(uow, token: str, purpose: str, now: dt.datetime) -> LinkView:
    unknown = LinkRefused("Linket findes ikke. Tjek, at hele adressen fra e-mailen er kopieret med.")
    if not links.well_formed(token):
        raise unknown
    token_hash = links.token_hash(token)
    cap = uow.portal.capability(token_hash)
    if cap is None or cap.purpose != purpose:
        raise unknown
    event = uow.events.row(cap.event_uid)
    loop = uow.loops.get(event.loop_id) if event is not None else None
    unit = uow.organisation.load().by_id().get(event.unit_id) if event is not None else None
    if event is None or loop is None or unit is None:
        raise unknown
    if now >= cap.expires_at:
        raise LinkRefused("Linket er udløbet.", expired=True, contact=_contact(unit, cap.recipient))
    fw = uow.loops.framework(loop)
    parent = uow.events.row(event.parent_uid) if event.parent_uid else None
    choice = None
    if purpose == kinds.BOARD_STATEMENT.link and parent is not None and parent.status != "cancelled":
        choice = board_choice(fw, unit, event.number or 0, (parent.details or {}).get("board_choice"))
    # A board that chose to attend has its statement deadline cancelled, but its link still
    # shows the choice (and lets it choose a statement again until the talk).
    if (event.status == "cancelled" and choice != "attendance") or loop.status != "active":
        raise LinkRefused("Fristen, linket hører til, er aflyst.", expired=True,
                          contact=_contact(unit, cap.recipient))
    tz = ZoneInfo(fw.timezone)
    deadline = kinds.deadline_for_link(purpose)
    due = event.start.astimezone(tz).date()
    view = LinkView(
        purpose=purpose, token_hash=token_hash, recipient=cap.recipient, expires_at=cap.expires_at,
        event_uid=event.uid, event_title=event.title, number=event.number, loop_id=loop.id, unit=unit,
        words=vocabulary.words(fw), tz=tz, due_date=due,
        talk_start=parent.start.astimezone(tz) if parent is not None else None,
        themes=list(loop.themes or ()), focus_areas=[], children_perspective="",
        deadline_passed=now >= dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tz),
        board_choice=choice)
    view.versions = _versions(uow, event.uid, deadline.submission)
    # Attending needs no deadline kept; writing needs the deadline still ahead.
    view.choice_open = choice is not None and parent.start > now and (
        choice == "attendance" or not view.deadline_passed)
    first = _latest_form(uow, loop.id, unit.id, 1)
    if first:
        view.focus_areas = list(first.get("focus_areas") or [])
        view.children_perspective = first.get("children_perspective") or ""
    if purpose == kinds.FOLLOWUP_FORM.link and (event.number or 0) > 1:
        view.previous = _latest_form(uow, loop.id, unit.id, event.number - 1)
    return view


def report_attachment(uow, token: str, now: dt.datetime) -> tuple[str, bytes]:
    """The PDF a board attached to its newest supervision report, through the chief's link to
    the report (file name, bytes); LinkRefused when the link does not work or nothing is attached."""
    with uow:
        view = _view(uow, token, kinds.SUPERVISION_REPORT.answer_link, now)
        versions = uow.portal.versions(view.event_uid, kinds.SUPERVISION_REPORT.submission)
        # Only the newest version's file: an older one's is not the report now.
        newest = versions[-1][1] if versions else None
        if newest is not None and newest.attachment:
            return newest.attachment_name or "tilsynsafrapportering.pdf", newest.attachment
    raise LinkRefused("Den nyeste afrapportering har ingen vedhæftet fil.")


def _versions(uow, event_uid: str, kind: str) -> list[Version]:
    out = []
    for i, (s, f) in enumerate(uow.portal.versions(event_uid, kind), start=1):
        out.append(Version(i, s.submitted_at, s.by, s.content, dict(f.form) if f else {},
                           f.attachment_name if f else None))
    return out


def _latest_form(uow, loop_id: str, unit_id: str, number: int) -> dict | None:
    """The newest follow-up form of the unit's talk `number` in the loop, if one was recorded."""
    event = uow.portal.unit_event(loop_id, unit_id, kinds.FOLLOWUP_FORM.event_kind, number)
    if event is None:
        return None
    versions = _versions(uow, event.uid, kinds.FOLLOWUP_FORM.submission)
    return versions[-1].form if versions else None


# -- checking what a person typed ------------------------------------------------------------

def clean_text(value: object, limit: int) -> str:
    """A person's text as stored: line breaks as \\n, no other control characters, trimmed."""
    text = value if isinstance(value, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()[: limit + 1]


def is_pdf(data: bytes) -> bool:
    """A PDF by its content, not its name or declared type: the header at the start and the
    end-of-file marker near the end (PDF 1.7, 7.5.2 and 7.5.5)."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def _attachment(attachment: tuple[str, bytes] | None, problems: dict) -> tuple[str | None, bytes | None]:
    if not attachment or not attachment[1]:
        return None, None
    name, data = attachment
    if len(data) > MAX_PDF_BYTES:
        problems["pdf"] = f"Filen er for stor; den må højst fylde {MAX_PDF_BYTES // (1024 * 1024)} MB."
    elif not is_pdf(data):
        problems["pdf"] = "Filen er ikke en PDF-fil. Vedhæft en PDF, eller skriv udtalelsen i feltet."
    safe = re.sub(r"[^\w.\- ]", "_", (name or "bilag.pdf"))[:120] or "bilag.pdf"
    return safe, data


def _check_open(view: LinkView) -> None:
    if view.board_choice == "attendance":
        raise LinkRefused("I har valgt at deltage i samtalen i stedet for at skrive en udtalelse. Vælg skriftlig "
                          "udtalelse på siden først, hvis I vil skrive en.", contact=_contact(view.unit))
    if not view.amendable:
        raise LinkRefused(f"Fristen var {view.due_date.isoformat()}; det indsendte kan ikke længere ændres.",
                          contact=_contact(view.unit))


# -- the board's statement ------------------------------------------------------------------

def _replayed(view: LinkView, form_id: str | None, now: dt.datetime) -> Receipt | None:
    """The receipt of the post this form already made (a double click, a replayed post)."""
    for v in view.versions:
        if form_id and v.form.get("form_id") == form_id:
            return Receipt(view, v.number, v.submitted_at, [])
    return None


def _posting(uow, token: str, purpose: str, now: dt.datetime, form_id: str | None) -> tuple[LinkView, Receipt | None]:
    """The view of a link that is posted to, and the earlier receipt if this very form was
    posted before; LinkRefused if nothing may be posted any more."""
    view = _view(uow, token, purpose, now)
    again = _replayed(view, form_id, now)
    if again is None:
        _check_open(view)
    return view, again


def _add(uow, view: LinkView, kind: str, content: str, form: dict, now: dt.datetime,
         attachment: tuple[str | None, bytes | None] = (None, None)) -> tuple[SubmissionRow, int]:
    """A submission and its form, in the open transaction; (the row, its version number)."""
    row = SubmissionRow(event_uid=view.event_uid, loop_id=view.loop_id, kind=kind, unit_id=view.unit.id,
                        number=view.number, submitted_at=now, by=view.recipient, content=content)
    uow.portal.add_submission(row, SubmissionFormRow(capability_hash=view.token_hash, form=form,
                                                     attachment_name=attachment[0], attachment=attachment[1]))
    view.versions.append(Version(len(view.versions) + 1, now, view.recipient, content, form, attachment[0]))
    return row, len(view.versions)


def submit_statement(uow, token: str, text: object, attachment: tuple[str, bytes] | None, now: dt.datetime,
                     message_id_domain: str, form_id: str | None = None) -> Receipt:
    """Record a board's statement (or an amendment) through its link; a receipt email goes to
    the board in the same transaction (the outbox). The same form posted twice is stored once."""
    with uow:
        view, again = _posting(uow, token, kinds.BOARD_STATEMENT.link, now, form_id)
        if again is not None:
            return again
        problems: dict[str, str] = {}
        body = clean_text(text, MAX_TEXT)
        name, data = _attachment(attachment, problems)
        if not body and data is None:
            problems["text"] = "Skriv udtalelsen i feltet, eller vedhæft den som PDF."
        if len(body) > MAX_TEXT:
            problems["text"] = f"Udtalelsen er for lang; den må højst være {MAX_TEXT:,} tegn.".replace(",", ".")
        if problems:
            raise FormRejected(problems)
        row, version = _add(uow, view, kinds.BOARD_STATEMENT.submission, body, {"text": body, "form_id": form_id},
                            now, (name, data))
        ctx = {**_mail_context(view, now, version), "text": body, "attachment": name}
        board = view.unit.board.name if view.unit.role("board") else ""
        ids = _outbox(uow, RECEIPT, f"{RECEIPT}|{view.event_uid}|{row.id}", view, [(view.recipient, board)], ctx,
                      now, message_id_domain)
        uow.commit()
    return Receipt(view, version, now, ids)


def choose_by_link(uow, frameworks_dir, token: str, choice: str, now: dt.datetime):
    """The board chooses, through its statement link, a written statement or attendance at the
    talk [000: "enten i form af en udtalelse eller ved deltagelse"]: recorded as from the command
    line (kvalitetsloop.usecases.boards), in the same transaction as the link's check."""
    with uow:
        view = _view(uow, token, kinds.BOARD_STATEMENT.link, now)
        if choice not in CHOICES:
            raise FormRejected({"choice": "Vælg, om bestyrelsen skriver en udtalelse eller deltager i samtalen."})
        if view.board_choice is None or not view.choice_open:
            raise LinkRefused("Valget kan ikke længere ændres: samtalen eller fristen er passeret.",
                              contact=_contact(view.unit))
        result = record_board_choice(uow, frameworks_dir, view.loop_id, view.unit.id, view.number, choice, now)
        uow.commit()
    return result


def _mail_context(view: LinkView, now: dt.datetime, version: int) -> dict:
    u = view.unit
    return {"event": {"uid": view.event_uid, "number": view.number, "title": view.event_title},
            "unit": {"id": u.id, "name": u.name, "sector": u.sector},
            "words": view.words, "due_date": view.due_date.isoformat(),
            "talk": {"start": view.talk_start.isoformat()} if view.talk_start else None,
            "submitted_at": now.isoformat(), "version": version}


def _outbox(uow, kind: str, key: str, view: LinkView, to: list[tuple[str, str]], ctx: dict, now: dt.datetime,
            message_id_domain: str) -> list[int]:
    """Emails decided by a web submission, into the outbox in its transaction (sent at once by
    the portal, or by the next dispatch if that fails)."""
    template = kinds.notification(kind).template
    rows = []
    for email, name in to:
        c = {**ctx, "names": {email: name}}
        rows.append({"key": f"{key}|{email}", "kind": kind, "loop_id": view.loop_id, "event_uid": view.event_uid,
                     "recipient": email, "subject": render_subject(template, c, name),
                     "message_id": new_message_id(message_id_domain), "context": c, "ics": None, "method": None,
                     "status": "pending", "attempts": 0, "due_at": now, "created_at": now, "next_attempt_at": now,
                     "updated_at": now})
    uow.outbox.add_decided(rows)
    uow.session.flush()
    return uow.portal.outbox_ids([r["key"] for r in rows])


# -- youth input and the supervision report: texts and sections ------------------------------

def submit_youth_input(uow, token: str, text: object, now: dt.datetime, form_id: str | None = None) -> Receipt:
    """Record the pupils' council's or youth senate's input before talk 1 (data E of the talk)."""
    with uow:
        view, again = _posting(uow, token, kinds.YOUTH_INPUT.link, now, form_id)
        if again is not None:
            return again
        body = clean_text(text, MAX_TEXT)
        if not body:
            raise FormRejected({"text": "Skriv det input, elevrådet eller senatet har givet."})
        if len(body) > MAX_TEXT:
            raise FormRejected({"text": f"Teksten er for lang; højst {MAX_TEXT:,} tegn.".replace(",", ".")})
        _, version = _add(uow, view, kinds.YOUTH_INPUT.submission, body, {"text": body, "form_id": form_id}, now)
        uow.commit()
    return Receipt(view, version, now, [])


# The administration's template for a self-owned daycare board's written supervision report:
# "basistilsynet, kommunale retningslinjer samt det pædagogiske tilsyn" [000].
SUPERVISION_SECTIONS = (("basic", "Basistilsynet"), ("guidelines", "Kommunale retningslinjer"),
                        ("pedagogical", "Det pædagogiske tilsyn"))


def submit_supervision(uow, token: str, sections: dict, attachment: tuple[str, bytes] | None, now: dt.datetime,
                       form_id: str | None = None) -> Receipt:
    """Record a self-owned daycare board's supervision report; the next dispatch tells the chief
    (the registry's notice `supervision_report_received`)."""
    with uow:
        view, again = _posting(uow, token, kinds.SUPERVISION_REPORT.link, now, form_id)
        if again is not None:
            return again
        problems: dict[str, str] = {}
        form = {key: clean_text(sections.get(key), MAX_TEXT) for key, _ in SUPERVISION_SECTIONS}
        for key, label in SUPERVISION_SECTIONS:
            if not form[key] and not (attachment and attachment[1]):
                problems[key] = f"Udfyld afsnittet «{label}», eller vedhæft afrapporteringen som PDF."
            elif len(form[key]) > MAX_TEXT:
                problems[key] = f"Afsnittet «{label}» er for langt; højst {MAX_TEXT:,} tegn.".replace(",", ".")
        name, data = _attachment(attachment, problems)
        if problems:
            raise FormRejected(problems)
        content = "\n\n".join(f"{label}:\n{form[key]}" for key, label in SUPERVISION_SECTIONS if form[key])
        form["form_id"] = form_id
        _, version = _add(uow, view, kinds.SUPERVISION_REPORT.submission, content, form, now, (name, data))
        uow.commit()
    return Receipt(view, version, now, [])


# -- the leader's follow-up form (the learning circle) -----------------------------------------

# The learning circle's steps [000]: data, reflection, decision, action, follow-up.
CIRCLE_FIELDS = ("data", "reflection", "decisions", "next_steps", "data_to_collect")


def submit_followup(uow, token: str, answers: dict, now: dt.datetime, message_id_domain: str,
                    form_id: str | None = None) -> Receipt:
    """Record a leader's follow-up form after a talk; it is emailed to the board (the outcome
    goes back to the board [000]). After talk 1 it must hold the focus areas, each within one of
    the loop's themes, and the decision on how the children's perspective is included."""
    with uow:
        view, again = _posting(uow, token, kinds.FOLLOWUP_FORM.link, now, form_id)
        if again is not None:
            return again
        form, problems = _followup_form(view, answers)
        if problems:
            raise FormRejected(problems)
        form["form_id"] = form_id
        row, version = _add(uow, view, kinds.FOLLOWUP_FORM.submission, followup_text(form, view.words), form, now)
        ctx = {**_mail_context(view, now, version), "form": form}
        board = [(p.email, p.name) for p in view.unit.role("board")]
        ids = _outbox(uow, FOLLOWUP_TO_BOARD, f"{FOLLOWUP_TO_BOARD}|{view.event_uid}|{row.id}", view, board, ctx,
                      now, message_id_domain) if board else []
        uow.commit()
    return Receipt(view, version, now, ids)


def _followup_form(view: LinkView, answers: dict) -> tuple[dict, dict[str, str]]:
    problems: dict[str, str] = {}
    form: dict = {}
    for name in CIRCLE_FIELDS:
        form[name] = clean_text(answers.get(name), MAX_FIELD)
        if len(form[name]) > MAX_FIELD:
            problems[name] = f"Feltet må højst være {MAX_FIELD:,} tegn.".replace(",", ".")
    if not form["decisions"]:
        problems["decisions"] = "Skriv, hvad der blev besluttet."
    if view.number == 1:
        areas = []
        themes = answers.get("focus_theme") or []
        titles = answers.get("focus_title") or []
        for i, (theme, title) in enumerate(zip(themes, titles), start=1):
            theme, title = clean_text(theme, 200), clean_text(title, 400)
            if not theme and not title:
                continue
            if view.themes and theme not in view.themes:
                problems[f"focus_{i}"] = f"Fokusområde {i} skal høre til et af loopets temaer."
            elif not title:
                problems[f"focus_{i}"] = f"Fokusområde {i} mangler en beskrivelse."
            areas.append({"theme": theme, "title": title[:400]})
        if not areas:
            problems["focus_1"] = "Skriv mindst ét lokalt fokusområde, knyttet til et af temaerne."
        if len(areas) > MAX_FOCUS_AREAS:
            problems["focus"] = f"Højst {MAX_FOCUS_AREAS} fokusområder."
        form["focus_areas"] = areas
        form["children_perspective"] = clean_text(answers.get("children_perspective"), MAX_FIELD)[:MAX_FIELD]
        if not form["children_perspective"]:
            problems["children_perspective"] = "Skriv beslutningen om, hvordan børnenes perspektiv inddrages."
    else:
        form["how_it_went"] = clean_text(answers.get("how_it_went"), MAX_FIELD)[:MAX_FIELD]
        if not form["how_it_went"]:
            problems["how_it_went"] = "Skriv, hvordan det er gået med det, der blev besluttet sidst."
    return form, problems


FIELD_LABELS = {
    "data": "Data, vi drøftede",
    "reflection": "Refleksion",
    "decisions": "Beslutninger",
    "next_steps": "Næste skridt og handlinger",
    "data_to_collect": "Data at indsamle før næste samtale",
    "how_it_went": "Sådan er det gået siden sidst",
    "children_perspective": "Sådan inddrages børnenes perspektiv",
}


def followup_text(form: dict, words: dict) -> str:
    """The form as plain text (the submission's content: what `submission` lists show)."""
    parts = []
    for area in form.get("focus_areas") or []:
        parts.append(f"Fokusområde ({area['theme']}): {area['title']}")
    for name in ("children_perspective", "how_it_went", *CIRCLE_FIELDS):
        if form.get(name):
            parts.append(f"{FIELD_LABELS[name]}:\n{form[name]}")
    return "\n\n".join(parts)


# -- what a talk's participants see: its data basis ------------------------------------------

@dataclass
class TalkBasis:
    talk_uid: str
    title: str
    start: dt.datetime
    number: int | None
    unit: Unit
    words: dict
    # The framework's data basis A-E as (letter, label, what we have for it).
    basis: list[tuple[str, str, list[str]]]
    statements: list[Version]
    focus_areas: list[dict]
    children_perspective: str


def talk_basis(uow, email: str, talk_uid: str) -> TalkBasis:
    """The data basis of a talk as one of its participants sees it: the data package, the
    board's statement (D, every version), the youth input (E), the focus areas."""
    with uow:
        row = uow.events.row(talk_uid)
        if row is None or row.kind != "learning_talk":
            raise LinkRefused("Samtalen findes ikke.")
        loop = uow.loops.get(row.loop_id)
        fw = uow.loops.framework(loop)
        tz = ZoneInfo(fw.timezone)
        talk = uow.events.get(talk_uid, tz)
        if email.lower() not in {a.email.lower() for a in talk.attendees}:
            raise LinkRefused("Du deltager ikke i denne samtale.")
        unit = uow.organisation.load().by_id().get(row.unit_id)
        if unit is None:
            raise LinkRefused("Samtalen findes ikke.")
        children = uow.events.children(talk_uid, tz)
        statements: list[Version] = []
        package: list[str] = []
        youth: list[str] = []
        for c in children:
            if c.kind == kinds.BOARD_STATEMENT.event_kind:
                statements = _versions(uow, c.uid, kinds.BOARD_STATEMENT.submission)
            elif c.kind == kinds.DATA_PACKAGE.event_kind:
                urls = [s.url for s, _ in uow.portal.versions(c.uid, kinds.DATA_PACKAGE.submission) if s.url]
                package = [urls[-1]] if urls else [f"Ikke meldt klar endnu (senest {danish_date(c.start.date())})"]
            elif c.kind == kinds.YOUTH_INPUT.event_kind:
                youth = [v.text for v in _versions(uow, c.uid, kinds.YOUTH_INPUT.submission) if v.text][-1:]
        first = _latest_form(uow, loop.id, unit.id, 1) or {}
    labels = list(fw.talks.data_basis)
    stmt_lines = [statements[-1].text] if statements and statements[-1].text else []
    if statements and statements[-1].attachment_name:
        stmt_lines.append(f"Vedhæftet: {statements[-1].attachment_name}")
    have = {0: package, 3: stmt_lines, 4: youth}
    basis = [(chr(ord("A") + i), label, have.get(i, [])) for i, label in enumerate(labels)]
    return TalkBasis(talk_uid, talk.title, talk.start, talk.number, unit, vocabulary.words(fw), basis, statements,
                     list(first.get("focus_areas") or []), first.get("children_perspective") or "")


def talks_of(uow, email: str) -> list[tuple[str, str, dt.datetime]]:
    """The learning talks `email` takes part in, in the active loops: (uid, title, start)."""
    with uow:
        return [(uid, title, start) for uid, title, start in uow.portal.talks_of(email)]
