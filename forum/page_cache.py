"""Visitors' pages, kept as rendered and filed under the page generation.

A visitor (nobody logged in) sees the same index, board page or thread page as every other
visitor, so the first one renders it and the rest are handed the same bytes. A kept page
is filed under the page generation (models/site.py) it was rendered at, and every
transaction that writes anything a page may show adds one to that number before it
commits. The next visitor then asks for a number that has no page yet, and renders afresh.
Nothing needs to know which pages a change touches, so no change can forget to clear one.

The check costs one small read, made before anything else on the page, so a page filed
under a number is never older than the number (a commit moves data and number together).

Where they live: each worker's own memory by default (``SimpleCache``, a few thousand
entries), or Redis when several workers or hosts should share them
(``HARBOR_CACHE_URL=redis://...``). Members' pages are never kept whole: theirs carry their
own forms, markers and tokens. Their posts are (forum/threads/post_html.py), filed the same way.
"""

import hashlib
import logging
import re
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import TextClause, event, inspect, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import THE_GENERATION, PageGeneration

cache = Cache()

# Each with the query strings it is kept for, written exactly so: anything else (a quote,
# a tracking tag, ?page=01) renders as usual but is not kept, so nobody can fill the
# cache with copies of one page under made-up addresses.
KEPT_ENDPOINTS = {
    "boards.index": re.compile(rb""),
    "boards.board": re.compile(rb"(page=[1-9][0-9]{0,8})?"),
    "threads.thread": re.compile(rb"(page=[1-9][0-9]{0,8})?"),
}
# Rows no kept page shows: a member's own reading place, drafts, bookmarks, watches,
# notifications and mail; private messages; and the moderators' own records. Writing only
# these leaves the generation, and the pages, alone; otherwise every member reading a
# thread (which records how far they read) would throw away every visitor's page.
PRIVATE_TABLES = frozenset(
    {"thread_reads", "drafts", "bookmarks", "thread_watches", "board_watches",
     "notifications", "outbox",
     "conversations", "conversation_members", "messages", "blocks",
     "reports", "cases", "staff_notes", "moderation_log"}
)  # fmt: skip
# And columns of shown rows that no kept page shows: what a member's own menu, settings
# and mail use. Logging in (which notes the visit) or reading a notification leaves kept
# pages alone; a new name, story or badge does not.
PRIVATE_COLUMNS = {
    "users": frozenset(
        {"email", "email_confirmed_at", "pending_email", "password_hash", "session_token",
         "last_seen_at", "has_pending_warning", "unread_notifications", "email_frequency",
         "digested_until", "mentor_listed", "always_show_noted_posts"}
    ),
}  # fmt: skip
WRITING_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
GENERATION_SQL = f"SELECT value FROM page_generation WHERE id = {THE_GENERATION}"
# Headers a kept page carries again; the rest (security headers, ETag) are added anew.
NOT_KEPT_HEADERS = {"set-cookie", "content-length"}
# Far past any number a running site reaches while a database is swapped under it.
FORGETTING_JUMP = 1_000_000_000
ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("harbor.page_cache")


def init_app(app: Flask) -> None:
    url = app.config.get("CACHE_URL", "")
    settings = {
        "CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"],
        "CACHE_KEY_PREFIX": f"harbor-page-{build_fingerprint(app)}-",
    }
    if url.startswith(("redis://", "rediss://", "unix://")):
        # A Redis that stops answering costs a quarter of a second, then a fresh rendering.
        timeouts = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url, CACHE_OPTIONS=timeouts)
    else:
        settings.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=app.config["PAGE_CACHE_ENTRIES"])
    cache.init_app(app, config=settings)
    app.before_request(serve_kept_page)
    app.after_request(keep_page)
    _listen_for_writes()


def build_fingerprint(app: Flask) -> str:
    """Which release rendered a page: its code, migrations, templates and static files.
    A deploy (with any data its migrations change) files its pages apart from the last
    one's, which may still be in a shared Redis; hosts running the same release share
    them wherever it is installed."""
    digest = hashlib.sha256()
    folders = (ROOT / "forum", ROOT / "migrations", Path(app.template_folder),
               Path(app.static_folder))  # fmt: skip
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix != ".pyc":
                digest.update(path.relative_to(folder.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# The cache may be Redis, which may stop answering: then everything is simply not kept.


def kept(*keys: str) -> list:
    try:
        return cache.get_many(*keys)
    except Exception:  # redis' errors, socket errors: whatever the store raises
        log.warning("page cache unavailable: rendering afresh", exc_info=True)
        return [None] * len(keys)


def keep(entries: dict) -> None:
    try:
        cache.set_many(entries)
    except Exception:
        log.warning("page cache unavailable: not keeping", exc_info=True)


def serve_kept_page() -> Response | None:
    if not is_kept_address():
        return None
    # Before anything else reads the database: on SQLite, loading a member from a cookie
    # below would fix the request's snapshot, which must not be older than the number.
    generation = current_generation()
    if generation is None or not is_visitor_without_messages():
        return None
    g.page_key = f"{generation}:{request.full_path}"
    (found,) = kept(g.page_key)
    if found is None:
        return None
    g.page_was_kept = True
    body, headers = found
    return Response(body, headers=headers)


def keep_page(response: Response) -> Response:
    key = g.get("page_key")
    if (
        key is not None
        and not g.get("page_was_kept")
        and response.status_code == 200
        and not response.is_streamed
        # A form's token belongs to one visitor's session; a flashed message to one moment.
        and "csrf_token" not in g
        and not session.modified
    ):
        response.add_etag()  # once, rather than hashing the same bytes on every visit
        headers = [(name, value) for name, value in response.headers
                   if name.lower() not in NOT_KEPT_HEADERS]  # fmt: skip
        keep({key: (response.get_data(), headers)})
    return response


def is_kept_address() -> bool:
    query = KEPT_ENDPOINTS.get(request.endpoint)
    return (
        request.method == "GET"
        and query is not None
        and query.fullmatch(request.query_string) is not None
        and not current_app.debug
    )


def is_visitor_without_messages() -> bool:
    return not current_user.is_authenticated and "_flashes" not in session


def current_generation() -> int | None:
    """The page generation, read straight from a pooled connection.

    A kept page costs only this read, and a session with its transaction would make it
    ten times dearer (about 500 µs against 50 on SQLite). Outside the request's own
    transaction is safe: the number is read before any data, and a commit moves both at
    once, so a page is never filed under a number newer than what it shows.
    """
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(GENERATION_SQL)
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()  # back to the pool, rolled back
    return row[0] if row else None  # no row: nothing can be kept safely


def forget_kept_pages() -> None:
    """Clears this app's own store (tests, whose database goes back behind its back)."""
    cache.clear()


def forget_everything_kept() -> None:
    """Moves the generation far past every number anything may be kept under, on every
    host and worker at once: for after a database was put back (`flask cache forget`)."""
    db.session.execute(generation_moved_on(by=FORGETTING_JUMP))
    db.session.commit()


# Moving the generation on


def generation_moved_on(by: int):
    return (
        update(PageGeneration)
        .where(PageGeneration.id == THE_GENERATION)
        .values(value=PageGeneration.value + by)
    )


def _listen_for_writes() -> None:
    if event.contains(Session, "before_commit", _move_generation_on):
        return
    event.listen(Session, "before_flush", _note_flushed_writes)
    event.listen(Session, "do_orm_execute", _note_statement_writes)
    event.listen(Session, "before_commit", _move_generation_on)
    event.listen(Session, "after_transaction_end", _forget_writes)


def changes_pages(table: str, columns: set[str] | None = None) -> bool:
    """Whether writing these columns (None: whole rows) of this table may change a page."""
    if table in PRIVATE_TABLES:
        return False
    private = PRIVATE_COLUMNS.get(table)
    return not (private and columns is not None and columns <= private)


def _note_flushed_writes(session: Session, _context, _instances) -> None:
    whole_rows = [row.__table__.name for row in (*session.new, *session.deleted)]
    edits = [(row.__table__.name, _changed_columns(row)) for row in session.dirty]
    if any(map(changes_pages, whole_rows)) or any(
        columns and changes_pages(table, columns) for table, columns in edits
    ):
        session.info["pages_changed"] = True


def _changed_columns(row) -> set[str]:
    return {attribute.key for attribute in inspect(row).attrs if attribute.history.has_changes()}


def _note_statement_writes(state) -> None:
    statement = state.statement
    if state.is_update:
        values = getattr(statement, "_values", None)  # None: set some other way, so unknown
        columns = {getattr(column, "key", column) for column in values} if values else None
        if changes_pages(statement.table.name, columns):
            state.session.info["pages_changed"] = True
    elif state.is_insert or state.is_delete:
        if changes_pages(statement.table.name):
            state.session.info["pages_changed"] = True
    elif isinstance(statement, TextClause) and WRITING_SQL.match(statement.text):
        state.session.info["pages_changed"] = True


def _move_generation_on(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit moves it, last, after every other lock
    # What is still pending is flushed here, so its rows are noted before the check.
    session.flush()
    if session.info.pop("pages_changed", False):
        # Through the connection, not the session: it is not itself a change to note.
        session.connection().execute(generation_moved_on(by=1))


def _forget_writes(session: Session, transaction) -> None:
    # Only when the whole transaction ends: a savepoint rolled back inside it leaves what
    # the transaction wrote before it, still to be committed.
    if transaction.parent is None:
        session.info.pop("pages_changed", None)
