"""Members keeping each other company: support reactions, watched threads and boards,
bookmarks of posts to come back to, drafts of words not yet sent, and how far each member
has read each thread."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import User, _enum, utcnow


class ReactionKind(enum.Enum):
    """A small fixed set of ways to say "I'm with you" without writing a post.

    No downvotes and no points: these are for support, not scoring.
    """

    LOVE = "love"
    HUGS = "hugs"
    THINKING_OF_YOU = "thinking"
    HELPFUL = "helpful"
    ME_TOO = "me-too"

    @property
    def label(self) -> str:
        return REACTION_LABELS[self][0]

    @property
    def symbol(self) -> str:
        return REACTION_LABELS[self][1]


REACTION_LABELS = {
    ReactionKind.LOVE: ("Sending love", "💗"),
    ReactionKind.HUGS: ("Hugs", "🤗"),
    ReactionKind.THINKING_OF_YOU: ("Thinking of you", "🕯️"),
    ReactionKind.HELPFUL: ("Helpful", "💡"),
    ReactionKind.ME_TOO: ("Me too", "🙋"),
}


class Reaction(db.Model):
    __tablename__ = "reactions"
    __table_args__ = (
        # One of each kind per member per post; also serves "all reactions on these posts".
        UniqueConstraint("post_id", "kind", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[ReactionKind] = mapped_column(_enum(ReactionKind))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="raise_on_sql")


class ThreadWatch(db.Model):
    """A member wants to hear about new replies in a thread (automatic once they post)."""

    __tablename__ = "thread_watches"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardWatch(db.Model):
    """A member wants to hear about new threads in a board."""

    __tablename__ = "board_watches"
    __table_args__ = (UniqueConstraint("board_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bookmark(db.Model):
    """A post a member saved to read again later. Private to them."""

    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("user_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(db.Model):
    """Words a member has not sent yet, kept so that nothing they write is ever lost.

    One per member per thread (a reply) or per board (a new thread).
    """

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("user_id", "thread_id"),
        UniqueConstraint("user_id", "board_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))
    title: Mapped[str | None] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ThreadRead(db.Model):
    """How far a member has read a thread: the highest post number they have seen.

    Written only by POSTs (the page telling us what was shown, a reply, "mark read"), so
    that reading a page never writes. The number only moves forward.
    """

    __tablename__ = "thread_reads"

    # (user, thread) first: the board page joins on exactly these, one member at a time.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), primary_key=True)
    last_read_number: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
