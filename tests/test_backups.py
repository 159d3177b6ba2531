"""`flask backup` and `flask restore`: a copy taken while members post is the database of
one moment, and putting it back gives exactly that moment again."""

import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from forum.dialects import is_sqlite
from forum.extensions import db
from forum.models import Post, Thread, User
from forum.services import backups, doctor, posting


@pytest.fixture
def on_sqlite(app):
    with app.app_context():
        if not is_sqlite(db.engine):
            pytest.skip("Harbor copies SQLite itself; PostgreSQL has pg_dump")


@pytest.fixture
def on_postgresql(app):
    with app.app_context():
        if is_sqlite(db.engine):
            pytest.skip("what the commands say on PostgreSQL")


def replies_in(database: Path, thread_id: int) -> list[str]:
    with sqlite3.connect(database) as copy:
        rows = copy.execute(
            "SELECT source FROM posts WHERE thread_id = ? AND number > 1 ORDER BY number",
            (thread_id,),
        )
        return [source for (source,) in rows]


def live_database(app) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


class Writer(threading.Thread):
    """Replies "Reply 0", "Reply 1", ... one transaction each, until stopped."""

    def __init__(self, app, thread_id: int, author_id: int):
        super().__init__()
        self.app, self.thread_id, self.author_id = app, thread_id, author_id
        self.committed = 0
        self.stopping = threading.Event()

    def run(self):
        with self.app.app_context():
            while not self.stopping.is_set():
                thread = db.session.get(Thread, self.thread_id)
                posting.reply(
                    thread, db.session.get(User, self.author_id), f"Reply {self.committed}"
                )
                self.committed += 1
            db.session.remove()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.committed < count:
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.01)


def test_a_backup_taken_while_members_post_restores_to_that_moment(
    app, runner, make, tmp_path, on_sqlite
):
    thread_id, author_id = make.thread().id, make.member().id
    db.session.commit()  # the writer needs the write lock this session would hold
    writer = Writer(app, thread_id, author_id)
    writer.start()
    try:
        writer.wait_for(5)
        before = writer.committed
        made = runner.invoke(args=["backup", str(tmp_path)])
        after = writer.committed
        writer.wait_for(after + 5)  # and the site carries on writing after the copy
    finally:
        writer.stopping.set()
        writer.join()
    assert made.exit_code == 0, made.output
    copy = next(tmp_path.glob("harbor-*.db"))
    assert str(copy) in made.output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600

    # Exactly the replies committed by some moment during the backup: none torn, none after.
    in_copy = replies_in(copy, thread_id)
    assert before <= len(in_copy) <= after + 1
    assert in_copy == [f"Reply {n}" for n in range(len(in_copy))]
    total = writer.committed
    assert len(replies_in(live_database(app), thread_id)) == total > len(in_copy)

    restored = runner.invoke(args=["restore", str(copy), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert replies_in(live_database(app), thread_id) == in_copy
    db.session.remove()
    assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert doctor.examine() == []
    thread = db.session.get(Thread, thread_id)
    assert thread.post_count == 1 + len(in_copy)
    assert db.session.get(User, author_id).post_count == len(in_copy)
    # The database as it was before the restore is kept, with every reply.
    kept = next((Path(app.instance_path) / "backups").glob("harbor-before-restore-*.db"))
    assert str(kept) in restored.output
    assert len(replies_in(kept, thread_id)) == total


def test_visitors_see_the_restored_forum_not_pages_kept_from_before(
    client, runner, make, tmp_path, on_sqlite
):
    thread = make.thread(title="Scan on Friday")
    path = f"/t/{thread.id}/{thread.slug}"
    assert runner.invoke(args=["backup", str(tmp_path / "copy.db")]).exit_code == 0
    make.reply(thread, body="Posted after the backup")
    assert "Posted after the backup" in client.get(path).text  # and kept for visitors
    restored = runner.invoke(args=["restore", str(tmp_path / "copy.db"), "--yes"])
    assert restored.exit_code == 0, restored.output
    # The same steps again: had the restore set the count back, this page would be filed
    # under the very number the page above was kept under.
    make.reply(db.session.get(Thread, thread.id), body="Posted after the restore")
    page = client.get(path).text
    assert "Posted after the restore" in page and "Posted after the backup" not in page


def test_a_backup_never_overwrites_a_file(runner, make, tmp_path, on_sqlite):
    existing = tmp_path / "keep-me.db"
    existing.write_text("something precious")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "will not overwrite" in result.output
    assert existing.read_text() == "something precious"


def _harbor_copy_with_revision(runner, tmp_path, revision: str) -> Path:
    copy = tmp_path / "copy.db"
    assert runner.invoke(args=["backup", str(copy)]).exit_code == 0
    with sqlite3.connect(copy) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    return copy


def _not_harbor(tmp_path, runner) -> Path:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    return other


@pytest.mark.parametrize(
    ("make_file", "says"),
    [
        (lambda tmp_path, runner: tmp_path / "missing.db", "There is no file"),
        (lambda tmp_path, runner: _written(tmp_path / "notes.txt", "Dear diary"),
         "not a readable SQLite database"),
        (_not_harbor, "not Harbor's: it has no alembic_version, boards, posts, threads, users"),
        (lambda tmp_path, runner: _harbor_copy_with_revision(runner, tmp_path, "f00dfeed1234"),
         "schema version f00dfeed1234, which this Harbor does not know"),
    ],
)  # fmt: skip
def test_restore_refuses_what_is_not_a_harbor_backup(
    app, runner, make, tmp_path, on_sqlite, make_file, says
):
    thread = make.thread(title="Still here after the refusal")
    candidate = make_file(tmp_path, runner)
    kept_before = set((Path(app.instance_path) / "backups").glob("*"))
    result = runner.invoke(args=["restore", str(candidate), "--yes"])
    assert result.exit_code != 0
    assert "Not restored" in result.output and says in result.output
    db.session.remove()
    assert db.session.get(Thread, thread.id).title == "Still here after the refusal"
    assert set((Path(app.instance_path) / "backups").glob("*")) == kept_before


def _written(path: Path, words: str) -> Path:
    path.write_text(words)
    return path


def test_restore_asks_first_and_changes_nothing_when_told_no(runner, make, tmp_path, on_sqlite):
    copy = tmp_path / "empty.db"
    assert runner.invoke(args=["backup", str(copy)]).exit_code == 0
    thread = make.thread(title="Written after the backup")
    result = runner.invoke(args=["restore", str(copy)], input="n\n")
    assert result.exit_code != 0 and "Replace the database" in result.output
    db.session.remove()
    assert db.session.get(Thread, thread.id) is not None


def test_on_postgresql_backup_gives_the_pg_dump_command_and_restore_refuses(
    runner, make, on_postgresql
):
    make.thread()
    advice = runner.invoke(args=["backup"])
    assert advice.exit_code == 1
    assert "pg_dump --format=custom" in advice.output and "pg_restore" in advice.output
    assert "Nothing was copied" in advice.output
    refused = runner.invoke(args=["restore", "/tmp/anything.dump", "--yes"])
    assert refused.exit_code != 0 and "pg_restore" in refused.output
    assert db.session.scalar(select(Post.id)) is not None


def test_the_pg_dump_advice_names_the_database_but_never_the_password():
    url = make_url("postgresql+psycopg://harbor:s3cret-word@db.internal:5433/harbor")
    advice = backups.pg_dump_advice(url)
    assert "pg_dump --format=custom --host=db.internal --port=5433 --username=harbor" in advice
    assert " harbor\n" in advice and "--dbname=NEW_DATABASE" in advice
    assert "s3cret" not in advice
