"""The seam every entry point uses: use cases behind a unit of work (ARCHITECTURE.md).

What a user would notice: two administrators starting the same loop at once end with one loop and
one clear sentence; a use case that fails changes nothing; `db upgrade` brings a database up."""

from __future__ import annotations

import os
import subprocess

import pytest

from kvalitetsloop.bootstrap import unit_of_work_for
from kvalitetsloop.errors import LoopExists, UserError
from kvalitetsloop.usecases import events, loops, organisation
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS, KVALITETSLOOP, NOW, Cli

import datetime as dt


def test_two_starts_of_the_same_loop_at_once_end_with_one_loop(db_url, tmp_path):
    Cli(db_url, tmp_path)("org", "import", str(EXAMPLE_ORG), "--now", NOW)
    env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": db_url}
    args = [str(KVALITETSLOOP), "loop", "start", "--area", "0-6", "--council-date", "2027-04-28", "--now", NOW, "--past", "held"]
    procs = [subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, _, err in results if code == 2)
    assert loser.strip() == ("Error: a loop 0-6-2027-04-28 already exists; "
                             "show it with 'kvalitetsloop loop show 0-6-2027-04-28'.")
    assert [l.id for l in loops.list_loops(unit_of_work_for(db_url))] == ["0-6-2027-04-28"]
    view = loops.view_loop(unit_of_work_for(db_url), "0-6-2027-04-28")
    assert len({e.uid for e in view.events}) == len(view.events) == 2233


def test_a_refused_move_changes_nothing_and_names_the_rule_not_an_option(sqlite_url):
    now = dt.datetime.fromisoformat(NOW)
    organisation.import_organisation(unit_of_work_for(sqlite_url), EXAMPLE_ORG.read_text(encoding="utf-8"), now)
    started = loops.start_loop(unit_of_work_for(sqlite_url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), now, past="held")
    talk = next(e for e in started.events if e.kind == "learning_talk" and e.unit_id == "dt-001" and e.number == 2)
    with pytest.raises(UserError) as exc:
        events.move_event(unit_of_work_for(sqlite_url), FRAMEWORKS, talk.uid, "2027-12-24T10:00", now)
    assert "Juleaftensdag" in str(exc.value) and "--force" not in str(exc.value)
    after = loops.view_loop(unit_of_work_for(sqlite_url), started.loop_id)
    assert next(e for e in after.events if e.uid == talk.uid) == talk


def test_a_moved_talk_takes_its_deadlines_along_in_one_transaction(sqlite_url):
    now = dt.datetime.fromisoformat(NOW)
    organisation.import_organisation(unit_of_work_for(sqlite_url), EXAMPLE_ORG.read_text(encoding="utf-8"), now)
    started = loops.start_loop(unit_of_work_for(sqlite_url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), now, past="held")
    talk = next(e for e in started.events if e.kind == "learning_talk" and e.unit_id == "dt-001" and e.number == 3)
    new_start = talk.start + dt.timedelta(days=7)
    report = events.move_event(unit_of_work_for(sqlite_url), FRAMEWORKS, talk.uid, new_start.isoformat(), now,
                               force=True)
    assert report.sequence == 1 and report.dependents
    after = {e.uid: e for e in loops.view_loop(unit_of_work_for(sqlite_url), started.loop_id).events}
    assert after[talk.uid].start == new_start and after[talk.uid].sequence == 1
    assert after[talk.uid].status == "moved"
    for uid, _, start in report.dependents:
        assert after[uid].start == start and after[uid].sequence == 1 and after[uid].status == "moved"
    cancelled = events.cancel_event(unit_of_work_for(sqlite_url), talk.uid, now)
    after = {e.uid: e for e in loops.view_loop(unit_of_work_for(sqlite_url), started.loop_id).events}
    assert after[talk.uid].status == "cancelled" and after[talk.uid].sequence == 2
    assert {uid for uid, _, _ in cancelled.dependents} == {uid for uid, _, _ in report.dependents}
    assert all(after[uid].status == "cancelled" for uid, _, _ in cancelled.dependents)


def test_db_upgrade_creates_and_then_finds_the_schema_current(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.sqlite"
    cli = Cli(url, tmp_path)
    assert "was brought up to the newest schema" in cli("db", "upgrade").stdout
    assert "is already up to the newest schema" in cli("db", "upgrade").stdout


def test_help_imports_nothing_heavy():
    """`kvalitetsloop --help` answers at once: no Prefect, SQLAlchemy, icalendar or Jinja2."""
    code = ("import sys; sys.argv = ['kvalitetsloop', '--help']\n"
            "from kvalitetsloop.cli import main_exit\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()): main_exit(['--help'])\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'sqlalchemy', 'sqlmodel', "
            "'icalendar', 'jinja2', 'pydantic', 'yaml'})\n"
            "print(','.join(heavy))")
    out = subprocess.run([str(KVALITETSLOOP.parent / "python"), "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""


def test_what_dispatch_keeps_between_runs_is_read_again_after_a_re_import(sqlite_url):
    """A simulation (and the flow's decide task) reuse what they loaded while no event changed;
    a re-import that renames a unit changes no event, and must still show in the next emails."""
    from kvalitetsloop.settings import Settings
    from kvalitetsloop.usecases.dispatch import DispatchCache, _load

    now = dt.datetime.fromisoformat(NOW)
    text = EXAMPLE_ORG.read_text(encoding="utf-8")
    organisation.import_organisation(unit_of_work_for(sqlite_url), text, now)
    loops.start_loop(unit_of_work_for(sqlite_url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), now, past="held")
    settings = Settings(database_url=sqlite_url)
    cache = DispatchCache()
    uow = unit_of_work_for(sqlite_url)
    with uow:
        first = _load(uow, settings, cache)
    old_name = first.units["dt-001"].name
    organisation.import_organisation(unit_of_work_for(sqlite_url), text.replace(old_name, "Nyt Navn", 1), now)
    with uow:
        again = _load(uow, settings, cache)
    assert again.units["dt-001"].name == "Nyt Navn"
