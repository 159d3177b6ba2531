"""Members, boards, threads and posts.

Counts and "last post" are stored (denormalised) so that pages read them in one query;
the services that write posts keep them exact in the same transaction.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from flask_login import UserMixin
from markupsafe import Markup
from sqlalchemy import Enum as SqlEnum
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def _enum(enum_class: type[enum.Enum]) -> SqlEnum:
    # Stored as plain strings so PostgreSQL and SQLite hold the same values.
    return SqlEnum(
        enum_class,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


AVATAR_COLOURS = 8
# What readers see in place of a name: an anonymous post's author, and someone who
# deleted their account but left their posts.
ANONYMOUS_MEMBER = "A member"
FORMER_MEMBER = "A former member"


class Role(enum.Enum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


# Suspensions "for good" end at the end of time, so one comparison covers both kinds.
FOREVER = datetime(9999, 12, 31)


class PostState(enum.Enum):
    VISIBLE = "visible"
    DELETED = "deleted"  # by its author; kept as a placeholder so the thread still reads
    HELD = "held"  # waiting for a moderator's approval; only its author and staff see it
    HIDDEN = "hidden"  # removed by a moderator; readers see a placeholder and the reason
    REJECTED = "rejected"  # held, then not approved


class ThreadState(enum.Enum):
    VISIBLE = "visible"
    HELD = "held"  # its opening post waits for approval
    HIDDEN = "hidden"  # hidden by a moderator from everyone but staff and its author
    MERGED = "merged"  # its posts joined another thread; its address redirects there


class BoardVisibility(enum.Enum):
    """Who may read a board. The rule itself lives in policy.can_read_board."""

    PUBLIC = "public"  # anyone, with or without an account
    MEMBERS = "members"  # logged-in members only
    STAFF = "staff"  # moderators and admins only


class EmailFrequency(enum.Enum):
    EVERY_EVENT = "every"
    DAILY_DIGEST = "daily"
    NEVER = "never"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    # Lower-cased copy: "Rosa" and "rosa" are the same member.
    username_key: Mapped[str] = mapped_column(String(30), unique=True)
    # Normalised; never shown to other members. Empty while an address waits to be claimed.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # When the member proved the address is theirs; until then we send it nothing else.
    email_confirmed_at: Mapped[datetime | None]
    # An address the member asked to change to, waiting for them to confirm it.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.MEMBER)
    # The site's own accounts (the "harbor" author of the guides) can never log in.
    is_system: Mapped[bool] = mapped_column(default=False)
    # Flask-Login remembers this, not the id, so that changing it ends every session.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    # Shown on their profile: visible posts under their name (anonymous ones are not).
    post_count: Mapped[int] = mapped_column(default=0)
    # Every post of theirs that anyone may read, anonymous ones too, whether a moderator
    # approved it or it was never held: what earns a new member trust. Their first posts
    # wait for approval until this reaches FIRST_POSTS_HELD; messages open at
    # MESSAGES_AFTER_POSTS. Hiding or deleting a post takes it back off.
    visible_post_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Copies of the member's current sanctions, so every page can check them for free.
    silenced_until: Mapped[datetime | None]
    suspended_until: Mapped[datetime | None]
    has_pending_warning: Mapped[bool] = mapped_column(default=False)
    unread_notifications: Mapped[int] = mapped_column(default=0)
    # What members choose to share; all of it is visible to other members.
    display_name: Mapped[str | None] = mapped_column(String(50))
    about: Mapped[str | None] = mapped_column(Text)
    # One line shown beside their posts, e.g. "Stage IV since 2021, ER+".
    story: Mapped[str | None] = mapped_column(String(120))
    email_frequency: Mapped[EmailFrequency] = mapped_column(
        _enum(EmailFrequency), default=EmailFrequency.DAILY_DIGEST
    )
    # Notifications up to this moment have been in a digest (or were too old to send).
    digested_until: Mapped[datetime | None]
    # The member deleted their account: the row stays, emptied of everything personal, so
    # that what others wrote in reply still reads, under "a former member".
    deleted_at: Mapped[datetime | None]
    # Posts with a content note open by themselves instead of waiting for a click.
    always_show_noted_posts: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A member who has died, marked by an admin when their family asks: the account is
    # closed to logins, mail and messages, and the profile shows the family's words.
    remembered_at: Mapped[datetime | None]
    remembrance: Mapped[str | None] = mapped_column(String(200))
    # Free text the family chose, e.g. "1961 – 2026".
    remembrance_dates: Mapped[str | None] = mapped_column(String(60))
    # Granted by admins to experienced members; listed on /mentors only if they opt in.
    is_mentor: Mapped[bool] = mapped_column(default=False)
    mentor_listed: Mapped[bool] = mapped_column(default=False)

    posts: Mapped[list[Post]] = relationship(back_populates="author", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def get_id(self) -> str:
        return self.session_token

    @staticmethod
    def new_token() -> str:
        return new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        if self.is_system or not self.password_hash:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def shown_name(self) -> str:
        """The name readers see. A deleted account's row stays, renamed former-member-<id>
        for the moderation records that point at it; that name is never shown to members."""
        return FORMER_MEMBER if self.is_deleted else self.username

    def is_silenced(self, now: datetime) -> bool:
        return self.silenced_until is not None and self.silenced_until > now

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now

    @property
    def is_remembered(self) -> bool:
        return self.remembered_at is not None

    @property
    def avatar_colour(self) -> int:
        # Avatars are drawn from the name, never fetched from an avatar service.
        return self.id % AVATAR_COLOURS


class Board(db.Model):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0, index=True)
    # Which of the ten things in the seed article this board carries (1-10), if any.
    topic: Mapped[int | None] = mapped_column(unique=True)
    # Every post here waits for a moderator, whoever writes it.
    requires_approval: Mapped[bool] = mapped_column(default=False)
    visibility: Mapped[BoardVisibility] = mapped_column(
        _enum(BoardVisibility), default=BoardVisibility.PUBLIC, server_default="public"
    )
    # Asks search engines to stay away from its pages (members-only boards always are).
    noindex: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Members may post here as "A member", their name hidden from everyone else.
    allows_anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A quiet layout for grief: only the gentlest reactions, and softer words.
    is_gentle: Mapped[bool] = mapped_column(default=False, server_default=false())
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    last_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )

    last_post: Mapped[Post | None] = relationship(foreign_keys=[last_post_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Board {self.slug}>"


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (
        # A board's page: pinned first, then most recent activity. State and author come
        # last so that choosing what the reader may see (and counting along the listing
        # for a later page) reads the index alone.
        Index(
            "ix_threads_board_listing",
            *("board_id", "is_pinned", "last_post_at", "id", "state", "author_id"),
        ),
        # What staff see beyond the visible threads of a board: few rows, found directly.
        Index(
            "ix_threads_unlisted",
            "board_id",
            sqlite_where=text("state IN ('held', 'hidden')"),
            postgresql_where=text("state IN ('held', 'hidden')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(80))
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    lock_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[ThreadState] = mapped_column(_enum(ThreadState), default=ThreadState.VISIBLE)
    # Set when merged away: links to this thread then lead to the one it joined.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every post ever placed in the thread, placeholders included: numbers posts and pages.
    post_count: Mapped[int] = mapped_column(default=0)
    # Visible replies after the opening post: what readers are shown.
    reply_count: Mapped[int] = mapped_column(default=0)
    first_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    last_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    # Its opening post is anonymous: listings say "A member" instead of the author.
    is_anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Identifies threads that `flask seed` owns (e.g. "guides/01-when-it-returns").
    seed_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # Opened with its author's very first post: the page welcomes them and mentions that
    # a peer mentor may reply. Set once, when the thread is started.
    is_authors_first: Mapped[bool] = mapped_column(default=False)

    board: Mapped[Board] = relationship(lazy="raise_on_sql")
    author: Mapped[User] = relationship(lazy="raise_on_sql")
    first_post: Mapped[Post | None] = relationship(
        foreign_keys=[first_post_id], lazy="raise_on_sql"
    )
    last_post: Mapped[Post | None] = relationship(foreign_keys=[last_post_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title!r}>"

    @property
    def is_visible(self) -> bool:
        return self.state is ThreadState.VISIBLE

    @property
    def is_held(self) -> bool:
        return self.state is ThreadState.HELD

    @property
    def is_hidden(self) -> bool:
        return self.state is ThreadState.HIDDEN


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # A thread's posts in order; a page is a range of numbers, never an OFFSET scan.
        UniqueConstraint("thread_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Position in the thread, 1 for the opening post.
    number: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    # Sanitised HTML rendered from source when the post is written; pages never render Markdown.
    html: Mapped[str] = mapped_column(Text)
    state: Mapped[PostState] = mapped_column(_enum(PostState), default=PostState.VISIBLE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    edited_by_staff: Mapped[bool] = mapped_column(default=False)
    # Why a moderator hid or rejected it: a ReportReason value, shown to readers.
    removal_reason: Mapped[str | None] = mapped_column(String(20))
    # Hidden by members' reports, and no moderator has decided yet: readers are told it is
    # hidden for now, not that a moderator removed it.
    hidden_by_reports: Mapped[bool] = mapped_column(default=False, server_default=false())
    # "Grief and loss", say: readers see it and open the post when they are ready.
    content_note: Mapped[str | None] = mapped_column(String(60))
    # Shown as "A member" to everyone, staff included, unless a moderator reveals it
    # (with a logged reason). Only the author sees that it is theirs.
    is_anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id], lazy="raise_on_sql")
    author: Mapped[User] = relationship(back_populates="posts", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Post {self.id} in thread {self.thread_id}>"

    @property
    def is_visible(self) -> bool:
        return self.state is PostState.VISIBLE

    @property
    def is_held(self) -> bool:
        return self.state is PostState.HELD

    @property
    def is_hidden(self) -> bool:
        return self.state is PostState.HIDDEN

    @property
    def awaits_review(self) -> bool:
        """Hidden by members' reports until a moderator looks."""
        return self.is_hidden and self.hidden_by_reports

    @property
    def is_opening_post(self) -> bool:
        return self.number == 1

    @property
    def byline(self) -> str:
        """Who wrote it, in plain words: "rosa", "A member" or "A former member"."""
        return ANONYMOUS_MEMBER if self.is_anonymous else self.author.shown_name

    @property
    def quoted_as(self) -> str:
        """How a quote of it begins ("@rosa wrote:"). Only a name with an @ is told about
        the quote; an anonymous post or a former member's names nobody."""
        if self.is_anonymous or self.author.is_deleted:
            return self.byline
        return f"@{self.author.username}"

    @property
    def safe_html(self) -> Markup:
        # Safe because markup.render_markdown sanitised it before it was stored.
        return Markup(self.html)


Index("ix_posts_author_created", Post.author_id, Post.created_at)
# The approval queue: held posts, oldest first, without reading the others.
Index(
    "ix_posts_held",
    Post.created_at,
    sqlite_where=Post.state == PostState.HELD,
    postgresql_where=Post.state == PostState.HELD,
)


class PostRevision(db.Model):
    """An earlier version of a post, kept each time anyone edits it."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(String(150))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[User] = relationship(lazy="raise_on_sql")
