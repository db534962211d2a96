"""A report as HTML (a page of its own, or the body of a portal page), CSV or PDF.

The PDF is the HTML printed by WeasyPrint (a maintained HTML-to-PDF library with real text, fonts
with Danish letters through Pango), so the committee gets the same report the pages show. The CSV
neutralises cells a spreadsheet would run as formulas (kvalitetsloop.exports.spreadsheet_safe).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from kvalitetsloop.exports import spreadsheet_safe
from kvalitetsloop.reports.model import Report

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "csv", "pdf")
_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return _env


def to_html(report: Report) -> str:
    """A complete Danish HTML document (its own styles; no script)."""
    return environment().get_template("report.html").render(report=report)


def body_html(report: Report) -> str:
    """The report's content, for a portal page to place inside its own layout."""
    return environment().get_template("report_body.html").render(report=report)


def to_csv(report: Report) -> str:
    """Each table with its section's heading in the first column; texts as (section, label, text)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([spreadsheet_safe(v) for v in (report.title, report.municipality, report.made_at.date().isoformat())])
    for s in report.sections:
        if s.table is not None:
            w.writerow([])
            w.writerow([spreadsheet_safe(v) for v in ("Afsnit", *s.table.columns)])
            for row in s.table.rows:
                w.writerow([spreadsheet_safe(v) for v in (s.heading, *row)])
        if s.texts:
            w.writerow([])
            w.writerow(["Afsnit", "Emne", "Tekst"])
            for label, text in s.texts:
                w.writerow([spreadsheet_safe(v) for v in (s.heading, label, text)])
    return buf.getvalue()


def to_pdf(report: Report) -> bytes:
    """The HTML report printed to PDF (A4, page numbers, the municipality, loop and date on each page)."""
    import weasyprint  # heavy: only when a PDF is asked for

    return weasyprint.HTML(string=to_html(report), base_url=str(TEMPLATES)).write_pdf()


def render(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "csv":
        return to_csv(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(fmt)
