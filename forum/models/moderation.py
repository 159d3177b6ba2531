"""Keeping the community safe: reports, cases, sanctions, staff notes, watched words,
the moderation log, and the notices that tell members what moderators decided."""

from __future__ import annotations

import enum
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Post, User, _enum, utcnow
from .messages import Message

# A case or report is about exactly one thing: a public post or a private message.
ONE_SUBJECT = "(post_id IS NULL) <> (message_id IS NULL)"


class ReportReason(enum.Enum):
    SPAM = "spam"
    UNKIND = "unkind"
    MISINFORMATION = "misinformation"
    PRIVATE_DETAILS = "private-details"
    AT_RISK = "at-risk"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REPORT_REASON_LABELS[self]

    @property
    def is_urgent(self) -> bool:
        return self is ReportReason.AT_RISK


REPORT_REASON_LABELS = {
    ReportReason.SPAM: "Spam or a scam",
    ReportReason.UNKIND: "Unkind or harassing",
    ReportReason.MISINFORMATION: "Medical misinformation",
    ReportReason.PRIVATE_DETAILS: "Shares someone's private details",
    ReportReason.AT_RISK: "Someone may be at risk",
    ReportReason.OTHER: "Something else",
}


# For forms and menus: (value, label) in the order members see them.
REPORT_REASON_CHOICES = [(reason.value, label) for reason, label in REPORT_REASON_LABELS.items()]


class CaseStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class Resolution(enum.Enum):
    DISMISSED = "dismissed"
    HIDDEN = "hidden"
    HIDDEN_AND_WARNED = "hidden-warned"


class Case(db.Model):
    """One post or private message under review: every open report of it gathers here,
    one row in the queue."""

    __tablename__ = "cases"
    __table_args__ = (
        # At most one open case per post, even when two reports arrive at once.
        Index(
            "uq_cases_open_post",
            "post_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "uq_cases_open_message",
            "message_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        # The queue: urgent first, then the most recently reported.
        Index("ix_cases_queue", "status", "is_urgent", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    # Whose words are under review, so a member's page can list the cases against them.
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.OPEN)
    is_urgent: Mapped[bool] = mapped_column(default=False)
    report_count: Mapped[int] = mapped_column(default=0)
    # Hidden automatically once enough different members reported it.
    auto_hidden: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]

    post: Mapped[Post | None] = relationship(lazy="raise_on_sql")
    message: Mapped[Message | None] = relationship(lazy="raise_on_sql")
    subject: Mapped[User] = relationship(foreign_keys=[subject_id], lazy="raise_on_sql")
    reports: Mapped[list[Report]] = relationship(
        back_populates="case", order_by="Report.id", lazy="raise_on_sql"
    )

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN

    @property
    def is_about_message(self) -> bool:
        return self.message_id is not None


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        # One open report per member per post.
        Index(
            "uq_reports_open_reporter",
            "post_id",
            "reporter_id",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
        # And per message.
        Index(
            "uq_reports_open_message_reporter",
            "message_id",
            "reporter_id",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[ReportReason] = mapped_column(_enum(ReportReason))
    note: Mapped[str] = mapped_column(Text, default="")
    is_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="reports", lazy="raise_on_sql")
    reporter: Mapped[User] = relationship(lazy="raise_on_sql")


class SanctionKind(enum.Enum):
    WARNING = "warning"
    SILENCE = "silence"
    SUSPENSION = "suspension"


class Sanction(db.Model):
    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[SanctionKind] = mapped_column(_enum(SanctionKind))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None for warnings; core.FOREVER for a suspension "for good".
    ends_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise_on_sql")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="raise_on_sql")

    def is_active(self, now: datetime) -> bool:
        if self.lifted_at is not None:
            return False
        if self.kind is SanctionKind.WARNING:
            return self.acknowledged_at is None
        return self.ends_at is not None and self.ends_at > now


class StaffNote(db.Model):
    """A private note about a member, for staff eyes only."""

    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")


class WordAction(enum.Enum):
    BLOCK = "block"
    HOLD = "hold"
    FLAG = "flag"


class WatchedWord(db.Model):
    __tablename__ = "watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(100))
    # Case-folded copy: one entry per word or phrase whatever its case.
    phrase_key: Mapped[str] = mapped_column(String(100), unique=True)
    action: Mapped[WordAction] = mapped_column(_enum(WordAction))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SitePage(db.Model):
    """The site's own words that admins edit in place, such as the moderators' crisis
    protocol; first written from ``seed/<name>.md``."""

    __tablename__ = "site_pages"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    # Sanitised when written, like a post's.
    html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def safe_html(self) -> Markup:
        # Safe because markup.render_markdown sanitised it before it was stored.
        return Markup(self.html)


class ModerationLog(db.Model):
    """What a moderator did, written in the same transaction as the action itself.

    Rows are only ever added: the database refuses UPDATE and DELETE (see the migration).
    """

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # A small before/after of what changed, e.g. {"locked": [false, true]}.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="raise_on_sql")


class Notification(db.Model):
    """Something a member should know: a moderator's decision, and later replies and more."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    # What it is about, so that reactions to one post gather into one notification.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    # Or the private conversation it is about (a new message); opening it leads there.
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    # How many members it speaks for ("3 members sent support").
    actor_count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
