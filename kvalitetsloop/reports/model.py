"""The shape every report has: a title, what it is about, and sections of tables and texts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Above this many units a report's HTML and PDF give its summary form (the area, each chief) and
# leave the per-unit detail to its CSV: a national loop's 4,400 units and thousands of overdue
# deadlines are no page to read, and WeasyPrint takes minutes to lay them out.
SUMMARY_ABOVE_UNITS = 200


@dataclass
class Table:
    columns: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Section:
    heading: str
    table: Table | None = None
    # (label, text) pairs shown as a description list: decisions, statements.
    texts: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    # 2 for a main section, 3 for one under the previous main section.
    level: int = 2
    # Only in the CSV: detail a report in its summary form leaves out of the HTML and the PDF.
    csv_only: bool = False


@dataclass
class Report:
    kind: str
    title: str
    municipality: str
    loop_id: str
    area: str
    council_date: dt.date
    framework: str
    made_at: dt.datetime
    sections: list[Section] = field(default_factory=list)
    intro: str = ""
    # What the loop's date is: the council's meeting, or the start of a loop without one.
    date_label: str = "byrådsmøde"

    def section(self, heading: str) -> Section:
        for s in self.sections:
            if s.heading == heading:
                return s
        raise KeyError(heading)


def date_label(fw) -> str:
    """The loop's date in the reports' words: a council meeting, or a start date [004]."""
    return "byrådsmøde" if fw.has_council else "startdato"
