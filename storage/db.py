"""Engines and migrations. SQLite by default, PostgreSQL by URL. (The unit of work that use
cases take is kvalitetsloop.unit_of_work.)"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlmodel import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"

_engines: dict[str, sa.Engine] = {}

# The settings' default database lives in this folder (relative to where the command runs): the
# one folder made when missing. Any other missing folder is most likely a mistyped path.
DEFAULT_SQLITE_FOLDER = Path("var")


class DatabaseUrlError(ValueError):
    """The database URL cannot be used as it stands; its text is one sentence."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    # WAL lets a dispatch run read while another writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def normalise_url(url: str) -> str:
    # "postgresql://" means psycopg 3 here, the driver we ship.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    return url


def _sqlite_folder(url: str) -> None:
    """Make sure the SQLite file's folder exists: create the default var/, refuse any other."""
    path = url[len("sqlite:///"):].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    folder = Path(path).parent
    if folder.is_dir():
        return
    if folder.resolve() == DEFAULT_SQLITE_FOLDER.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise DatabaseUrlError(f"the folder {folder} of the SQLite database {url} does not exist; "
                           "create it first or give another database URL")


def engine_for(url: str) -> sa.Engine:
    url = normalise_url(url)
    if url not in _engines:
        if url.startswith("sqlite:///"):
            _sqlite_folder(url)
            engine = create_engine(url, connect_args={"timeout": 30})
            sa_event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _engines[url] = engine
    return _engines[url]


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def head_revision() -> str:
    """The newest migration's revision id, read from the file names (NNNN_description.py)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def is_current(url: str) -> bool:
    """Whether the database is already at the newest schema, without loading Alembic."""
    try:
        with engine_for(url).connect() as conn:
            rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.ProgrammingError:
        return False
    except sa.exc.OperationalError as exc:
        if "no such table" in str(exc):
            return False
        raise
    return rev == head_revision()


def migrate(url: str) -> None:
    """Bring the database to the newest schema (Alembic upgrade head), creating it if new."""
    # Alembic is imported only here: most runs find the schema current and never need it.
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    engine = engine_for(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
