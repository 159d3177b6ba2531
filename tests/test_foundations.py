"""Configuration, the database, the CLI and the safety rails every request relies on."""

import os
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from forum import create_app
from forum.dialects import is_sqlite
from forum.extensions import db
from forum.models import Board, Post, PostState, Role, SitePage, Thread, User
from forum.services import site_pages
from forum.services.searching import is_search_table

from .factories import PASSWORD, csrf_token, log_in, run_at_once, submit


def test_without_a_secret_key_one_is_generated_once_privately_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(dict(settings))
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 40
    assert create_app(dict(settings)).config["SECRET_KEY"] == first.config["SECRET_KEY"]
    other = tmp_path / "elsewhere"
    assert (
        create_app({**settings, "INSTANCE_PATH": str(other)}).config["SECRET_KEY"]
        != (first.config["SECRET_KEY"])
    )


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HARBOR_SITE_NAME", "Harbor Test Site")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert app.config["SITE_NAME"] == "Harbor Test Site"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app, ctx):
    if not is_sqlite(db.engine):
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
        assert pragma("synchronous") == 1  # NORMAL


def test_the_models_and_migrations_agree(app, ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": lambda obj, name, type_, *_: not is_search_table(name)},
        )
        assert compare_metadata(context, db.metadata) == []


def test_cli_creates_members_and_changes_roles(runner, ctx):
    result = runner.invoke(
        args=["users", "create", "ana", "--email", "Ana@Example.org", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "set-role", "ana", "moderator"])
    assert result.exit_code == 0 and "moderator" in result.output
    user = db.session.scalar(select(User).where(User.username == "ana"))
    assert user.role is Role.MODERATOR and user.email == "ana@example.org"


def test_cli_prompts_for_a_password_and_refuses_bad_input(runner, ctx):
    prompted = runner.invoke(
        args=["users", "create", "ben", "--email", "ben@example.org"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert runner.invoke(args=["users", "create", "ben", "--email", "b2@example.org",
                               "--password", PASSWORD]).exit_code != 0  # fmt: skip
    assert runner.invoke(args=["users", "create", "bad name", "--email", "c@example.org",
                               "--password", PASSWORD]).exit_code != 0  # fmt: skip
    assert runner.invoke(args=["users", "create", "cat", "--email", "c@example.org",
                               "--password", "short"]).exit_code != 0  # fmt: skip
    assert runner.invoke(args=["users", "set-role", "nobody", "admin"]).exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_posts_rerender_brings_stored_html_up_to_date(runner, make):
    thread = make.thread(body="Some **bold** words")
    db.session.execute(text("UPDATE posts SET html = 'stale'"))
    db.session.commit()
    result = runner.invoke(args=["posts", "rerender"])
    assert "1 changed" in result.output
    assert (
        db.session.get(Post, thread.first_post_id).html == "<p>Some <strong>bold</strong> words</p>"
    )


def test_posts_rerender_brings_the_sites_own_pages_up_to_date_too(runner, make):
    page = site_pages.from_seed(site_pages.CRISIS_PROTOCOL)
    fresh, page.html = page.html, "stale"
    db.session.add(page)
    db.session.commit()
    runner.invoke(args=["posts", "rerender"])
    assert db.session.get(SitePage, site_pages.CRISIS_PROTOCOL).html == fresh
    assert "<h2>" in fresh, "its sections sit just under the page's title"


def test_members_replying_at_once_all_get_their_reply_stored(app, make):
    """Several members reply at the same moment: none sees an error, no reply is lost."""
    thread_id = make.thread().id
    # Plain names, not model objects: the workers must not touch this test's session.
    usernames = [make.member().username for _ in range(4)]
    replies_each = 5
    failures = []

    def reply_as(username):
        client = app.test_client()
        with app.app_context():
            submit(client, "/login", {"username": username, "password": PASSWORD})
            for n in range(replies_each):
                response = client.post(
                    f"/t/{thread_id}/reply",
                    data={"csrf_token": csrf_token(client), "body": f"{username} {n}"},
                )
                if response.status_code != 302:
                    failures.append(response.status_code)

    run_at_once(reply_as, [(name,) for name in usernames])

    assert failures == []
    thread = db.session.get(Thread, thread_id)
    expected = 1 + len(usernames) * replies_each
    numbers = db.session.scalars(select(Post.number).where(Post.thread_id == thread.id)).all()
    assert sorted(numbers) == list(range(1, expected + 1))
    assert (thread.post_count, thread.reply_count) == (expected, expected - 1)
    last = db.session.scalar(select(func.max(Post.id)).where(Post.thread_id == thread.id))
    assert thread.last_post_id == last


def test_counts_stay_exact_while_members_reply_and_delete_at_once(app, make):
    """Deleting and replying race on the same thread; the counts end exact."""
    thread_id = make.thread().id
    authors = [make.member() for _ in range(4)]
    doomed = {author.username: [make.reply(db.session.get(Thread, thread_id), author=author,
                                           body=f"{author.username} {n}").id for n in range(4)]
              for author in authors}  # fmt: skip
    failures = []

    def delete_and_reply(username):
        client = app.test_client()
        with app.app_context():
            submit(client, "/login", {"username": username, "password": PASSWORD})
            for n, post_id in enumerate(doomed[username]):
                token = csrf_token(client)
                deleted = client.post(f"/p/{post_id}/delete", data={"csrf_token": token})
                words = {"csrf_token": token, "body": f"new {username} {n}"}
                replied = client.post(f"/t/{thread_id}/reply", data=words)
                failures.extend(r.status_code for r in (deleted, replied) if r.status_code != 302)

    run_at_once(delete_and_reply, [(author.username,) for author in authors])

    assert failures == []
    thread = db.session.get(Thread, thread_id)
    visible = db.session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.thread_id == thread_id, Post.state == PostState.VISIBLE)
    )
    assert visible == 1 + 16
    assert thread.reply_count == 16
    board = db.session.get(Board, thread.board_id)
    assert board.post_count == 17


def test_a_failed_write_leaves_no_half_written_rows(client, make, monkeypatch):
    """If rendering fails half-way through a reply, nothing of it is stored."""
    from forum.services import posting

    thread = make.thread()
    log_in(client, make.member("rosa"))

    def broken(_source):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(posting, "render_markdown", broken)
    response = submit(client, f"/t/{thread.id}/reply", {"body": "Hello"})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    thread = db.session.get(Thread, thread.id)
    assert thread.post_count == 1 and thread.reply_count == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_the_environment_is_read_in_one_place():
    """Only forum/config.py reads os.environ."""
    package = os.path.join(os.path.dirname(__file__), "..", "forum")
    readers = []
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py") and name != "config.py":
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    if "os.environ" in handle.read():
                        readers.append(name)
    assert readers == []


@pytest.mark.parametrize(("hops", "scheme"), [("0", "http"), ("1", "https")])
def test_forwarded_headers_count_only_behind_a_configured_proxy(
    tmp_path, monkeypatch, hops, scheme
):
    monkeypatch.setenv("HARBOR_PROXY_COUNT", hops)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})  # fmt: skip
    seen = {}

    @app.get("/scheme-probe")
    def probe():
        from flask import request

        seen["scheme"] = request.scheme
        return "ok"

    app.test_client().get("/scheme-probe", headers={"X-Forwarded-Proto": "https"})
    assert seen["scheme"] == scheme


FIRST_REVISION = "3e169ce68eb8"


def test_upgrading_a_database_full_of_posts_keeps_every_post(tmp_path):
    """`make run` migrates an existing forum: SQLite rebuilds tables, nothing is lost."""
    import flask_migrate

    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})  # fmt: skip
    with app.app_context():
        flask_migrate.upgrade(revision=FIRST_REVISION)
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, username, username_key, role, is_system, session_token,"
                " created_at, post_count) VALUES (1, 'rosa', 'rosa', 'member', 0, 't',"
                " '2026-01-01', 2)",
                "INSERT INTO boards (id, slug, name, description, position, thread_count,"
                " post_count) VALUES (1, 'b', 'B', '', 1, 1, 2)",
                "INSERT INTO threads (id, board_id, author_id, title, slug, is_pinned, is_locked,"
                " created_at, last_post_at, post_count, reply_count) VALUES (1, 1, 1,"
                " 'Old fatigue thread', 'old', 0, 0, '2026-01-01', '2026-01-01', 2, 1)",
                "INSERT INTO posts (id, thread_id, author_id, number, source, html, state,"
                " created_at) VALUES (1, 1, 1, 1, 'Tired', '<p>Tired</p>', 'visible',"
                " '2026-01-01'), (2, 1, 1, 2, 'Still tired', '<p>Still</p>', 'visible',"
                " '2026-01-01')",
                "UPDATE threads SET first_post_id = 1, last_post_id = 2",
                "UPDATE boards SET last_post_id = 2",
            ):
                connection.exec_driver_sql(statement)
        flask_migrate.upgrade()
        assert db.session.scalar(select(func.count()).select_from(Post)) == 2
        member = db.session.scalar(select(User))
        assert member.visible_post_count == 2, "members who posted before are trusted"
        from forum.services import searching

        found = searching.search("fatigue", 0, 10)
        assert found.total == 1 and found.results[0].post.id == 1
        db.session.remove()
        db.engine.dispose()
