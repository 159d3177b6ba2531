"""Checking, and mending, everything Harbor stores twice.

Counts, "last post" links and the search index are kept in step with the posts as they are
written. After a crash, a restore, or a bug, ``flask doctor`` recomputes each of them from
the rows themselves (one aggregate query per kind, so it scales with the data, not with
round trips) and reports every difference; ``--repair`` puts them right with the same
recount functions the site uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import aliased

from ..dialects import is_sqlite
from ..extensions import db
from ..models import Board, Notification, Post, PostState, Thread, ThreadState, User
from . import posting, searching

# A report lists this many differences of each kind; repairs cover all of them.
SHOWN = 20


@dataclass(frozen=True)
class Finding:
    kind: str  # "thread", "board", "member" or "search"
    row_id: int
    field: str
    stored: object
    actual: object

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.row_id}: {self.field} is {self.stored!r}, should be {self.actual!r}"
        )


def examine() -> list[Finding]:
    return [*_threads(), *_boards(), *_members(), *_search_index()]


def repair(findings: list[Finding]) -> None:
    """Recount every row with a difference, re-index posts the index has wrong, commit."""
    for finding in findings:
        if finding.kind == "thread":
            posting.recount_thread(db.session.get(Thread, finding.row_id))
        elif finding.kind == "member" and finding.field in ("post_count", "visible_post_count"):
            posting.recount_member(db.session.get(User, finding.row_id))
        elif finding.kind == "member":
            db.session.get(User, finding.row_id).unread_notifications = finding.actual
        elif finding.kind == "search":
            post = db.session.get(Post, finding.row_id)
            if post is None:
                _unindex(finding.row_id)
            else:
                searching.index_post(post)
    # Boards last: their counts add up their threads'.
    boards = {f.row_id for f in findings if f.kind == "board"}
    boards |= {db.session.get(Thread, f.row_id).board_id for f in findings if f.kind == "thread"}
    for board_id in boards:
        posting.recount_board(db.session.get(Board, board_id))
    db.session.commit()


def _threads() -> list[Finding]:
    visible = Post.state == PostState.VISIBLE
    numbers = (
        select(
            Post.thread_id,
            func.min(Post.number).label("first"),
            func.max(Post.number).label("last"),
            func.max(Post.number).filter(visible).label("last_visible"),
            func.count().filter(visible).label("visible"),
        )
        .group_by(Post.thread_id)
        .subquery()
    )
    first, last = aliased(Post), aliased(Post)
    rows = db.session.execute(
        select(
            Thread.id,
            Thread.post_count,
            Thread.reply_count,
            Thread.first_post_id,
            Thread.last_post_id,
            func.coalesce(numbers.c.last, 0),
            numbers.c.visible,
            first.id,
            first.state,
            last.id,
        )
        .outerjoin(numbers, numbers.c.thread_id == Thread.id)
        .outerjoin(first, and_(first.thread_id == Thread.id, first.number == numbers.c.first))
        .outerjoin(last, and_(last.thread_id == Thread.id, last.number == numbers.c.last_visible))
        .where(Thread.state != ThreadState.MERGED)
        .order_by(Thread.id)
    )
    findings = []
    for (thread_id, post_count, reply_count, first_id, last_id,
         numbers_used, visible, actual_first, first_state, actual_last) in rows:  # fmt: skip
        replies = (visible or 0) - (1 if first_state is PostState.VISIBLE else 0)
        findings += _differences("thread", thread_id, {
            "post_count": (post_count, numbers_used),
            "reply_count": (reply_count, replies),
            "first_post_id": (first_id, actual_first),
            "last_post_id": (last_id, actual_last),
        })  # fmt: skip
    return findings


def _differences(kind: str, row_id: int, fields: dict[str, tuple]) -> list[Finding]:
    """A finding for each field whose (stored, actual) values disagree."""
    return [
        Finding(kind, row_id, field, stored, actual)
        for field, (stored, actual) in fields.items()
        if stored != actual
    ]


def _boards() -> list[Finding]:
    visible_thread = Thread.state == ThreadState.VISIBLE
    threads = (
        select(
            Thread.board_id,
            func.count().label("threads"),
            func.max(Thread.last_post_id).label("last_post_id"),
        )
        .where(visible_thread)
        .group_by(Thread.board_id)
        .subquery()
    )
    posts = (
        select(Thread.board_id, func.count().label("posts"))
        .join(Post, Post.thread_id == Thread.id)
        .where(visible_thread, Post.state == PostState.VISIBLE)
        .group_by(Thread.board_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Board.id,
            Board.thread_count,
            Board.post_count,
            Board.last_post_id,
            func.coalesce(threads.c.threads, 0),
            func.coalesce(posts.c.posts, 0),
            threads.c.last_post_id,
        )
        .outerjoin(threads, threads.c.board_id == Board.id)
        .outerjoin(posts, posts.c.board_id == Board.id)
        .order_by(Board.id)
    )
    findings = []
    for (
        board_id,
        thread_count,
        post_count,
        last_id,
        actual_threads,
        actual_posts,
        actual_last,
    ) in rows:
        findings += _differences("board", board_id, {
            "thread_count": (thread_count, actual_threads),
            "post_count": (post_count, actual_posts),
            "last_post_id": (last_id, actual_last),
        })  # fmt: skip
    return findings


def _members() -> list[Finding]:
    # As on profiles, anonymous posts are not counted under the member's name; trust
    # counts them.
    visible = func.count().filter(Post.state == PostState.VISIBLE)
    posts = (
        select(
            Post.author_id,
            visible.filter(Post.is_anonymous.is_(False)).label("posts"),
            visible.label("visible"),
        )
        .group_by(Post.author_id)
        .subquery()
    )
    unread = (
        select(Notification.user_id, func.count().label("unread"))
        .where(Notification.read_at.is_(None))
        .group_by(Notification.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            User.id,
            User.post_count,
            User.visible_post_count,
            User.unread_notifications,
            func.coalesce(posts.c.posts, 0),
            func.coalesce(posts.c.visible, 0),
            func.coalesce(unread.c.unread, 0),
        )
        .outerjoin(posts, posts.c.author_id == User.id)
        .outerjoin(unread, unread.c.user_id == User.id)
        .order_by(User.id)
    )
    findings = []
    for (
        user_id,
        post_count,
        visible_count,
        unread_count,
        actual_posts,
        actual_visible,
        actual_unread,
    ) in rows:
        findings += _differences("member", user_id, {
            "post_count": (post_count, actual_posts),
            "visible_post_count": (visible_count, actual_visible),
            "unread_notifications": (unread_count, actual_unread),
        })  # fmt: skip
    return findings


def _search_index() -> list[Finding]:
    """Posts everyone may read must be in the index once; nothing else may be."""
    indexed = (
        "SELECT rowid FROM post_search"
        if is_sqlite(db.engine)
        else ("SELECT post_id FROM post_search")
    )
    searchable = (
        "SELECT posts.id FROM posts JOIN threads ON threads.id = posts.thread_id "
        "WHERE posts.state = 'visible' AND threads.state = 'visible'"
    )
    missing = db.session.scalars(text(f"{searchable} EXCEPT {indexed}")).all()
    extra = db.session.scalars(text(f"{indexed} EXCEPT {searchable}")).all()
    return [Finding("search", post_id, "indexed", False, True) for post_id in missing] + [
        Finding("search", post_id, "indexed", True, False) for post_id in extra
    ]


def _unindex(post_id: int) -> None:
    column = "rowid" if is_sqlite(db.engine) else "post_id"
    db.session.execute(text(f"DELETE FROM post_search WHERE {column} = :id"), {"id": post_id})
