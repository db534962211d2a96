"""What an entry point does before it calls a use case: bring the database to the newest schema
and build the unit of work. Use cases never do this themselves."""

from __future__ import annotations

from kvalitetsloop.unit_of_work import SqlUnitOfWork
from storage.db import is_current, migrate

_CURRENT: set[str] = set()


def upgrade_database(url: str) -> bool:
    """Run the Alembic migrations up to the newest schema; whether anything had to be done."""
    if is_current(url):
        _CURRENT.add(url)
        return False
    migrate(url)
    _CURRENT.add(url)
    return True


def unit_of_work_for(url: str) -> SqlUnitOfWork:
    """A unit of work on `url`, upgraded first (checked once per process and URL)."""
    if url not in _CURRENT:
        upgrade_database(url)
    return SqlUnitOfWork(url)
