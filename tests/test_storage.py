"""The database: Alembic migrations upgrade in place, times survive as instants, on both engines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from kvalitetsloop.bootstrap import unit_of_work_for as uow_for

from kvalitetsloop.usecases import loops as loop_cases, organisation as org_cases
from storage.db import MIGRATIONS, engine_for, head_revision, is_current, migrate, normalise_url
from kvalitetsloop.unit_of_work import SqlUnitOfWork
from storage.models import EventRow, LoopRow
from tests.conftest import EXAMPLE_ORG, FRAMEWORKS

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.timezone.utc)


def _alembic(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url))
    return cfg


def test_a_new_database_is_created_at_the_newest_schema(db_url):
    assert not is_current(db_url)
    migrate(db_url)
    assert is_current(db_url)
    with engine_for(db_url).connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == head_revision()
        tables = set(sa.inspect(conn).get_table_names())
    assert {"unit", "person", "unit_role", "framework_version", "loop", "event", "attendee", "event_change"} <= tables


def test_an_old_database_is_upgraded_in_place_keeping_its_data(db_url):
    """A database made by the first release gets every later migration and keeps its loop."""
    command.upgrade(_alembic(db_url), "0001")
    with engine_for(db_url).begin() as conn:
        conn.execute(sa.text("insert into framework_version (name, version, content_hash, content, created_at) "
                             "values ('aarhus', '2021.1', 'x', '{}', :t)"), {"t": NOW.replace(tzinfo=None)})
        conn.execute(sa.text("insert into loop (id, area, council_date, framework_id, themes, status, allow_any_year, created_at) "
                             "values ('0-6-2027-04-28', '0-6', '2027-04-28', 1, '[]', 'active', false, :t)"),
                     {"t": NOW.replace(tzinfo=None)})
    assert not is_current(db_url) or head_revision() == "0001"
    migrate(db_url)
    assert is_current(db_url)
    with SqlUnitOfWork(db_url) as uow:
        s = uow.session
        assert s.get(LoopRow, "0-6-2027-04-28").area == "0-6"
    migrate(db_url)  # a second run is a no-op
    assert is_current(db_url)


def test_times_come_back_as_the_same_instants(db_url):
    org_cases.import_organisation(uow_for(db_url), EXAMPLE_ORG.read_text(encoding="utf-8"), NOW)
    started = loop_cases.start_loop(uow_for(db_url), FRAMEWORKS, "aarhus", "0-6", dt.date(2027, 4, 28), NOW, past="held")
    view = loop_cases.view_loop(uow_for(db_url), started.loop_id)
    planned = {e.uid: e for e in started.events}
    assert len(view.events) == len(planned)
    cph = ZoneInfo("Europe/Copenhagen")
    for e in view.events:
        p = planned[e.uid]
        assert e.start == p.start and e.end == p.end
        assert e.start.utcoffset() == e.start.astimezone(cph).utcoffset()
        assert e.attendees == p.attendees and e.details == p.details
    with SqlUnitOfWork(db_url) as uow:
        s = uow.session
        row = s.exec(sa.select(EventRow).where(EventRow.kind == "council_meeting")).scalar_one()
        assert row.start == dt.datetime(2027, 4, 28, 14, 0, tzinfo=dt.timezone.utc)  # 16:00 summer time


def test_a_naive_time_is_refused_by_the_database_layer(sqlite_url):
    migrate(sqlite_url)
    import pytest

    with pytest.raises(sa.exc.StatementError):
        with SqlUnitOfWork(sqlite_url) as uow:
            s = uow.session
            s.add(LoopRow(id="x", area="0-6", council_date=dt.date(2027, 4, 28), framework_id=1,
                          created_at=dt.datetime(2027, 1, 1)))
            uow.commit()
