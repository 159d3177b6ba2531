"""Full-text search over thread titles and posts, behind one interface.

SQLite uses an FTS5 table ranked by bm25; PostgreSQL a tsvector table with a GIN index,
ranked by ts_rank. Either way the index holds exactly the posts everyone may read: the
services call ``index_post``/``index_thread`` whenever a post's words, place or visibility
change, and every query joins back to posts and threads as a second guard.

Ranking every match by relevance costs time in proportion to how many posts match, and
a common word matches tens of thousands at a million posts. So a search ranks the most
recent ``WINDOW`` matches (the index walks them newest first and stops), and says when
there were more: a member narrows it with another word, a board or an author. The board
and author filters live inside the index, so a narrow search stays fast too.
"""

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, select, text

from .. import policy
from ..dialects import is_sqlite
from ..extensions import db
from ..models import Board, Post, PostState, Thread, ThreadState, User
from ..text import NUL, clean_line

QUERY_MAX_LENGTH = 200
# The index's own tables (FTS5 adds shadow tables named after it); migrations make them.
SEARCH_TABLE_PREFIX = "post_search"
# Snippet markers that cannot occur in cleaned text; swapped for <mark> after escaping.
START, STOP = "\x02", "\x03"
# A thread's title counts for more than a word in a reply.
TITLE_WEIGHT = 5.0
# How many of the newest matches are ranked: 50 pages, more than anyone reads.
WINDOW = 1_000
# A board with more than this share of all posts is narrowed in the join, not the index.
BIG_BOARD_SHARE = 8


@dataclass(frozen=True)
class Result:
    post: Post
    snippet: Markup


@dataclass(frozen=True)
class Found:
    results: list[Result]
    total: int  # how many were ranked, at most WINDOW
    more: bool  # whether older matches lie beyond them


def clean_query(raw: str) -> str:
    return (clean_line(raw.replace(NUL, "")) or "")[:QUERY_MAX_LENGTH]


def search(query: str, offset: int, limit: int, board: Board | None = None,
           author: User | None = None, reader: User | None = None) -> Found:  # fmt: skip
    """One page of results, best first: only from boards the reader may read, and never
    an anonymous post when looking for an author's."""
    engine = _engine()
    terms = engine.prepare(query)
    if not terms:
        return Found([], 0, False)
    in_index = board if board is not None and _narrows_in_index(board) else None
    sql, params = engine.window_sql(terms, _guards(board, author, reader), in_index, author)
    params["window"] = WINDOW + 1
    statement = text(sql).bindparams(bindparam("readable", expanding=True))
    candidates = db.session.execute(statement, params).all()
    ranked = sorted(candidates[:WINDOW], key=lambda row: (row.score, -row.post_id))
    page_ids = [row.post_id for row in ranked[offset : offset + limit]]
    snippets = _snippets(engine, terms, page_ids)
    posts = _posts_by_id(page_ids)
    results = [Result(posts[post_id], _highlight(snippets.get(post_id))) for post_id in page_ids]
    return Found(results, len(ranked), len(candidates) > WINDOW)


def _guards(board: Board | None, author: User | None, reader: User | None) -> tuple[str, dict]:
    """What every match must satisfy in the tables themselves, whatever the index says."""
    conditions = [
        "posts.state = 'visible'",
        "threads.state = 'visible'",
        # The same rule as every other list of boards, threads or posts.
        "threads.board_id IN (SELECT boards.id FROM boards WHERE boards.visibility IN :readable)",
    ]
    readable = sorted(policy.readable_visibilities(reader), key=lambda visibility: visibility.value)
    params = {"readable": [visibility.value for visibility in readable]}
    if board is not None:
        conditions.append("threads.board_id = :board_id")
        params["board_id"] = board.id
    if author is not None:
        conditions.append("posts.author_id = :author_id AND posts.is_anonymous = :no")
        params["no"] = False
        params["author_id"] = author.id
    return " AND ".join(conditions), params


def _narrows_in_index(board: Board) -> bool:
    """Whether to find a board's posts through the index rather than the join.

    Ranking reads every post the index filter names, so a board holding much of the forum
    costs more to narrow there than to check each recent match against the threads table;
    a small board is the other way round.
    """
    everything = db.session.scalar(select(func.sum(Board.post_count))) or 0
    return board.post_count * BIG_BOARD_SHARE < everything


def _snippets(engine, terms: str, post_ids: list[int]) -> dict[int, str]:
    if not post_ids:
        return {}
    statement = text(engine.snippets_sql).bindparams(bindparam("ids", expanding=True))
    rows = db.session.execute(statement, {"query": terms, "ids": post_ids})
    return {row.post_id: row.snippet for row in rows}


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
        db.session.execute(text(engine.insert_sql), _entry(post, thread, title))


def _entry(post: Post, thread: Thread, title: str) -> dict:
    return {
        "post_id": post.id,
        "title": title,
        "body": post.source,
        "board_id": thread.board_id,
        # An anonymous post must never turn up in a search for its author's posts.
        "author_id": None if post.is_anonymous else post.author_id,
    }


def index_many(entries: list[dict]) -> None:
    """Add new, visible posts in bulk, for ``flask fake``: dicts with the keys of _entry."""
    if entries:
        db.session.execute(text(_engine().insert_sql), entries)


def index_thread(thread: Thread) -> None:
    """Refresh every post of a thread (after it is hidden, moved, merged, split or renamed)."""
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


def optimize() -> None:
    """Merge the index into as few pieces as it can, after a bulk load or now and then."""
    db.session.execute(text(_engine().optimize_sql))
    db.session.commit()


def is_search_table(name: str) -> bool:
    return name.startswith(SEARCH_TABLE_PREFIX)


def _engine():
    return SQLITE if is_sqlite(db.engine) else POSTGRESQL


class SqliteSearch:
    """FTS5: the scope column holds tokens such as "b3 a42" for the post's board and author."""

    insert_sql = (
        "INSERT INTO post_search (rowid, title, body, scope) VALUES (:post_id, :title, :body, "
        "'b' || :board_id || coalesce(' a' || :author_id, ''))"
    )
    delete_sql = "DELETE FROM post_search WHERE rowid = :post_id"
    clear_sql = "DELETE FROM post_search"
    optimize_sql = "INSERT INTO post_search (post_search) VALUES ('optimize')"
    snippets_sql = (
        "SELECT rowid AS post_id, snippet(post_search, 1, char(2), char(3), '…', 24) AS snippet "
        "FROM post_search WHERE post_search MATCH :query AND rowid IN :ids"
    )

    @staticmethod
    def prepare(query: str) -> str:
        """The member's words as an FTS5 query: "quoted phrases" and words, all required,
        in the title or the body (never the scope).

        Every term is quoted, so FTS5's own operators (NEAR, OR, *, :) are just words.
        """
        terms = [
            phrase or word
            for phrase, word in re.findall(r'"([^"]+)"|(\S+)', query)
            if (phrase or word).strip('"')
        ]
        if not terms:
            return ""
        quoted = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return f"{{title body}} : ({quoted})"

    @staticmethod
    def window_sql(terms: str, guards: tuple[str, dict], board: Board | None,
                   author: User | None) -> tuple[str, dict]:  # fmt: skip
        conditions, params = guards
        match = terms
        if board is not None:
            match += f" AND scope : b{board.id}"
        if author is not None:
            match += f" AND scope : a{author.id}"
        # FTS5 walks the matches by rowid, newest first, and the LIMIT stops it early; bm25
        # then scores only those. The scope column weighs nothing in the ranking.
        sql = (
            "SELECT post_search.rowid AS post_id, "
            f"bm25(post_search, {TITLE_WEIGHT}, 1.0, 0.0) AS score "
            "FROM post_search JOIN posts ON posts.id = post_search.rowid "
            "JOIN threads ON threads.id = posts.thread_id "
            f"WHERE post_search MATCH :match AND {conditions} "
            "ORDER BY post_search.rowid DESC LIMIT :window"
        )
        return sql, {**params, "match": match}


class PostgresSearch:
    insert_sql = (
        "INSERT INTO post_search (post_id, document, board_id, author_id) VALUES (:post_id, "
        "setweight(to_tsvector('english', :title), 'A') || "
        "setweight(to_tsvector('english', :body), 'B'), :board_id, :author_id)"
    )
    delete_sql = "DELETE FROM post_search WHERE post_id = :post_id"
    clear_sql = "DELETE FROM post_search"
    # Fresh statistics let the planner choose between the GIN and the board/author indexes,
    # and join posts and threads well: right after a bulk load, before autovacuum has
    # looked, a common word took 1.9 s at a million posts, and 37 ms once analysed.
    optimize_sql = "ANALYZE post_search, posts, threads, boards"
    snippets_sql = (
        "SELECT posts.id AS post_id, ts_headline('english', posts.source, "
        "websearch_to_tsquery('english', :query), "
        "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=40, MinWords=15') "
        "AS snippet FROM posts WHERE posts.id IN :ids"
    )

    @staticmethod
    def prepare(query: str) -> str:
        # websearch_to_tsquery understands "phrases" and never fails on odd input.
        return query if query.strip('" ') else ""

    @staticmethod
    def window_sql(terms: str, guards: tuple[str, dict], board: Board | None,
                   author: User | None) -> tuple[str, dict]:  # fmt: skip
        conditions, params = guards
        if board is not None:
            conditions += " AND post_search.board_id = :board_id"
        if author is not None:
            conditions += " AND post_search.author_id = :author_id"
        # Lower scores rank first, as with bm25.
        sql = (
            "SELECT post_search.post_id, -ts_rank(post_search.document, "
            "websearch_to_tsquery('english', :query)) AS score "
            "FROM post_search JOIN posts ON posts.id = post_search.post_id "
            "JOIN threads ON threads.id = posts.thread_id "
            "WHERE post_search.document @@ websearch_to_tsquery('english', :query) "
            f"AND {conditions} ORDER BY post_search.post_id DESC LIMIT :window"
        )
        return sql, {**params, "query": terms}


SQLITE, POSTGRESQL = SqliteSearch(), PostgresSearch()
