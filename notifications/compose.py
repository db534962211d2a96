"""One outbox row to the bytes of one email: render the templates, make the link, build the MIME."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cycle.kinds import INVITATION, notification
from notifications import links, mime
from notifications.render import render, words_of


def organisation(settings) -> dict:
    return {"name": settings.organiser_name, "email": settings.organiser}


@dataclass(frozen=True)
class Composed:
    """An email's bytes and the capability its link needs stored (only the token's hash)."""

    data: bytes
    capability: dict | None = None


def link_for(row, settings, now: dt.datetime) -> tuple[str | None, dict | None]:
    """The email's link and, for a web form's link, the capability row to store: a fresh random
    token per composed email; the token itself is in the email only."""
    ctx = row.context or {}
    spec = ctx.get("link")
    if spec and spec.get("expires") and spec.get("purpose") in links.PATHS:
        tok = links.new_token()
        cap = {"token_hash": links.token_hash(tok), "purpose": spec["purpose"], "event_uid": spec["event_uid"],
               "recipient": row.recipient, "expires_at": dt.datetime.fromisoformat(spec["expires"]),
               "created_at": now}
        return links.url(settings.base_url, spec["purpose"], tok), cap
    return ctx.get("url") or None, None


def personal_links(row, settings) -> dict | None:
    """An invitation shows the recipient's calendar feed and page of talks (the portal); the
    token is the stable one of notifications.links.personal_token, its hash stored by dispatch."""
    if row.kind != INVITATION:
        return None
    token = links.personal_token(settings.link_secret, links.FEED, row.recipient)
    base = settings.base_url.rstrip("/")
    return {"feed_url": base + links.FEED_PATH.format(token=token),
            "talks_url": base + links.PERSON_PATH.format(token=token)}


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
    """The message of an outbox row, dated `now`, with the row's own Message-ID (a link in it is
    not stored, so it does not work: for dry runs)."""
    return compose_message(row, settings, now).data


def compose_message(row, settings, now: dt.datetime) -> Composed:
    """The message of an outbox row and the capability of its link (to store before sending)."""
    ctx = row.context or {}
    name = (ctx.get("names") or {}).get(row.recipient, "")
    link, cap = link_for(row, settings, now)
    r = render(notification(row.kind).template, ctx, row.recipient, name, organisation(settings), link,
               personal=personal_links(row, settings))
    headers = {"X-Kvalitetsloop-Kind": row.kind}
    if row.event_uid:
        headers["X-Kvalitetsloop-Event"] = row.event_uid
    env = mime.Envelope(
        sender=author(row, settings), sender_name=settings.organiser_name,
        on_behalf=settings.sender if row.method else None, recipient=row.recipient, recipient_name=name,
        subject=r.subject, message_id=row.message_id, date=now, auto_submitted=notification(row.kind).auto_submitted,
        reply_to=settings.organiser, method=row.method, ics=row.ics, headers=headers,
        timezone=words_of(ctx)["timezone"])
    return Composed(mime.build(env, r.text, r.html), cap)
