"""The one place where Harbor treats SQLite and PostgreSQL differently.

Everything else in the code base speaks portable SQLAlchemy.
"""

from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 15_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def upsert(bind, table):
    """An INSERT that can say ``.on_conflict_do_update(...)``, for this database.

    SQLite (3.24 and later) and PostgreSQL spell ON CONFLICT the same way, and SQLAlchemy
    offers the same construct for both; only which one to build differs.
    """
    insert = sqlite.insert if bind.dialect.name == "sqlite" else postgresql.insert
    return insert(table)


def configure_engine(engine: Engine) -> None:
    if is_sqlite(engine):
        _configure_sqlite(engine)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "synchronous=NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        # Anything that may write takes the write lock at its first statement. Upgrading a
        # read transaction later fails at once with "database is locked" when another writer
        # got in first; waiting in line at BEGIN IMMEDIATE honours busy_timeout instead.
        # Only page views (GET) are known never to write, so only they read without it.
        if is_read_only_request():
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_read_only_request() -> bool:
    return has_request_context() and request.method in SAFE_METHODS


@contextmanager
def foreign_keys_paused(connection):
    """Let migrations rebuild SQLite tables that others point at, then check every link.

    SQLite changes a table's columns by copying it, and dropping the old copy would
    trip foreign keys from other tables; the pragma only takes effect outside a
    transaction, so it is set on the raw connection before Alembic begins one.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
    broken = raw.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left broken references: {broken[:5]}")
