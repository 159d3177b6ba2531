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
import re
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import TextClause, event, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import THE_GENERATION, PageGeneration

cache = Cache()

KEPT_ENDPOINTS = {"boards.index", "boards.board", "threads.thread"}
# Any other argument (a quote, a tracking tag) renders the page as it would without it,
# but would file a new copy: such requests are simply not kept.
KEPT_ARGUMENTS = {"page"}
# Rows no kept page shows: a member's own reading place, drafts, bookmarks, watches,
# notifications and mail. Writing only these leaves the generation, and the pages, alone;
# otherwise every member reading a thread (which records how far they read) would throw
# away every visitor's page.
PRIVATE_TABLES = frozenset(
    {"thread_reads", "drafts", "bookmarks", "thread_watches", "board_watches",
     "notifications", "outbox"}
)  # fmt: skip
WRITING_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
GENERATION_SQL = f"SELECT value FROM page_generation WHERE id = {THE_GENERATION}"
# Headers a kept page carries again; the rest (security headers, ETag) are added anew.
NOT_KEPT_HEADERS = {"set-cookie", "content-length"}


def init_app(app: Flask) -> None:
    url = app.config.get("CACHE_URL", "")
    settings = {
        "CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"],
        "CACHE_KEY_PREFIX": f"harbor-page-{build_fingerprint(app)}-",
    }
    if url.startswith(("redis://", "rediss://", "unix://")):
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    else:
        settings.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=app.config["PAGE_CACHE_ENTRIES"])
    cache.init_app(app, config=settings)
    app.before_request(serve_kept_page)
    app.after_request(keep_page)
    _listen_for_writes()


def build_fingerprint(app: Flask) -> str:
    """Which templates and static files rendered a page: a deploy that changes them files
    its pages apart from the last one's, which may still be in a shared Redis."""
    digest = hashlib.sha256()
    for folder in (Path(app.template_folder), Path(app.static_folder)):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def serve_kept_page() -> Response | None:
    if not is_kept_request():
        return None
    g.page_key = f"{current_generation()}:{request.full_path}"
    kept = cache.get(g.page_key)
    if kept is None:
        return None
    g.page_was_kept = True
    body, headers = kept
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
        cache.set(key, (response.get_data(), headers))
    return response


def is_kept_request() -> bool:
    return (
        request.method == "GET"
        and request.endpoint in KEPT_ENDPOINTS
        and KEPT_ARGUMENTS.issuperset(request.args)
        and not current_app.debug
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def current_generation() -> int:
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
    return row[0] if row else 0


def forget_kept_pages() -> None:
    """For when the database was replaced behind the app's back (restore, tests)."""
    cache.clear()


# Moving the generation on


def _listen_for_writes() -> None:
    if event.contains(Session, "before_commit", _move_generation_on):
        return
    event.listen(Session, "before_flush", _note_flushed_writes)
    event.listen(Session, "do_orm_execute", _note_statement_writes)
    event.listen(Session, "before_commit", _move_generation_on)
    event.listen(Session, "after_rollback", _forget_writes)


def _note_flushed_writes(session: Session, _context, _instances) -> None:
    changed = [*session.new, *session.deleted,
               *(row for row in session.dirty if session.is_modified(row))]  # fmt: skip
    if any(row.__table__.name not in PRIVATE_TABLES for row in changed):
        session.info["pages_changed"] = True


def _note_statement_writes(state) -> None:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        if statement.table.name not in PRIVATE_TABLES:
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
        session.connection().execute(
            update(PageGeneration)
            .where(PageGeneration.id == THE_GENERATION)
            .values(value=PageGeneration.value + 1)
        )


def _forget_writes(session: Session) -> None:
    session.info.pop("pages_changed", None)
