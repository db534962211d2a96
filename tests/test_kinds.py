"""The registry of deadline and notification kinds (cycle/kinds.py) is complete and consistent:
every kind has its templates, words and paths, every deadline is one the planner makes, the
reminder horizon covers every offset, and cycle/ stays pure."""

from __future__ import annotations

import ast
import datetime as dt
import string
from pathlib import Path

import pytest
import yaml

from cycle import kinds, vocabulary
from cycle.events import EVENT_KINDS
from cycle.framework import parse_framework
from cycle.organisation import parse_organisation
from cycle.planner import LoopSpec, event_roles, plan_loop
from cycle.workcalendar import WorkCalendar
from notifications import links
from notifications.render import TEMPLATES, environment
from storage.models_notifications import SUBMISSION_KINDS
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS

ROOT = Path(__file__).resolve().parents[1]


def _framework(name: str):
    return parse_framework(yaml.safe_load((FRAMEWORKS / f"{name}.yaml").read_text(encoding="utf-8")), name)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_notification_kind_has_its_templates_and_a_known_category():
    env = environment()
    for n in kinds.NOTIFICATION_KINDS.values():
        for ext in ("txt", "html"):
            assert (TEMPLATES / f"{n.template}.{ext}").is_file(), f"{n.name}: no {n.template}.{ext}"
        assert "subject" in env.get_template(f"{n.template}.txt").blocks, n.name
        assert n.category in kinds.CATEGORIES, n.name
        assert n.deadline is None or kinds.deadline_for_event_kind(n.deadline) is not None, n.name
    assert not kinds.NOTIFICATION_KINDS[kinds.INVITATION].auto_submitted


def test_every_deadline_kind_has_its_words_links_and_notifications():
    words = vocabulary.words(_framework("aarhus"))
    event_fields = {"number", "n", "unit", "area", "title", "body", "what", "year", "report_back", "committee",
                    "overview", "Council", "report", "Data_package", "board_s", "talk"}
    for d in kinds.DEADLINES:
        assert d.words.calendar and d.words.title and d.english and d.noun, d.event_kind
        assert _fields(d.words.calendar) | _fields(d.words.title) <= event_fields | set(words), d.event_kind
        for text in (d.words.link_label,):
            if text:
                text.format(**words)  # only the vocabulary's fields
        for kind in (d.reminder, d.escalation, d.notice):
            assert kind is None or kind in kinds.NOTIFICATION_KINDS, (d.event_kind, kind)
        if d.link:
            assert d.words.link_label, d.event_kind
            assert kinds.deadline_for_link(d.link) is d
            if d.path:
                assert d.path.startswith("/") and "{token}" in d.path
                assert links.PATHS[d.link] == d.path, d.event_kind
        assert (d.schedule == "none") == (d.reminder is None), d.event_kind
        assert kinds.deadline_for_event_kind(d.event_kind) is d
        assert kinds.deadline_for_submission(d.submission) is d
    assert SUBMISSION_KINDS == kinds.SUBMISSION_KINDS == tuple(d.submission for d in kinds.DEADLINES)
    assert len(set(kinds.SUBMISSION_KINDS)) == len(kinds.SUBMISSION_KINDS)
    assert set(kinds.DIGEST_DEADLINES) <= set(kinds.DEADLINE_EVENT_KINDS)


@pytest.mark.parametrize("framework,area,council", [("aarhus", "0-6", dt.date(2027, 4, 28)),
                                                    ("aarhus", "6-18", dt.date(2028, 4, 26)),
                                                    ("albertslund", "0-6", dt.date(2027, 4, 28))])
def test_every_deadline_kind_is_one_the_planner_makes_with_the_registry_attendees(framework, area, council,
                                                                                  holiday_periods, example_org):
    fw = _framework(framework)
    org = example_org
    plan = plan_loop(org, fw, WorkCalendar(fw, holiday_periods), LoopSpec("L", area, council))
    made = {e.kind for e in plan.events}
    assert made <= set(EVENT_KINDS)
    for d in kinds.DEADLINES:
        assert d.event_kind in EVENT_KINDS
        for u in org.units[:5]:
            assert event_roles(fw, u, d.event_kind) == d.attendees(fw)
        # Whoever is reminded is among the people the event is for.
        assert set(d.remind) <= set(d.attendees(fw)), d.event_kind
    # Data packages and the report-back where the framework has them; Albertslund has neither [004].
    always = {kinds.FOLLOWUP_FORM.event_kind,
              *([kinds.DATA_PACKAGE.event_kind] if fw.data_packages else []),
              *([kinds.REPORT_BACK.event_kind] if fw.report_back else [])}
    assert always <= made
    assert (kinds.DATA_PACKAGE.event_kind in made) == (fw.data_packages is not None)
    assert (kinds.REPORT_BACK.event_kind in made) == (fw.report_back is not None)


def test_the_reminder_horizon_covers_every_offset_the_framework_sets():
    for name in ("aarhus", "albertslund"):
        fw = _framework(name)
        offsets = set(kinds.reminder_offsets(fw))
        assert set(fw.board_statements.reminder_days_before_due) <= offsets
        if fw.report_back:
            assert set(fw.report_back.reminder_days_before_due) <= offsets
        if fw.youth_input:
            assert set(fw.youth_input.reminder_days_before_due) <= offsets
        if fw.supervision_report:
            assert set(fw.supervision_report.reminder_days_before_due) <= offsets
        for d in kinds.DEADLINES:
            if d.schedule == "before_due":
                section, key = d.offsets_key.split(".")
                part = getattr(fw, section)
                assert d.offsets(fw) == (tuple(getattr(part, key)) if part is not None else ())


def test_cycle_imports_nothing_outside_it():
    outside = {"storage", "notifications", "calendars", "flows", "kvalitetsloop", "portal", "reports"}
    for path in (ROOT / "cycle").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in outside, f"{path.name} imports {name}"


def test_no_deadline_kind_string_outside_the_registry_in_the_domain_and_adapters():
    kinds_strings = [f'"{k}"' for k in kinds.DEADLINE_EVENT_KINDS if k != "data_package"]
    for folder in ("cycle", "notifications", "calendars"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "kinds.py":
                continue
            text = path.read_text(encoding="utf-8")
            for s in kinds_strings:
                assert s not in text, f"{path.relative_to(ROOT)} names {s}"
