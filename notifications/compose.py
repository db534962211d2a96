"""One outbox row to the bytes of one email: render the templates, make the link, build the MIME."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from notifications import links, mime
from notifications.render import render

_ZONE = ZoneInfo("Europe/Copenhagen")


def organisation(settings) -> dict:
    return {"name": settings.organiser_name, "email": settings.organiser}


def link_for(row, settings) -> str | None:
    ctx = row.context or {}
    spec = ctx.get("link")
    if spec and spec.get("expires") and spec.get("purpose") in links.PATHS:
        tok = links.token(settings.link_secret, spec["purpose"], spec["event_uid"], row.recipient,
                          dt.datetime.fromisoformat(spec["expires"]))
        return links.url(settings.base_url, spec["purpose"], tok)
    return ctx.get("url") or None


def compose(row, settings, now: dt.datetime) -> bytes:
    """The message of an outbox row, dated `now`, with the row's own Message-ID."""
    ctx = row.context or {}
    name = (ctx.get("names") or {}).get(row.recipient, "")
    link = link_for(row, settings)
    r = render(row.kind if row.kind != "invitation" else "invitation", ctx, row.recipient, name,
               organisation(settings), link)
    headers = {"X-Kvalitetsloop-Kind": row.kind}
    if row.event_uid:
        headers["X-Kvalitetsloop-Event"] = row.event_uid
    env = mime.Envelope(
        sender=settings.sender, sender_name=settings.organiser_name, recipient=row.recipient, recipient_name=name,
        subject=r.subject, message_id=row.message_id, date=now, auto_submitted=row.kind != "invitation",
        reply_to=settings.organiser, method=row.method, ics=row.ics, headers=headers)
    return mime.build(env, r.text, r.html)
