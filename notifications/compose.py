"""One outbox row to the bytes of one email: render the templates, make the link, build the MIME."""

from __future__ import annotations

import datetime as dt

from cycle.kinds import notification
from notifications import links, mime
from notifications.render import render, reply_instead_text, words_of


def organisation(settings) -> dict:
    return {"name": settings.organiser_name, "email": settings.organiser}


def reply_instead(row, settings) -> str | None:
    """What to ask for instead of a form link while the forms are not served (settings.forms_enabled)."""
    return None if settings.forms_enabled else reply_instead_text(row.context or {})


def link_for(row, settings) -> str | None:
    ctx = row.context or {}
    spec = ctx.get("link")
    if spec and spec.get("purpose") in links.PATHS and not settings.forms_enabled:
        return None
    if spec and spec.get("expires") and spec.get("purpose") in links.PATHS:
        tok = links.token(settings.link_secret, spec["purpose"], spec["event_uid"], row.recipient,
                          dt.datetime.fromisoformat(spec["expires"]))
        return links.url(settings.base_url, spec["purpose"], tok)
    return ctx.get("url") or None


def author(row, settings) -> str:
    """The From address of an outbox row's email.

    An invitation is From the organiser, the ORGANIZER of its calendar file, so the attendee's
    program shows the administration as the sender and its accept/decline reply and any bounce
    reach one mailbox (SPEC 4.2, 4.3); the system address, when it differs, is its Sender. Other
    emails are From the system address, with Reply-To the organiser."""
    return settings.organiser if row.method else settings.sender


def envelope_sender(row, settings) -> str:
    """The SMTP envelope sender (MAIL FROM), where bounces go: the From address of the email."""
    return author(row, settings)


def compose(row, settings, now: dt.datetime) -> bytes:
    """The message of an outbox row, dated `now`, with the row's own Message-ID."""
    ctx = row.context or {}
    name = (ctx.get("names") or {}).get(row.recipient, "")
    link = link_for(row, settings)
    r = render(notification(row.kind).template, ctx, row.recipient, name, organisation(settings), link,
               reply_instead=reply_instead(row, settings))
    headers = {"X-Kvalitetsloop-Kind": row.kind}
    if row.event_uid:
        headers["X-Kvalitetsloop-Event"] = row.event_uid
    env = mime.Envelope(
        sender=author(row, settings), sender_name=settings.organiser_name,
        on_behalf=settings.sender if row.method else None, recipient=row.recipient, recipient_name=name,
        subject=r.subject, message_id=row.message_id, date=now, auto_submitted=notification(row.kind).auto_submitted,
        reply_to=settings.organiser, method=row.method, ics=row.ics, headers=headers,
        timezone=words_of(ctx)["timezone"])
    return mime.build(env, r.text, r.html)
