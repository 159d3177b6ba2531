"""Full-text search over thread titles and posts, behind one interface.

SQLite uses an FTS5 table ranked by bm25; PostgreSQL a tsvector table with a GIN index,
ranked by ts_rank. Either way the index holds exactly the posts everyone may read: the
services call ``index_post``/``index_thread`` whenever a post's words or visibility
change, and every query joins back to posts and threads as a second guard.
"""

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select, text

from ..dialects import is_sqlite
from ..extensions import db
from ..models import Board, Post, PostState, Thread, ThreadState, User, readable_boards_clause
from ..text import NUL, clean_line

QUERY_MAX_LENGTH = 200
# The index's own tables (FTS5 adds shadow tables named after it); migrations make them.
SEARCH_TABLE_PREFIX = "post_search"
# Snippet markers that cannot occur in cleaned text; swapped for <mark> after escaping.
START, STOP = "\x02", "\x03"
# A thread's title counts for more than a word in a reply.
TITLE_WEIGHT = 5.0


@dataclass(frozen=True)
class Result:
    post: Post
    snippet: Markup


def clean_query(raw: str) -> str:
    return (clean_line(raw.replace(NUL, "")) or "")[:QUERY_MAX_LENGTH]


def search(query: str, offset: int, limit: int, board: Board | None = None,
           author: User | None = None, reader: User | None = None,
           ) -> tuple[list[Result], int]:  # fmt: skip
    """One page of results, best first, and how many there are in all: only from boards
    the reader may read, and never an anonymous post when looking for an author's."""
    engine = _engine()
    terms = engine.prepare(query)
    if not terms:
        return [], 0
    filters, params = _filters(board, author, reader)
    params.update(query=terms, offset=offset, limit=limit)
    total = db.session.execute(text(engine.count_sql(filters)), params).scalar_one()
    rows = db.session.execute(text(engine.search_sql(filters)), params).all()
    posts = _posts_by_id([row.post_id for row in rows])
    results = [Result(posts[row.post_id], _highlight(row.snippet)) for row in rows]
    return results, total


def _filters(board: Board | None, author: User | None, reader: User | None) -> tuple[str, dict]:
    readable = select(Board.id).where(readable_boards_clause(reader))
    compiled = readable.compile(db.engine, compile_kwargs={"literal_binds": True})
    conditions = [
        "posts.state = 'visible'",
        "threads.state = 'visible'",
        # The same rule as every other list (the values are our enum's, not the reader's).
        f"threads.board_id IN ({compiled})",
    ]
    params = {}
    if board is not None:
        conditions.append("threads.board_id = :board_id")
        params["board_id"] = board.id
    if author is not None:
        conditions.append("posts.author_id = :author_id AND posts.is_anonymous = :no")
        params["no"] = False
        params["author_id"] = author.id
    return " AND ".join(conditions), params


def _posts_by_id(ids: list[int]) -> dict[int, Post]:
    from sqlalchemy.orm import joinedload

    posts = db.session.scalars(
        select(Post)
        .where(Post.id.in_(ids))
        .options(joinedload(Post.thread).joinedload(Thread.board), joinedload(Post.author))
    )
    return {post.id: post for post in posts}


def _highlight(snippet: str | None) -> Markup:
    escaped = str(escape(" ".join((snippet or "").split())))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))


# Keeping the index in step


def index_post(post: Post) -> None:
    """Add, refresh or remove one post, according to whether everyone may read it now."""
    thread = db.session.get(Thread, post.thread_id)
    engine = _engine()
    db.session.execute(text(engine.delete_sql), {"post_id": post.id})
    if post.state is PostState.VISIBLE and thread.state is ThreadState.VISIBLE:
        title = thread.title if post.id == thread.first_post_id else ""
        db.session.execute(
            text(engine.insert_sql), {"post_id": post.id, "title": title, "body": post.source}
        )


def index_many(posts) -> None:
    """Add new, visible posts in bulk: (post id, title or "", body) each. For ``flask fake``."""
    engine = _engine()
    rows = [{"post_id": post_id, "title": title, "body": body} for post_id, title, body in posts]
    if rows:
        db.session.execute(text(engine.insert_sql), rows)


def index_thread(thread: Thread) -> None:
    """Refresh every post of a thread (after it is hidden, merged, split or renamed)."""
    db.session.flush()
    for post in db.session.scalars(select(Post).where(Post.thread_id == thread.id)):
        index_post(post)


def rebuild() -> int:
    """Index every post again from scratch; returns how many are searchable."""
    engine = _engine()
    db.session.execute(text(engine.clear_sql))
    indexed = 0
    for post in db.session.scalars(select(Post).order_by(Post.id)).yield_per(1000):
        index_post(post)
        indexed += post.state is PostState.VISIBLE
    db.session.commit()
    return indexed


def is_search_table(name: str) -> bool:
    return name.startswith(SEARCH_TABLE_PREFIX)


def _engine():
    return SQLITE if is_sqlite(db.engine) else POSTGRESQL


class SqliteSearch:
    insert_sql = "INSERT INTO post_search (rowid, title, body) VALUES (:post_id, :title, :body)"
    delete_sql = "DELETE FROM post_search WHERE rowid = :post_id"
    clear_sql = "DELETE FROM post_search"

    @staticmethod
    def prepare(query: str) -> str:
        """The member's words as an FTS5 query: "quoted phrases" and words, all required.

        Every term is quoted, so FTS5's own operators (NEAR, OR, *, :) are just words.
        """
        terms = [
            phrase or word
            for phrase, word in re.findall(r'"([^"]+)"|(\S+)', query)
            if (phrase or word).strip('"')
        ]
        return " ".join('"' + term.replace('"', '""') + '"' for term in terms)

    @staticmethod
    def count_sql(filters: str) -> str:
        return (
            "SELECT count(*) FROM post_search JOIN posts ON posts.id = post_search.rowid "
            "JOIN threads ON threads.id = posts.thread_id "
            f"WHERE post_search MATCH :query AND {filters}"
        )

    @staticmethod
    def search_sql(filters: str) -> str:
        return (
            "SELECT post_search.rowid AS post_id, "
            "snippet(post_search, 1, char(2), char(3), '…', 24) AS snippet "
            "FROM post_search JOIN posts ON posts.id = post_search.rowid "
            "JOIN threads ON threads.id = posts.thread_id "
            f"WHERE post_search MATCH :query AND {filters} "
            f"ORDER BY bm25(post_search, {TITLE_WEIGHT}, 1.0), posts.id DESC "
            "LIMIT :limit OFFSET :offset"
        )


class PostgresSearch:
    insert_sql = (
        "INSERT INTO post_search (post_id, document) VALUES (:post_id, "
        "setweight(to_tsvector('english', :title), 'A') || "
        "setweight(to_tsvector('english', :body), 'B'))"
    )
    delete_sql = "DELETE FROM post_search WHERE post_id = :post_id"
    clear_sql = "DELETE FROM post_search"

    @staticmethod
    def prepare(query: str) -> str:
        # websearch_to_tsquery understands "phrases" and never fails on odd input.
        return query if query.strip('" ') else ""

    @staticmethod
    def count_sql(filters: str) -> str:
        return (
            "SELECT count(*) FROM post_search JOIN posts ON posts.id = post_search.post_id "
            "JOIN threads ON threads.id = posts.thread_id "
            "WHERE post_search.document @@ websearch_to_tsquery('english', :query) "
            f"AND {filters}"
        )

    @staticmethod
    def search_sql(filters: str) -> str:
        return (
            "SELECT posts.id AS post_id, ts_headline('english', posts.source, "
            "websearch_to_tsquery('english', :query), "
            "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=40, MinWords=15') "
            "AS snippet FROM post_search JOIN posts ON posts.id = post_search.post_id "
            "JOIN threads ON threads.id = posts.thread_id "
            "WHERE post_search.document @@ websearch_to_tsquery('english', :query) "
            f"AND {filters} "
            "ORDER BY ts_rank(post_search.document, websearch_to_tsquery('english', :query)) "
            "DESC, posts.id DESC LIMIT :limit OFFSET :offset"
        )


SQLITE, POSTGRESQL = SqliteSearch(), PostgresSearch()
