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

from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from calendars.texts import danish_date, danish_time
from cycle import kinds, vocabulary

TEMPLATES = Path(__file__).parent / "templates"
# The words of a context decided before the emails carried their loop's words (an older outbox row).
STANDARD_WORDS = vocabulary.words()


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


def words_of(context: dict) -> dict:
    """The loop's words an action's context carries (cycle.vocabulary.words), or the standard ones."""
    return (context or {}).get("words") or STANDARD_WORDS


def _zone(jinja_ctx) -> ZoneInfo:
    return ZoneInfo(jinja_ctx.get("w", STANDARD_WORDS)["timezone"])


def dato(value) -> str:
    """'onsdag den 25. august 2027'."""
    m = _moment(value)
    return danish_date(m.date() if isinstance(m, dt.datetime) else m)


@pass_context
def tid(jinja_ctx, value) -> str:
    """'onsdag den 25. august 2027 kl. 09.00' (local time in the loop's time zone)."""
    m = _moment(value)
    return danish_time(m, _zone(jinja_ctx)) if isinstance(m, dt.datetime) else danish_date(m)


@pass_context
def klokken(jinja_ctx, value) -> str:
    m = _moment(value)
    local = m.astimezone(_zone(jinja_ctx))
    return f"{local.hour:02d}.{local.minute:02d}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False,
                      keep_trailing_newline=True, auto_reload=False)
    env.filters.update(dato=dato, tid=tid, klokken=klokken, sektor=vocabulary.sector_label)
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
           link: str | None = None, personal: dict | None = None) -> Rendered:
    """`personal`: the recipient's own addresses (feed_url, talks_url) an invitation shows."""
    """Subject, text and HTML of one email to one recipient."""
    env = environment()
    txt = env.get_template(f"{template}.txt")
    html = env.get_template(f"{template}.html")
    w = words_of(context)
    variables = {"c": context, "w": w, "to": {"email": recipient, "name": name}, "greeting": greeting(name),
                 "org": organisation, "link": link, "link_label": link_label(context, w) if link else None,
                 "feed_url": None, "talks_url": None, **(personal or {})}
    subject = one_line("".join(txt.blocks["subject"](txt.new_context(variables))))
    variables["subject"] = subject
    return Rendered(subject, tidy(txt.render(variables)), html.render(variables))


def link_label(context: dict, w: dict) -> str:
    """The button of an email's link: the deadline kind's label; a URL given with a submission
    (a data package's) is the data package's."""
    purpose = (context.get("link") or {}).get("purpose")
    if purpose == "data_team":  # notifications.links.DATA_TEAM: the data team's page
        return "Meld datapakker klar"
    if not purpose and context.get("url"):
        purpose = kinds.DATA_PACKAGE.link
    deadline = kinds.deadline_for_link(purpose or "")
    label = None
    if deadline is not None:
        label = deadline.words.answer_link_label if kinds.is_answer_link(purpose) else deadline.words.link_label
    return label.format(**w) if label else "Åbn"


def render_subject(template: str, context: dict, name: str = "") -> str:
    env = environment()
    txt = env.get_template(f"{template}.txt")
    variables = {"c": context, "w": words_of(context), "to": {"email": "", "name": name},
                 "greeting": greeting(name)}
    return one_line("".join(txt.blocks["subject"](txt.new_context(variables))))
