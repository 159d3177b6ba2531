"""How far members have read: written only when a member tells us (a POST), never by a page.

Reading a page must not write (pages stay read-only and cacheable), so the thread page
reports what it showed with a POST of its own, replying counts as reading up to one's own
post, and "Mark board read" catches up a whole board at once. A marker only moves forward:
an old tab reporting late cannot make a member's threads look unread again.
"""

from sqlalchemy import literal, select

from ..dialects import upsert
from ..extensions import db
from ..models import Board, Post, Thread, ThreadRead, ThreadState, User, utcnow


def note_read_upto(member: User, thread: Thread, number: int) -> None:
    """Move the member's marker in ``thread`` forward to ``number``. The caller commits."""
    row = {"user_id": member.id, "thread_id": thread.id, "last_read_number": number}
    statement = upsert(db.session.get_bind(), ThreadRead).values(**row, updated_at=utcnow())
    db.session.execute(_forward_only(statement))


def mark_read_upto(member: User, thread: Thread, number: int) -> None:
    note_read_upto(member, thread, number)
    db.session.commit()


def mark_board_read(member: User, board: Board) -> None:
    """Catch up on every thread everyone can read in the board, in one statement.

    Each marker moves to the thread's last visible post: a post still waiting for a
    moderator is not "read", so it shows as new once it is approved.
    """
    caught_up = (
        select(
            literal(member.id),
            Thread.id,
            Post.number,
            literal(utcnow()),
        )
        .join(Post, Post.id == Thread.last_post_id)
        # SQLite needs this WHERE: without one it would read ON CONFLICT as a join's ON.
        .where(Thread.board_id == board.id, Thread.state == ThreadState.VISIBLE)
    )
    statement = upsert(db.session.get_bind(), ThreadRead).from_select(
        ["user_id", "thread_id", "last_read_number", "updated_at"], caught_up
    )
    db.session.execute(_forward_only(statement))
    db.session.commit()


def _forward_only(statement):
    """On a second marker for the same thread keep the higher number, never the lower."""
    return statement.on_conflict_do_update(
        index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
        set_={
            "last_read_number": statement.excluded.last_read_number,
            "updated_at": statement.excluded.updated_at,
        },
        where=statement.excluded.last_read_number > ThreadRead.last_read_number,
    )
