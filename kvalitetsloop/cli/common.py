"""What every command shares: the consoles, the one-sentence failure, `--now`, files, the unit of work.

Kept light on purpose: `kvalitetsloop --help` imports this module and the command modules, so
nothing here imports SQLAlchemy, Prefect, icalendar or Jinja2 at module level; commands import
what they need when they run.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

# Tables stay readable when the output is piped (rich would otherwise assume 80 columns).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

NOW_HELP = "The time to act as if it were now (ISO, e.g. 2027-05-01T09:00+02:00); default: the clock."
NowOption = Annotated[Optional[str], typer.Option("--now", help=NOW_HELP)]


class Fail(Exception):
    """Raised by commands to end with one sentence and a non-zero exit."""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 event', '2 events': the command line's English counts (plural: an irregular one)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def wall_clock() -> dt.datetime:
    """The real clock: the entry point is the only place that reads it."""
    return dt.datetime.now(dt.timezone.utc)


def parse_now(value: Optional[str]) -> dt.datetime:
    """--now, or the wall clock when it is not given."""
    if value is None:
        return wall_clock()
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Fail(f"--now '{value}' is not an ISO time like 2027-05-01T09:00+02:00") from None
    if now.tzinfo is None:
        from zoneinfo import ZoneInfo

        from cycle.framework import DEFAULT_TIMEZONE

        now = now.replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    return now


def database_url(ctx: typer.Context) -> str:
    """--database-url (or its environment variable), else the settings' default."""
    url = (ctx.find_root().obj or {}).get("database_url")
    if url:
        return url
    from kvalitetsloop.settings import get_settings

    return get_settings().database_url


def unit_of_work(ctx: typer.Context):
    """The command's unit of work, on a database brought to the newest schema first."""
    from kvalitetsloop.bootstrap import unit_of_work_for

    return unit_of_work_for(database_url(ctx))


def settings():
    from kvalitetsloop.settings import get_settings

    return get_settings()


def check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise Fail(f"cannot write {path} ({exc.strerror or exc})") from None


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Fail(f"the {what} file {path} does not exist") from None
    except UnicodeDecodeError:
        raise Fail(f"the {what} file {path} is not UTF-8 text") from None
    except IsADirectoryError:
        raise Fail(f"{path} is a folder, not the {what} file") from None


def read_small_file(path: Path, what: str) -> str:
    """A text a person wrote (a statement, a form): not empty, at most 1 MB."""
    text = read_text(path, what)
    if not text.strip():
        raise Fail(f"the {what} file {path} is empty")
    if len(text) > 1_000_000:
        raise Fail(f"the {what} file {path} is larger than 1 MB")
    return text


def print_table(table) -> None:
    """Print a rich Table; a table of plain one-line cells that fits the width is drawn here.

    Rich lays out every cell through its renderables, which costs about 1 ms per row: 0.3 s for
    the 300 chiefs of a national `loop show`, 4 s for `org list` of 4,400 units. The drawing below
    gives the same characters (rich's default box, padding and alignment) in a few milliseconds.
    Anything else (a cell with markup or a line break, a table wider than the terminal, which rich
    wraps) is left to rich.
    """
    text = _plain_table(table, out.width)
    if text is None:
        out.print(table)
    else:
        out.file.write(text)
        out.file.flush()


# What rich reads as an emoji code (":smile:"): a time like 08:00 is not one.
_EMOJI_CODE = re.compile(r":\S+?:")


def _plain_table(table, width: int) -> Optional[str]:
    from rich.cells import cell_len

    if not table.show_header or table.caption or not table.box or table.show_lines:
        return None
    columns = table.columns
    cells = [list(c._cells) for c in columns]
    # Markup, emoji codes (":smile:") and control characters are rich's to interpret or drop.
    if any(not isinstance(v, str) or "[" in v or _EMOJI_CODE.search(v) or any(ch < " " for ch in v)
           for col in cells for v in col):
        return None
    if any(not isinstance(c.header, str) or "[" in c.header for c in columns):
        return None
    if table.title is not None and (not isinstance(table.title, str) or "[" in table.title):
        return None
    widths = [max([cell_len(c.header), c.min_width or 0, *(cell_len(v) for v in vals)])
              for c, vals in zip(columns, cells)]
    total = sum(widths) + 3 * len(widths) + 1
    if total > width:
        return None
    bold, italic, reset = ("\x1b[1m", "\x1b[3m", "\x1b[0m") if out.is_terminal and not out.no_color else ("", "", "")

    def line(values, justify, left, mid, right, style=""):
        parts = []
        for v, w, j in zip(values, widths, justify):
            pad = w - cell_len(v)
            text = v + " " * pad if j == "left" else " " * pad + v if j == "right" else \
                " " * (pad // 2) + v + " " * (pad - pad // 2)
            parts.append(f" {style}{text}{reset if style else ''} ")
        return left + mid.join(parts) + right

    def rule(left, fill, mid, right):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    rows = []
    if table.title is not None:
        # The consoles soft-wrap, and rich then prints the title as it is, not centred.
        rows.append(f"{italic}{table.title}{reset}" if italic else table.title)
    justify = [c.justify for c in columns]
    rows.append(rule("┏", "━", "┳", "┓"))
    rows.append(line([c.header for c in columns], justify, "┃", "┃", "┃", bold))
    rows.append(rule("┡", "━", "╇", "┩"))
    for values in zip(*cells):
        rows.append(line(values, justify, "│", "│", "│"))
    rows.append(rule("└", "─", "┴", "┘"))
    return "\n".join(rows) + "\n"
