"""Support reactions and watching threads and boards."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Board,
    BoardWatch,
    Bookmark,
    Draft,
    Post,
    Reaction,
    ReactionKind,
    Thread,
    ThreadWatch,
    User,
)
from ..text import is_blank
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


def save_draft(member: User, body: str, thread: Thread | None = None,
               board: Board | None = None, title: str | None = None) -> None:  # fmt: skip
    """Keep what the member is writing in a thread (a reply) or a board (a new thread).

    Clearing the box clears the draft: an empty draft would only bring back nothing.
    """
    if is_blank(body or "") and is_blank(title or ""):
        clear_draft(member, thread=thread, board=board)
        db.session.commit()
        return
    draft = _draft(member, thread, board)
    if draft is None:
        draft = Draft(
            user_id=member.id, thread_id=thread and thread.id, board_id=board and board.id
        )
        db.session.add(draft)
    draft.body, draft.title = body, title
    _commit_ignoring_duplicates()


def autosave_draft(member: User, body: str, thread: Thread | None = None,
                   board: Board | None = None, title: str | None = None) -> None:  # fmt: skip
    """Keep a draft sent by harbor.js while the member types.

    An autosave can still be on its way when the member presses "Post": arriving after
    the post cleared the draft, it would bring the sent words back as a draft. Words
    identical to what they last posted there are therefore already sent, not a draft.
    """
    if not is_blank(body or "") and body == _last_words_sent(member, thread, board):
        return
    save_draft(member, body, thread=thread, board=board, title=title)


def _last_words_sent(member: User, thread: Thread | None, board: Board | None) -> str | None:
    where = Post.thread_id == thread.id if thread is not None else Thread.board_id == board.id
    return db.session.scalar(
        select(Post.source)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == member.id, where)
        .order_by(Post.id.desc())
        .limit(1)
    )


def clear_draft(member: User, thread: Thread | None = None, board: Board | None = None) -> None:
    """Forget the draft once its words are sent. The caller commits."""
    condition = Draft.thread_id == thread.id if thread is not None else Draft.board_id == board.id
    db.session.execute(delete(Draft).where(Draft.user_id == member.id, condition))


def _draft(member: User, thread: Thread | None, board: Board | None) -> Draft | None:
    condition = Draft.thread_id == thread.id if thread is not None else Draft.board_id == board.id
    return db.session.scalar(select(Draft).where(Draft.user_id == member.id, condition))


def draft_for(member: User, board: Board) -> Draft | None:
    return _draft(member, None, board)
