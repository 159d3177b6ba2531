"""Search over thread titles and post text.

A plain substring match for now, portable across SQLite and PostgreSQL; the full-text
engines (FTS5, tsvector) will sit behind these same three functions.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models import Post, PostState, Thread
from ..text import clean_line

QUERY_MAX_LENGTH = 200
EXCERPT_CONTEXT = 90


@dataclass(frozen=True)
class Result:
    post: Post
    before: str
    match: str
    after: str


def clean_query(raw: str) -> str:
    return (clean_line(raw.replace("\x00", "")) or "")[:QUERY_MAX_LENGTH]


def _matching_posts(query: str):
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return (
        select(Post)
        .join(Post.thread)
        .where(
            Post.state == PostState.VISIBLE,
            or_(
                Post.source.ilike(pattern, escape="\\"),
                (Post.number == 1) & Thread.title.ilike(pattern, escape="\\"),
            ),
        )
    )


def count_matches(query: str) -> int:
    return db.session.scalar(select(func.count()).select_from(_matching_posts(query).subquery()))


def find_posts(query: str, offset: int, limit: int) -> list[Result]:
    statement = (
        _matching_posts(query)
        .options(contains_eager(Post.thread), joinedload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [excerpt(post, query) for post in db.session.scalars(statement)]


def excerpt(post: Post, query: str) -> Result:
    """The words around the first match, split so the page can highlight the match."""
    text = " ".join(post.source.split())
    start = text.lower().find(query.lower())
    if start < 0:  # matched on the title only
        return Result(post, text[: EXCERPT_CONTEXT * 2], "", "…" if len(text) > 180 else "")
    end = start + len(query)
    before = text[max(0, start - EXCERPT_CONTEXT) : start]
    after = text[end : end + EXCERPT_CONTEXT]
    return Result(
        post,
        ("…" if start > EXCERPT_CONTEXT else "") + before,
        text[start:end],
        after + ("…" if end + EXCERPT_CONTEXT < len(text) else ""),
    )
