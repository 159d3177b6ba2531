"""Support reactions and watching threads and boards."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Board,
    BoardWatch,
    Bookmark,
    Post,
    Reaction,
    ReactionKind,
    Thread,
    ThreadWatch,
    User,
)
from . import notifications


def toggle_reaction(post: Post, member: User, kind: ReactionKind) -> bool:
    """Add the reaction, or take it back if it was there. Returns whether it is now on."""
    removed = db.session.execute(
        delete(Reaction).where(
            Reaction.post_id == post.id, Reaction.user_id == member.id, Reaction.kind == kind
        )
    ).rowcount
    if removed:
        db.session.commit()
        return False
    db.session.add(Reaction(post_id=post.id, user_id=member.id, kind=kind))
    try:
        db.session.flush()
    except IntegrityError:
        # The same click arrived twice at once: the first one counts.
        db.session.rollback()
        return True
    notifications.notify_reaction(post, member)
    db.session.commit()
    return True


def watch_thread(thread: Thread, member: User) -> None:
    """Quietly watch a thread (done whenever a member posts in it). The caller commits."""
    if not db.session.scalar(
        select(ThreadWatch.id).where(
            ThreadWatch.thread_id == thread.id, ThreadWatch.user_id == member.id
        )
    ):
        db.session.add(ThreadWatch(thread_id=thread.id, user_id=member.id))


def set_thread_watch(thread: Thread, member: User, watching: bool) -> None:
    if watching:
        watch_thread(thread, member)
    else:
        db.session.execute(
            delete(ThreadWatch).where(
                ThreadWatch.thread_id == thread.id, ThreadWatch.user_id == member.id
            )
        )
    _commit_ignoring_duplicates()


def set_board_watch(board: Board, member: User, watching: bool) -> None:
    exists = db.session.scalar(
        select(BoardWatch.id).where(
            BoardWatch.board_id == board.id, BoardWatch.user_id == member.id
        )
    )
    if watching and not exists:
        db.session.add(BoardWatch(board_id=board.id, user_id=member.id))
    elif not watching and exists:
        db.session.execute(delete(BoardWatch).where(BoardWatch.id == exists))
    _commit_ignoring_duplicates()


def _commit_ignoring_duplicates() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # A double click watched twice at once; one row is what we wanted.
        db.session.rollback()


def toggle_bookmark(post: Post, member: User) -> bool:
    """Save a post to read later, or let it go. Returns whether it is now saved."""
    removed = db.session.execute(
        delete(Bookmark).where(Bookmark.post_id == post.id, Bookmark.user_id == member.id)
    ).rowcount
    if not removed:
        db.session.add(Bookmark(post_id=post.id, user_id=member.id))
    _commit_ignoring_duplicates()
    return not removed
