"""Jinja2 templates: a Danish subject, plain-text and HTML body for every kind of email.

Each kind has `KIND.txt` (with a `subject` block) and `KIND.html`. HTML is autoescaped, so
nothing a user typed (unit names, board names) reaches the markup unescaped; the subject is
rendered without markup and has its line breaks removed, so nothing reaches another header.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from calendars.texts import danish_date, danish_time

TEMPLATES = Path(__file__).parent / "templates"

LINK_LABELS = {
    "board_statement": "Skriv bestyrelsens udtalelse",
    "followup_form": "Udfyld opfølgningsskemaet",
    "supervision_report": "Aflevér tilsynsafrapporteringen",
    "data_package": "Åbn datapakken",
}
SECTORS = {"dagtilbud": "dagtilbud", "skole": "skole", "fu": "FU"}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _moment(value) -> dt.datetime | dt.date:
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    text = str(value)
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def dato(value) -> str:
    """'onsdag den 25. august 2027'."""
    m = _moment(value)
    return danish_date(m.date() if isinstance(m, dt.datetime) else m)


def tid(value) -> str:
    """'onsdag den 25. august 2027 kl. 09.00' (Danish local time)."""
    m = _moment(value)
    return danish_time(m) if isinstance(m, dt.datetime) else danish_date(m)


def klokken(value) -> str:
    from calendars.timezone import ZONE

    m = _moment(value)
    local = m.astimezone(ZONE)
    return f"{local.hour:02d}.{local.minute:02d}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False,
                      keep_trailing_newline=True, auto_reload=False)
    env.filters.update(dato=dato, tid=tid, klokken=klokken, sektor=lambda s: SECTORS.get(s or "", s or ""))
    return env


def greeting(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return "Hej,"
    if name.startswith("Bestyrelsen "):
        return f"Kære bestyrelse {name[len('Bestyrelsen '):]},"
    return f"Kære {name},"


_SPACES = re.compile(r"\s+")
_BLANKS = re.compile(r"\n[ \t]*(\n[ \t]*)+\n")


def tidy(text: str) -> str:
    """Plain text with paragraphs one blank line apart (template tags leave empty lines)."""
    text = "\n".join(line.rstrip() if line != "-- " else line for line in text.strip("\n").split("\n"))
    return _BLANKS.sub("\n\n", text) + "\n"


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def render(template: str, context: dict, recipient: str, name: str, organisation: dict,
           link: str | None = None, reply_instead: str | None = None) -> Rendered:
    """Subject, text and HTML of one email to one recipient."""
    env = environment()
    txt = env.get_template(f"{template}.txt")
    html = env.get_template(f"{template}.html")
    link_purpose = (context.get("link") or {}).get("purpose") if link else None
    if link and not link_purpose and context.get("url"):
        link_purpose = "data_package"
    variables = {"c": context, "to": {"email": recipient, "name": name}, "greeting": greeting(name),
                 "org": organisation, "link": link, "link_label": LINK_LABELS.get(link_purpose or "", "Åbn"),
                 "reply_instead": reply_instead}
    subject = one_line("".join(txt.blocks["subject"](txt.new_context(variables))))
    variables["subject"] = subject
    return Rendered(subject, tidy(txt.render(variables)), html.render(variables))


def render_subject(template: str, context: dict, name: str = "") -> str:
    env = environment()
    txt = env.get_template(f"{template}.txt")
    variables = {"c": context, "to": {"email": "", "name": name}, "greeting": greeting(name)}
    return one_line("".join(txt.blocks["subject"](txt.new_context(variables))))
