"""Copies of a SQLite database taken while the site runs, and putting one back.

SQLite's online backup API copies every page in one step, inside one read transaction, so
a copy is the database exactly as it stood at one moment: with WAL, writers carry on
meanwhile and the copy sees none of their later work. PostgreSQL has pg_dump for the
same; Harbor only tells the operator how to run it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from .. import MIGRATIONS
from ..dialects import SQLITE_BUSY_TIMEOUT_MS
from ..page_cache import FORGETTING_JUMP

# Tables every Harbor database has had since its first migration.
HARBOR_TABLES = frozenset({"alembic_version", "users", "boards", "threads", "posts"})


class NotAHarborBackup(Exception):
    """The file cannot be restored; the message says why, for the operator."""


class DamagedDatabase(Exception):
    """SQLite's integrity check found damage; the message lists the first of it."""


def timestamped_name(prefix: str = "harbor", now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}-{moment}.db"


def backup_target(requested: Path | None, instance_path: Path, prefix: str = "harbor") -> Path:
    """Where a backup goes: the path asked for, a new file in the folder asked for, or a
    new file in the instance's backups/ folder."""
    if requested is not None and not requested.is_dir():
        return requested
    folder = instance_path / "backups" if requested is None else requested
    name = timestamped_name(prefix)
    target = folder / name
    # Two in the same second (a backup, then a restore keeping the old): number the second.
    for number in range(2, 100):
        if not target.exists():
            break
        target = folder / name.replace(".db", f"-{number}.db")
    return target


def back_up(database: Path, target: Path) -> Path:
    """Copy the live ``database`` to the new file ``target``, consistently, while it runs.

    The copy is written beside the target and linked into place only once it is whole and
    checked, so a file at ``target`` is never half a backup. Like the database itself it
    holds members' health details: only its owner can read it.
    """
    if target.exists():
        raise FileExistsError(f"{target} already exists; Harbor will not overwrite it.")
    _make_private_folder(target.parent)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with closing(_connect(database)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)  # every page in one step: one consistent moment
            # A backup is one self-contained file, not a database with a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(copy, partial)
        os.link(partial, target)  # fails, rather than overwrites, if the name was taken
    finally:
        partial.unlink(missing_ok=True)
    return target


def check_backup(path: Path) -> str:
    """The schema revision of the Harbor database at ``path``, or NotAHarborBackup."""
    if not path.is_file():
        raise NotAHarborBackup(f"There is no file at {path}.")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as copy:
            tables = {name for (name,) in copy.execute("SELECT name FROM sqlite_master")}
            missing = HARBOR_TABLES - tables
            if missing:
                raise NotAHarborBackup(
                    f"{path} is a SQLite database but not Harbor's: it has no "
                    f"{', '.join(sorted(missing))} table."
                )
            revisions = [row[0] for row in copy.execute("SELECT version_num FROM alembic_version")]
            _check_integrity(copy, path)
    except DamagedDatabase as error:
        raise NotAHarborBackup(str(error)) from None
    except sqlite3.DatabaseError as error:
        raise NotAHarborBackup(f"{path} is not a readable SQLite database ({error}).") from None
    if len(revisions) != 1 or revisions[0] not in known_revisions():
        raise NotAHarborBackup(
            f"{path} has schema version {', '.join(revisions) or 'none'}, which this Harbor "
            "does not know: was it made by a newer Harbor?"
        )
    return revisions[0]


def restore(backup: Path, database: Path, keep_at: Path) -> str:
    """Put the Harbor database at ``backup`` in place of the live ``database``.

    The database as it is now is first copied to ``keep_at``, in case the wrong backup was
    chosen. The backup API then writes every page in one transaction: anyone using the
    site meanwhile sees the old database or the restored one, never a mix.
    Returns the backup's schema revision.
    """
    if backup.resolve() == database.resolve():
        raise NotAHarborBackup(f"{backup} is the live database itself.")
    revision = check_backup(backup)
    back_up(database, keep_at)
    source_uri = f"{backup.resolve().as_uri()}?mode=ro"
    # Staged beside the kept copy (a private folder), so the restored forum arrives with
    # its page generation already moved on: in the same single step as everything else.
    with TemporaryDirectory(dir=keep_at.parent) as folder:
        staged = Path(folder) / "restoring.db"
        with (
            closing(sqlite3.connect(source_uri, uri=True)) as source,
            closing(sqlite3.connect(staged)) as copy,
        ):
            source.backup(copy)
        with closing(_connect(database)) as live, closing(sqlite3.connect(staged)) as copy:
            _move_page_generation_past(copy, _page_generation(live))
            copy.backup(live)
    return revision


def _page_generation(connection: sqlite3.Connection) -> int:
    with suppress(sqlite3.OperationalError):  # a database from before the table
        row = connection.execute("SELECT value FROM page_generation WHERE id = 1").fetchone()
        return row[0] if row else 0
    return 0


def _move_page_generation_past(connection: sqlite3.Connection, live: int) -> None:
    """Pages and posts the running site keeps are filed under numbers near ``live``; the
    restored forum must never reuse one, or they would be served again. The jump leaves
    room for every write the site makes while the restore runs."""
    with suppress(sqlite3.OperationalError), connection:  # no such table: nothing is kept
        connection.execute(
            "UPDATE page_generation SET value = max(value, ?) + ? WHERE id = 1",
            (live, FORGETTING_JUMP),
        )


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def pg_dump_advice(url: URL, now: datetime | None = None) -> str:
    """How to back up (and restore) Harbor's PostgreSQL database, with its own names
    filled in. The password is left out: pg_dump asks for it, or reads ~/.pgpass."""
    dump = timestamped_name(now=now).removesuffix(".db") + ".dump"
    connection = " ".join(
        f"--{option}={value}"
        for option, value in (("host", url.host), ("port", url.port), ("username", url.username))
        if value
    )
    database = url.database or "harbor"
    return (
        "Harbor's database is PostgreSQL: back it up with pg_dump, which takes a consistent\n"
        "copy while the site runs:\n\n"
        f"  pg_dump --format=custom {connection} --file={dump} {database}\n\n"
        "and restore it into a new, empty database with:\n\n"
        f"  pg_restore --no-owner {connection} --dbname=NEW_DATABASE {dump}\n\n"
        "then, with DATABASE_URL naming it, make the pages kept from before stale:\n\n"
        "  flask --app wsgi cache forget\n\n"
        "Nothing was copied by this command."
    )


def _connect(database: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(database)
    # Waits behind a writer (as the site's own connections do) instead of failing at once.
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return connection


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise DamagedDatabase(f"{path} is damaged: {'; '.join(result[:5])}")


def _make_private_folder(folder: Path) -> None:
    existed = folder.is_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not existed:
        os.chmod(folder, 0o700)  # mkdir's mode passes through the umask
