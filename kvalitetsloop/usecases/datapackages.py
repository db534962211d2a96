"""Use cases of the data team's page: the packages requested and not ready, and marking one
ready (with a link, or an uploaded PDF the portal then serves).

Marking ready is a `data_package_ready` submission, exactly as `package ready` on the command
line: the next dispatch sends the existing notice to the unit's leader and board, and announces
it as the Prefect event `kvalitetsloop.data-package.ready` (flows/dispatch.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cycle import kinds, vocabulary
from kvalitetsloop.usecases.forms import FormRejected, LinkRefused, is_pdf, MAX_PDF_BYTES
from notifications import links
from storage.models_notifications import CapabilityRow, SubmissionRow
from storage.models_portal import SubmissionFormRow

# An uploaded package can be downloaded for this long after its talk.
FILE_DAYS_AFTER_TALK = 730


@dataclass
class PackageLine:
    event_uid: str
    loop_id: str
    unit_id: str
    unit_name: str
    sector: str
    sector_label: str
    number: int | None
    due: dt.date
    talk_date: str | None
    tailored: bool
    overdue: bool


def new_data_team_link(uow, email: str, now: dt.datetime, expires: dt.datetime) -> str:
    """A fresh link to the data team's page; only its hash is stored."""
    token = links.new_token()
    with uow:
        uow.portal.add_capability(CapabilityRow(token_hash=links.token_hash(token), purpose=links.DATA_TEAM,
                                                event_uid="", recipient=email, expires_at=expires, created_at=now))
        uow.commit()
    return token


def data_team_url(base_url: str, token: str) -> str:
    return links.url(base_url, links.DATA_TEAM, token)


def _check(uow, token: str, now: dt.datetime, purpose: str = links.DATA_TEAM) -> CapabilityRow:
    cap = uow.portal.capability(links.token_hash(token)) if links.well_formed(token) else None
    if cap is None or cap.purpose != purpose:
        raise LinkRefused("Linket findes ikke. Tjek, at hele adressen fra e-mailen er kopieret med.")
    if now >= cap.expires_at:
        raise LinkRefused("Linket er udløbet. Den næste bestilling af datapakker har et nyt link.", expired=True)
    return cap


def requested(uow, token: str, now: dt.datetime) -> list[PackageLine]:
    """The packages whose request has gone out (their trigger day has come) and that are not
    ready, by sector and due date."""
    with uow:
        _check(uow, token, now)
        units = uow.organisation.load().by_id()
        horizon = now + dt.timedelta(days=400)
        pairs = uow.portal.events_of_kind(kinds.DATA_PACKAGE.event_kind, horizon)
        ready = uow.portal.submitted_uids(kinds.DATA_PACKAGE.submission, [e.uid for e, _ in pairs])
        zones = {}
        out = []
        for e, loop in pairs:
            if e.uid in ready:
                continue
            tz = zones.setdefault(loop.id, ZoneInfo(uow.loops.framework(loop).timezone))
            today = now.astimezone(tz).date()
            trigger = (e.details or {}).get("trigger_date")
            if trigger and trigger > today.isoformat():
                continue
            due = e.start.astimezone(tz).date()
            u = units.get(e.unit_id or "")
            out.append(PackageLine(e.uid, loop.id, e.unit_id or "", u.name if u else e.title, e.sector or "",
                                   vocabulary.sector_label(e.sector), e.number, due,
                                   (e.details or {}).get("talk_date"), bool((e.details or {}).get("tailored")),
                                   due < today))
    out.sort(key=lambda p: (p.sector_label, p.due, p.unit_name))
    return out


def mark_ready(uow, token: str, event_uid: str, url: object, upload: tuple[str, bytes] | None, now: dt.datetime,
               base_url: str) -> SubmissionRow:
    """Mark one requested package ready with a link or an uploaded PDF."""
    url = url.strip() if isinstance(url, str) else ""
    problems = {}
    if upload and upload[1]:
        if len(upload[1]) > MAX_PDF_BYTES:
            problems["file"] = f"Filen er for stor; højst {MAX_PDF_BYTES // (1024 * 1024)} MB."
        elif not is_pdf(upload[1]):
            problems["file"] = "Filen er ikke en PDF-fil."
    elif url:
        if not re.fullmatch(r"https?://[^\s<>\"'\\]+", url) or len(url) > 1000:
            problems["url"] = "Linket skal begynde med https:// eller http:// og må ikke indeholde mellemrum."
    else:
        problems["url"] = "Angiv et link til datapakken, eller vælg en PDF-fil."
    with uow:
        cap = _check(uow, token, now)
        event = uow.events.row(event_uid)
        loop = uow.loops.get(event.loop_id) if event is not None else None
        if event is None or event.kind != kinds.DATA_PACKAGE.event_kind or event.status == "cancelled" \
                or loop is None or loop.status != "active":
            raise LinkRefused("Datapakken findes ikke.")
        if problems:
            raise FormRejected(problems)
        name = data = None
        if upload and upload[1]:
            file_token = links.new_token()
            talk = (event.details or {}).get("talk_date")
            until = dt.datetime.combine(dt.date.fromisoformat(talk) if talk else now.date(), dt.time(),
                                        dt.timezone.utc) + dt.timedelta(days=FILE_DAYS_AFTER_TALK)
            uow.portal.add_capability(CapabilityRow(token_hash=links.token_hash(file_token),
                                                    purpose=links.DATA_PACKAGE_FILE, event_uid=event.uid,
                                                    recipient="", expires_at=until, created_at=now))
            # The leader and the board get this address in the notice: a download link, not a form.
            url = links.url(base_url, links.DATA_PACKAGE_FILE, file_token)
            name, data = re.sub(r"[^\w.\- ]", "_", upload[0] or "datapakke.pdf")[:120], upload[1]
        row = SubmissionRow(event_uid=event.uid, loop_id=loop.id, kind=kinds.DATA_PACKAGE.submission,
                            unit_id=event.unit_id, number=event.number, submitted_at=now, by=cap.recipient, url=url)
        uow.portal.add_submission(row, SubmissionFormRow(capability_hash=cap.token_hash, form={"url": url},
                                                         attachment_name=name, attachment=data))
        uow.commit()
    return row


def package_file(uow, token: str, now: dt.datetime) -> tuple[str, bytes]:
    """An uploaded data package, by its download link: (file name, PDF bytes)."""
    with uow:
        cap = _check(uow, token, now, links.DATA_PACKAGE_FILE)
        for s, f in reversed(uow.portal.versions(cap.event_uid, kinds.DATA_PACKAGE.submission)):
            if f is not None and f.attachment and f.capability_hash and s.url and s.url.endswith(token):
                return f.attachment_name or "datapakke.pdf", f.attachment
    raise LinkRefused("Filen findes ikke.")
