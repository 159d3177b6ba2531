"""Private messages between members, and the blocks that keep unwanted people out.

Staff never read these rows except a message a participant reports: no page shows a
conversation to anyone who is not in it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import User, _enum, utcnow


class MessageState(enum.Enum):
    VISIBLE = "visible"
    HIDDEN = "hidden"  # removed by a moderator after a report; readers see a placeholder
    # Removed by its author, who deleted their account and asked for their words to go.
    WITHDRAWN = "withdrawn"


class Conversation(db.Model):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    message_count: Mapped[int] = mapped_column(default=0)

    # In the unique index's order (by member id): no sort for any number of conversations.
    members: Mapped[list[ConversationMember]] = relationship(
        back_populates="conversation", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.subject!r}>"


class ConversationMember(db.Model):
    """One member's place in a conversation: when they last read it, whether they left."""

    __tablename__ = "conversation_members"
    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id"),
        # "My messages": a member's conversations, most recent activity first.
        Index("ix_conversation_members_listing", "user_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A copy of the conversation's, so the listing reads in index order (kept by the service).
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The conversation's last_message_at when this member last read it: newer is unread.
    last_read_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship(back_populates="members", lazy="raise_on_sql")
    user: Mapped[User] = relationship(lazy="raise_on_sql")

    @property
    def is_unread(self) -> bool:
        return self.last_read_at is None or self.last_read_at < self.last_message_at

    @property
    def has_left(self) -> bool:
        return self.left_at is not None


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    # Sanitised when written; links stay plain text while the author is new (see markup).
    html: Mapped[str] = mapped_column(Text)
    state: Mapped[MessageState] = mapped_column(_enum(MessageState), default=MessageState.VISIBLE)
    # Why a moderator hid it: a ReportReason value (None when its author withdrew it).
    removal_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(lazy="raise_on_sql")
    author: Mapped[User] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Message {self.id} in conversation {self.conversation_id}>"

    @property
    def is_visible(self) -> bool:
        return self.state is MessageState.VISIBLE

    @property
    def is_hidden(self) -> bool:
        return self.state is MessageState.HIDDEN

    @property
    def is_withdrawn(self) -> bool:
        return self.state is MessageState.WITHDRAWN

    @property
    def safe_html(self) -> Markup:
        # Safe because markup.render_markdown sanitised it before it was stored.
        return Markup(self.html)


class Block(db.Model):
    """One member no longer wants to hear from another. Private: the blocked never know."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Indexed for "who among these members blocked this author?" on every notification.
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blocked: Mapped[User] = relationship(foreign_keys=[blocked_id], lazy="raise_on_sql")
