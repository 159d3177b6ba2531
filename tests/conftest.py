"""Fixtures: one app and one fresh database for the whole session, emptied between tests.

Set ``DATABASE_URL`` to a PostgreSQL database whose name contains "test" to run the
suite there instead of on a fresh SQLite file.
"""

import os
import re
import shutil
from pathlib import Path

import flask_migrate
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from forum import create_app, page_cache
from forum.config import default_settings
from forum.dialects import is_sqlite
from forum.extensions import db

from .factories import OPEN_GATES, Factories, log_in

TEST_SECRET_KEY = "only-for-the-test-suite"

# Property tests share one app and database per test function (not per example), and
# stay quick: a few dozen examples each. CI (HYPOTHESIS_PROFILE=ci) runs the same ones
# every time, so a red build is never luck; on a laptop each run explores new inputs.
_PROPERTIES = {
    "deadline": None,
    "max_examples": 60,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("dev", **_PROPERTIES)
settings.register_profile("ci", **_PROPERTIES, derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'harbor-test.db'}"
    if "test" not in (make_url(url).database or ""):
        pytest.exit(f"Refusing to run tests against {url!r}: its name must contain 'test'.")
    return url


class FreshContextClient(FlaskClient):
    """Gives every request its own app context, as in production.

    Tests hold an app context to use factories and queries; without this, requests would
    share it, and with it ``g`` (the logged-in user) and the database session.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction so the request sees, and may take, the database;
        # committing also expires what the test holds, so it reads what the request wrote.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
            "SECRET_KEY": TEST_SECRET_KEY,
            "TESTING": True,
            # Off for the stories the suite tells; tests/test_limits.py builds apps with them on.
            "RATELIMIT_ENABLED": False,
            # The gates a newcomer passes by posting are open for the stories about something
            # else, so that a member made by the factory has nothing to earn; the stories
            # about the gates ask for ``default_gates`` and pass them as a member would.
            **OPEN_GATES,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        _drop_everything()
        flask_migrate.upgrade()
        app.extensions["harbor_test_reset"] = _reset_for(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


def _drop_everything():
    if is_sqlite(db.engine):
        return  # a new file for every test session
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def _reset_for(engine):
    """How to bring the database back to "just migrated" between tests.

    The moderation log refuses DELETE, as it should, so tests cannot simply delete rows:
    SQLite gets a copy of the freshly migrated file, PostgreSQL a TRUNCATE (which does not
    fire row triggers).
    """
    if is_sqlite(engine):
        # Closing the last connection checkpoints the WAL into the file itself.
        db.session.remove()
        engine.dispose()
        database = Path(engine.url.database)
        template = database.with_suffix(".template")
        shutil.copyfile(database, template)

        def restore_copy():
            engine.dispose()
            for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(template, database)

        return restore_copy

    def truncate():
        tables = ", ".join([table.name for table in db.metadata.sorted_tables] + ["post_search"])
        with engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            # The one row the migrations put in, as they left it.
            connection.exec_driver_sql("INSERT INTO page_generation (id, value) VALUES (1, 1)")

    return truncate


@pytest.fixture
def build_app(app, ctx):
    """Builds another app on the test database with some settings changed (rate limits on,
    secure cookies), for what the suite's own app leaves off. Its clients work alongside
    ``make``, whose rows they read and write."""
    built = []

    def build(**settings):
        other = create_app(
            {
                "INSTANCE_PATH": app.instance_path,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "SECRET_KEY": TEST_SECRET_KEY,
                "TESTING": True,
                **settings,
            }
        )
        other.test_client_class = FreshContextClient
        built.append(other)
        return other

    yield build
    for other in built:
        # Before _fresh_database empties the database, which open connections would block.
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_database(app):
    yield
    with app.app_context():
        db.session.remove()
        app.extensions["harbor_test_reset"]()
        # The database went back behind the app's back, generation and all.
        page_cache.forget_kept_pages()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services and models directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def default_gates(app, monkeypatch):
    """The gates as a new forum has them (forum/config.py): a newcomer's first posts wait
    for approval, and private conversations open after some visible posts."""
    defaults = default_settings(Path(app.instance_path))
    for name in OPEN_GATES:
        monkeypatch.setitem(app.config, name, defaults[name])
    return {name: defaults[name] for name in OPEN_GATES}


@pytest.fixture
def client(app, ctx):
    return app.test_client()


@pytest.fixture
def make(ctx):
    return Factories()


@pytest.fixture
def rosa(client, make):
    """Rosa, a member who has been here a while, logged in on ``client``."""
    member = make.member("rosa")
    log_in(client, member)
    return member


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class StatementCounter:
    IGNORED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)", re.IGNORECASE)

    def __init__(self):
        self.statements: list[str] = []
        self.parameters: list = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not self.IGNORED.match(statement):
            self.statements.append(statement)
            self.parameters.append(parameters)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app):
    """Use as ``with count_statements() as counted: ...``; then ``counted.count``."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = StatementCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting
