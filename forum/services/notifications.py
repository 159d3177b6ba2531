"""Telling members what happened: a notification row and their unread count, together.

Every function here writes in the caller's transaction; the caller commits.
"""

import re

from sqlalchemy import select, update

from .. import policy
from ..extensions import db
from ..markup import mentioned_names
from ..models import Board, BoardWatch, Notification, Post, Thread, ThreadWatch, User, utcnow

# The line a "Quote" link starts the reply box with: "@rosa wrote:".
QUOTE = re.compile(r"^@([A-Za-z0-9_-]{3,30}) wrote:", re.MULTILINE)
MOST_MENTIONS = 20


def notify(member: User, kind: str, text: str, post: Post | None = None) -> None:
    db.session.add(
        Notification(
            user_id=member.id, kind=kind, text=text, post_id=post.id if post is not None else None
        )
    )
    _count_unread(member.id, +1)


def _count_unread(user_id: int, change: int) -> None:
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(unread_notifications=User.unread_notifications + change)
    )


def mentioned_usernames(source: str) -> list[str]:
    return mentioned_names(source)[:MOST_MENTIONS]


def notify_new_post(post: Post) -> None:
    """Tell everyone who should hear about a post that has just become public.

    Each member hears once, by the strongest reason: quoted, then mentioned, then a reply
    in a thread they watch (or a new thread in a board they watch).
    """
    thread = db.session.get(Thread, post.thread_id)
    author = db.session.get(User, post.author_id)
    reasons: dict[int, str] = {}
    quoted = {name.lower() for name in QUOTE.findall(post.source)}
    for member in _members_named(mentioned_usernames(post.source) + list(quoted)):
        reasons[member.id] = "quote" if member.username_key in quoted else "mention"
    if post.id == thread.first_post_id:
        watchers = select(BoardWatch.user_id).where(BoardWatch.board_id == thread.board_id)
        fallback = "new-thread"
    else:
        watchers = select(ThreadWatch.user_id).where(ThreadWatch.thread_id == thread.id)
        fallback = "reply"
    for user_id in db.session.scalars(watchers):
        reasons.setdefault(user_id, fallback)
    reasons.pop(author.id, None)
    if not reasons:
        return
    board = db.session.get(Board, thread.board_id)
    for member in db.session.scalars(select(User).where(User.id.in_(reasons))):
        if _can_hear(member, thread):
            notify(member, reasons[member.id], _describe(reasons[member.id], author, thread, board),
                   post=post)  # fmt: skip


def _members_named(usernames: list[str]) -> list[User]:
    if not usernames:
        return []
    return list(db.session.scalars(select(User).where(User.username_key.in_(usernames))))


def _can_hear(member: User, thread: Thread) -> bool:
    return policy.is_member(member) and policy.can_see_thread(member, thread)


def _describe(reason: str, author: User, thread: Thread, board: Board) -> str:
    return {
        "quote": f"{author.username} quoted you in “{thread.title}”",
        "mention": f"{author.username} mentioned you in “{thread.title}”",
        "reply": f"{author.username} replied to “{thread.title}”",
        "new-thread": f"{author.username} started “{thread.title}” in {board.name}",
    }[reason]


def notify_reaction(post: Post, reactor: User) -> None:
    """Gather reactions to one post into one unread notification: "3 members sent support"."""
    if post.author_id == reactor.id:
        return
    author = db.session.get(User, post.author_id)
    if not policy.is_member(author):
        return
    thread = db.session.get(Thread, post.thread_id)
    waiting = db.session.scalar(
        select(Notification).where(
            Notification.user_id == author.id,
            Notification.kind == "reaction",
            Notification.post_id == post.id,
            Notification.read_at.is_(None),
        )
    )
    if waiting is None:
        text = f"{reactor.username} sent support for your post in “{thread.title}”"
        notify(author, "reaction", text, post=post)
        return
    waiting.actor_count += 1
    waiting.text = f"{waiting.actor_count} members sent support for your post in “{thread.title}”"
    waiting.created_at = utcnow()


def mark_read(member: User, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        _count_unread(member.id, -1)
    db.session.commit()


def mark_all_read(member: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    member.unread_notifications = 0
    db.session.commit()
