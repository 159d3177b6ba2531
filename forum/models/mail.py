"""Email waiting to be sent: the outbox.

An email is written here in the same transaction as what it tells about, so it exists
exactly when the event does; a separate worker delivers it later (see services/mail.py).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


def new_message_id() -> str:
    return secrets.token_hex(16)


class OutboxEmail(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's one question: what is waiting, oldest first.
        Index(
            "ix_outbox_waiting",
            "send_after",
            sqlite_where=text("sent_at IS NULL AND given_up_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND given_up_at IS NULL"),
        ),
        # "Was this sent to this address a moment ago?", asked before account emails.
        Index("ix_outbox_recipient", "to_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose email it is (empty for a note to an address no account has claimed), so that a
    # member's data can be exported or deleted with them.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The post a notification email is about, so that it is taken back, unsent, when the
    # post is deleted or hidden (services/notifications.py withdraw_notices_about).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Extra headers, e.g. List-Unsubscribe; written when the email is, like the body.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Fixed when queued, so a retry is the same message to every mail system on the way.
    message_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_message_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # A worker is sending it until then; if that worker dies, the email is free again after.
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    given_up_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def is_waiting(self) -> bool:
        return self.sent_at is None and self.given_up_at is None
