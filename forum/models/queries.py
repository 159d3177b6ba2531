"""The read queries pages use, each loading what its page shows in one statement."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..text import NUL
from .community import (
    BoardWatch,
    Bookmark,
    Draft,
    Reaction,
    ReactionKind,
    ThreadRead,
    ThreadWatch,
)
from .core import Board, Post, PostRevision, PostState, Thread, ThreadState, User, utcnow
from .messages import Block, Conversation, ConversationMember, Message
from .moderation import (
    Case,
    CaseStatus,
    ModerationLog,
    Notification,
    Report,
    Sanction,
    SanctionKind,
    SitePage,
    StaffNote,
    WatchedWord,
)
from .site import THE_GENERATION, PageGeneration


def readable_boards_clause(reader: User | None):
    """The SQL form of policy.can_read_board: every list of boards, threads or posts
    filters by it, so a list never shows what the reader's page would refuse."""
    from .. import policy  # the rule lives in policy, which builds on these models

    return Board.visibility.in_(sorted(policy.readable_visibilities(reader), key=_by_value))


# The condition of the partial index ix_threads_unlisted (models/core.py), as literal SQL.
UNLISTED_STATES = text("threads.state IN ('held', 'hidden')")


def listable_threads_clause(reader: User | None):
    """The SQL form of policy.can_see_thread's states: a list never shows a thread whose
    page would answer 404 (a held first thread, one a moderator hid, one merged away)."""
    from .. import policy

    anyones, own = policy.thread_states_shown(reader)
    seen = Thread.state.in_(sorted(anyones, key=_by_value))
    extra = own - anyones
    if not extra:
        return seen
    return or_(
        seen,
        and_(Thread.author_id == reader.id, Thread.state.in_(sorted(extra, key=_by_value))),
    )


def unlisted_threads_clause(reader: User | None):
    """The threads this reader sees on a board beyond its visible ones (which the board
    counts): for staff, everyone's held and hidden ones (in the words of the partial index
    ix_threads_unlisted, so PostgreSQL can read that alone); for a member, their own. None
    for a visitor: there is nothing to count, so their board page asks nothing more."""
    from .. import policy

    anyones, own = policy.thread_states_shown(reader)
    if anyones - {ThreadState.VISIBLE}:
        return UNLISTED_STATES
    if own - anyones:
        extra = sorted(own - anyones, key=_by_value)
        return and_(Thread.author_id == reader.id, Thread.state.in_(extra))
    return None


def _by_value(visibility) -> str:
    # A stable order keeps the statement the same, whatever the set's order.
    return visibility.value


def boards_for_index(reader: User | None = None) -> list[Board]:
    last_post = joinedload(Board.last_post)
    return list(
        db.session.scalars(
            select(Board)
            .where(readable_boards_clause(reader))
            .options(
                last_post.joinedload(Post.author),
                last_post.joinedload(Post.thread),
            )
            .order_by(Board.position, Board.id)
        )
    )


def board_by_slug(slug: str) -> Board | None:
    # PostgreSQL refuses NUL in text outright (an error, not "no rows"); no slug has one.
    if NUL in slug:
        return None
    return db.session.scalar(select(Board).where(Board.slug == slug))


@dataclass(frozen=True)
class ThreadListing:
    """A row of a board's page: the thread, and what the reader has not read in it yet."""

    thread: Thread
    # Visible posts after the reader's marker (0 when caught up or never opened).
    new_posts: int = 0
    # Never opened, and started since the reader joined: all of it is new to them.
    is_new: bool = False


def threads_for_board(
    board: Board, offset: int, limit: int, reader: User | None = None
) -> list[ThreadListing]:
    """A page of the board's threads, with the reader's unread counts, in one statement."""
    reader_id = _reader_id(reader)
    # Counted only where something may be unread, over the (thread, number) index; held
    # posts take a number but are not shown, so they are not "new".
    unread = (
        select(func.count())
        .select_from(Post)
        .where(
            Post.thread_id == Thread.id,
            Post.number > ThreadRead.last_read_number,
            Post.state == PostState.VISIBLE,
        )
        .scalar_subquery()
    )
    listing = (Thread.is_pinned, Thread.last_post_at, Thread.id)
    on_this_page = and_(Thread.board_id == board.id, listable_threads_clause(reader))
    if offset:
        first = _first_of_page(board, listing, offset, reader)
        if first is None:
            return []
        on_this_page = and_(on_this_page, tuple_(*listing) <= tuple_(*first))
    rows = db.session.execute(
        select(
            Thread,
            ThreadRead.last_read_number,
            case((ThreadRead.last_read_number < Thread.post_count, unread), else_=0),
        )
        .outerjoin(
            ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == reader_id)
        )
        .where(on_this_page)
        .options(
            joinedload(Thread.author),
            joinedload(Thread.last_post).joinedload(Post.author),
        )
        .order_by(*(column.desc() for column in listing))
        .limit(limit)
    )
    joined = reader.created_at if reader_id != -1 else None
    return [
        ThreadListing(
            thread,
            new_posts=new_posts or 0,
            is_new=joined is not None and read_upto is None and thread.created_at > joined,
        )
        for thread, read_upto, new_posts in rows
    ]


def _first_of_page(board: Board, listing: tuple, offset: int, reader: User | None):
    """Where a later page of a board begins, found by counting along the listing index
    alone; the page itself is then a seek from there, not an OFFSET over whole rows."""
    return db.session.execute(
        select(*listing)
        .where(Thread.board_id == board.id, listable_threads_clause(reader))
        .order_by(*(column.desc() for column in listing))
        .offset(offset)
        .limit(1)
    ).first()


def thread_with_board(thread_id: int) -> Thread | None:
    return db.session.scalar(
        select(Thread).where(Thread.id == thread_id).options(joinedload(Thread.board))
    )


def posts_for_thread(thread: Thread, first_number: int, limit: int) -> list[Post]:
    # Posts are numbered densely, so a page is an indexed range, however long the thread.
    return list(
        db.session.scalars(
            select(Post)
            .where(
                Post.thread_id == thread.id,
                Post.number >= first_number,
                Post.number < first_number + limit,
            )
            .options(joinedload(Post.author))
            .order_by(Post.number)
        )
    )


def first_post_after(thread: Thread, number: int) -> Post | None:
    """The first post after ``number`` that everyone may read: where "unread" begins."""
    return db.session.scalar(
        select(Post)
        .where(
            Post.thread_id == thread.id,
            Post.number > number,
            Post.state == PostState.VISIBLE,
        )
        .order_by(Post.number)
        .limit(1)
    )


def post_with_thread(post_id: int) -> Post | None:
    return db.session.scalar(
        select(Post)
        .where(Post.id == post_id)
        .options(joinedload(Post.thread).joinedload(Thread.board), joinedload(Post.author))
    )


def member_by_username(username: str) -> User | None:
    if NUL in username:  # see board_by_slug
        return None
    return db.session.scalar(select(User).where(User.username_key == username.lower()))


def recent_posts_by(user: User, limit: int, reader: User | None = None) -> list[Post]:
    """The member's posts this reader may read, newest first; never their anonymous ones."""
    return list(
        db.session.scalars(
            select(Post)
            .join(Post.thread)
            .join(Thread.board)
            .where(
                Post.author_id == user.id,
                Post.state == PostState.VISIBLE,
                Post.is_anonymous.is_(False),
                Thread.state == ThreadState.VISIBLE,
                readable_boards_clause(reader),
            )
            .options(contains_eager(Post.thread).contains_eager(Thread.board))
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )


# The moderators' queues and records.


def open_cases(offset: int, limit: int) -> list[Case]:
    """The reports queue: one row per post, urgent first, most recently reported next."""
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.status == CaseStatus.OPEN)
            .options(
                joinedload(Case.post).joinedload(Post.thread),
                joinedload(Case.message).joinedload(Message.conversation),
                joinedload(Case.subject),
                selectinload(Case.reports).joinedload(Report.reporter),
            )
            .order_by(Case.is_urgent.desc(), Case.updated_at.desc(), Case.id.desc())
            .offset(offset)
            .limit(limit)
        ).unique()
    )


def count_open_cases(urgent_only: bool = False, auto_hidden_only: bool = False) -> int:
    statement = select(func.count()).select_from(Case).where(Case.status == CaseStatus.OPEN)
    if urgent_only:
        statement = statement.where(Case.is_urgent)
    if auto_hidden_only:
        statement = statement.where(Case.auto_hidden)
    return db.session.scalar(statement)


def recent_posts_of(user_ids: list[int], limit: int) -> dict[int, list[Post]]:
    """Each member's latest ``limit`` visible posts, newest first, in one statement: what
    moderators look over beside an urgent case."""
    if not user_ids:
        return {}
    newest_first = (Post.created_at.desc(), Post.id.desc())
    ranked = (
        select(
            Post.id,
            func.row_number()
            .over(partition_by=Post.author_id, order_by=newest_first)
            .label("rank"),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.author_id.in_(user_ids),
            Post.state == PostState.VISIBLE,
            Thread.state == ThreadState.VISIBLE,
            # Listed under the member's name: an anonymous post there would name its author.
            Post.is_anonymous.is_(False),
        )
        .subquery()
    )
    found: dict[int, list[Post]] = {user_id: [] for user_id in user_ids}
    for post in db.session.scalars(
        select(Post)
        .join(ranked, ranked.c.id == Post.id)
        .where(ranked.c.rank <= limit)
        .options(joinedload(Post.thread))
        .order_by(Post.author_id, *newest_first)
    ):
        found[post.author_id].append(post)
    return found


def site_page(name: str) -> SitePage | None:
    return db.session.get(SitePage, name)


def held_posts(offset: int, limit: int) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.state == PostState.HELD)
            .options(joinedload(Post.thread).joinedload(Thread.board), joinedload(Post.author))
            .order_by(Post.created_at, Post.id)
            .offset(offset)
            .limit(limit)
        )
    )


def count_held_posts() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Post).where(Post.state == PostState.HELD)
    )


def case_by_id(case_id: int) -> Case | None:
    return db.session.get(Case, case_id)


def posts_by_member_for_staff(user: User, limit: int) -> list[Post]:
    """Their posts, except anonymous ones: staff learn those only by revealing one."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.author_id == user.id, Post.is_anonymous.is_(False))
            .options(joinedload(Post.thread))
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )


def cases_about(user: User, limit: int) -> list[Case]:
    """Reports of their posts and messages, except of anonymous posts (see above)."""
    return list(
        db.session.scalars(
            select(Case)
            .outerjoin(Post, Post.id == Case.post_id)
            .where(Case.subject_id == user.id, or_(Post.id.is_(None), Post.is_anonymous.is_(False)))
            .options(
                selectinload(Case.reports),
                joinedload(Case.post).joinedload(Post.thread),
                joinedload(Case.message).joinedload(Message.conversation),
            )
            .order_by(Case.id.desc())
            .limit(limit)
        ).unique()
    )


def sanctions_of(user: User) -> list[Sanction]:
    return list(
        db.session.scalars(
            select(Sanction)
            .where(Sanction.user_id == user.id)
            .options(joinedload(Sanction.created_by))
            .order_by(Sanction.id.desc())
        )
    )


def pending_warnings_for(user: User) -> list[Sanction]:
    return list(
        db.session.scalars(
            select(Sanction).where(
                Sanction.user_id == user.id,
                Sanction.kind == SanctionKind.WARNING,
                Sanction.acknowledged_at.is_(None),
                Sanction.lifted_at.is_(None),
            )
        )
    )


def staff_notes_about(user: User) -> list[StaffNote]:
    return list(
        db.session.scalars(
            select(StaffNote)
            .where(StaffNote.user_id == user.id)
            .options(joinedload(StaffNote.author))
            .order_by(StaffNote.id.desc())
        )
    )


def log_entries(offset: int, limit: int, actor=None, action=None, subject=None):
    """The moderation log, newest first, optionally narrowed; returns (entries, total)."""
    conditions = []
    if actor is not None:
        conditions.append(ModerationLog.actor_id == actor.id)
    if action:
        conditions.append(ModerationLog.action == action)
    if subject is not None:
        conditions.append(ModerationLog.subject_id == subject.id)
    total = db.session.scalar(select(func.count()).select_from(ModerationLog).where(*conditions))
    entries = db.session.scalars(
        select(ModerationLog)
        .where(*conditions)
        .options(joinedload(ModerationLog.actor), joinedload(ModerationLog.subject))
        .order_by(ModerationLog.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(entries), total


def log_entries_for_post(post: Post) -> list[ModerationLog]:
    return list(
        db.session.scalars(
            select(ModerationLog)
            .where(ModerationLog.post_id == post.id)
            .options(joinedload(ModerationLog.actor))
            .order_by(ModerationLog.id)
        )
    )


def revisions_of(post: Post) -> list[PostRevision]:
    return list(
        db.session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .options(joinedload(PostRevision.editor))
            .order_by(PostRevision.id.desc())
        )
    )


def watched_words() -> list[WatchedWord]:
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.phrase_key)))


def watched_word_by_id(word_id: int) -> WatchedWord | None:
    return db.session.get(WatchedWord, word_id)


def all_boards() -> list[Board]:
    return list(db.session.scalars(select(Board).order_by(Board.position, Board.id)))


def readable_boards(reader: User | None) -> list[Board]:
    return list(
        db.session.scalars(
            select(Board).where(readable_boards_clause(reader)).order_by(Board.position, Board.id)
        )
    )


def noindex_boards() -> list[Board]:
    """Boards search engines are asked to stay away from, for robots.txt."""
    from .core import BoardVisibility

    return list(
        db.session.scalars(
            select(Board)
            # Never a staff board: naming it here would tell everyone it exists.
            .where(
                or_(Board.noindex, Board.visibility == BoardVisibility.MEMBERS),
                Board.visibility != BoardVisibility.STAFF,
            )
            .order_by(Board.position, Board.id)
        )
    )


def notifications_for(user: User, limit: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


# What members have added to posts: reactions, watches.


def _reader_id(reader: User | None) -> int:
    """The reader's id for joins on "their" rows; an id no row has for visitors."""
    return reader.id if reader is not None and reader.is_authenticated else -1


@dataclass(frozen=True)
class ReactionCount:
    kind: ReactionKind
    count: int
    mine: bool


def reactions_for(posts: list[Post], reader: User | None) -> dict[int, list[ReactionCount]]:
    """Reaction counts for every post on a page, and which are the reader's, in one query."""
    if not posts:
        return {}
    reader_id = _reader_id(reader)
    rows = db.session.execute(
        select(
            Reaction.post_id,
            Reaction.kind,
            func.count(),
            func.max(case((Reaction.user_id == reader_id, 1), else_=0)),
        )
        .where(Reaction.post_id.in_([post.id for post in posts]))
        .group_by(Reaction.post_id, Reaction.kind)
    )
    found: dict[int, dict[ReactionKind, ReactionCount]] = {}
    for post_id, kind, count, mine in rows:
        found.setdefault(post_id, {})[kind] = ReactionCount(kind, count, bool(mine))
    return {
        post_id: [by_kind[kind] for kind in ReactionKind if kind in by_kind]
        for post_id, by_kind in found.items()
    }


def reactors_of(post: Post) -> dict[ReactionKind, list[User]]:
    rows = db.session.execute(
        select(Reaction.kind, User)
        .join(User, User.id == Reaction.user_id)
        .where(Reaction.post_id == post.id)
        .order_by(Reaction.id)
    )
    grouped: dict[ReactionKind, list[User]] = {}
    for kind, user in rows:
        grouped.setdefault(kind, []).append(user)
    return {kind: grouped[kind] for kind in ReactionKind if kind in grouped}


@dataclass(frozen=True)
class ThreadForReader:
    thread: Thread | None
    watching: bool = False
    draft: str | None = None
    # The highest post number the reader has seen; None if they never opened it.
    read_upto: int | None = None
    # The page generation, read before the posts, for finding them rendered (page_cache.py).
    generation: int | None = None


def thread_for_reader(thread_id: int, reader: User | None) -> ThreadForReader:
    """The thread with its board, whether the reader watches it, their unsent reply, how
    far they have read it, and the page generation."""
    reader_id = _reader_id(reader)
    generation = (
        select(PageGeneration.value).where(PageGeneration.id == THE_GENERATION).scalar_subquery()
    )
    row = db.session.execute(
        select(Thread, ThreadWatch.id, Draft.body, ThreadRead.last_read_number, generation)
        .outerjoin(
            ThreadWatch,
            and_(ThreadWatch.thread_id == Thread.id, ThreadWatch.user_id == reader_id),
        )
        .outerjoin(Draft, and_(Draft.thread_id == Thread.id, Draft.user_id == reader_id))
        .outerjoin(
            ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == reader_id)
        )
        .where(Thread.id == thread_id)
        .options(joinedload(Thread.board))
    ).first()
    if row is None:
        return ThreadForReader(None)
    return ThreadForReader(row[0], row[1] is not None, row[2], row[3], row[4])


@dataclass(frozen=True)
class BoardForReader:
    board: Board | None
    watching: bool = False
    # Threads this reader sees beyond the board's visible ones (their own waiting thread;
    # for staff, every held and hidden one): they lengthen the reader's list.
    unlisted_threads: int = 0

    @property
    def threads_listed(self) -> int:
        return self.board.thread_count + self.unlisted_threads


def board_for_reader(slug: str, reader: User | None) -> BoardForReader:
    """The board, whether the reader watches it, and how many threads they see beyond
    its visible ones, in one statement."""
    if NUL in slug:
        return BoardForReader(None)
    reader_id = _reader_id(reader)
    unlisted = literal(0)
    if (beyond_visible := unlisted_threads_clause(reader)) is not None:
        unlisted = (
            select(func.count())
            .select_from(Thread)
            .where(Thread.board_id == Board.id, beyond_visible)
            .scalar_subquery()
        )
    row = db.session.execute(
        select(Board, BoardWatch.id, unlisted)
        .outerjoin(
            BoardWatch, and_(BoardWatch.board_id == Board.id, BoardWatch.user_id == reader_id)
        )
        .where(Board.slug == slug)
    ).first()
    return BoardForReader(row[0], row[1] is not None, row[2]) if row else BoardForReader(None)


def notification_for(user: User, notification_id: int) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )


def bookmarked_among(posts: list[Post], reader: User | None) -> set[int]:
    """Which of these posts the reader has saved (no query for visitors)."""
    if not posts or reader is None or not reader.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            select(Bookmark.post_id).where(
                Bookmark.user_id == reader.id, Bookmark.post_id.in_([post.id for post in posts])
            )
        )
    )


def bookmarks_of(user: User, limit: int) -> list[Post]:
    """The member's saved posts that everyone may still read, most recently saved first."""
    return list(
        db.session.scalars(
            select(Post)
            .join(Bookmark, Bookmark.post_id == Post.id)
            .join(Post.thread)
            .join(Thread.board)
            .where(
                Bookmark.user_id == user.id,
                Post.state == PostState.VISIBLE,
                Thread.state == ThreadState.VISIBLE,
                readable_boards_clause(user),
            )
            .options(
                contains_eager(Post.thread).contains_eager(Thread.board), joinedload(Post.author)
            )
            .order_by(Bookmark.id.desc())
            .limit(limit)
        )
    )


def latest_posts(limit: int, board: Board | None = None, thread: Thread | None = None):
    """The newest posts everyone may read, in a board or a thread: what feeds carry."""
    statement = (
        select(Post)
        .join(Post.thread)
        .join(Thread.board)
        .where(
            Post.state == PostState.VISIBLE,
            Thread.state == ThreadState.VISIBLE,
            readable_boards_clause(None),
        )
        .options(contains_eager(Post.thread), joinedload(Post.author))
        .order_by(Post.id.desc())
        .limit(limit)
    )
    if thread is not None:
        statement = statement.where(Post.thread_id == thread.id)
    if board is not None:
        # A board's feed announces new threads, not every reply.
        statement = statement.where(Thread.board_id == board.id, Post.id == Thread.first_post_id)
    return list(db.session.scalars(statement))


def threads_started_by(user: User, limit: int, reader: User | None = None) -> list[Thread]:
    """The member's threads this reader may read, newest first; never anonymous ones."""
    return list(
        db.session.scalars(
            select(Thread)
            .join(Thread.board)
            .where(
                Thread.author_id == user.id,
                Thread.state == ThreadState.VISIBLE,
                Thread.is_anonymous.is_(False),
                readable_boards_clause(reader),
            )
            .options(contains_eager(Thread.board))
            .order_by(Thread.id.desc())
            .limit(limit)
        )
    )


# Private messages: only ever read for a member of the conversation.


def conversations_of(user: User, offset: int, limit: int) -> list[ConversationMember]:
    """The member's conversations, latest activity first, each with who is in it."""
    return list(
        db.session.scalars(
            select(ConversationMember)
            .where(ConversationMember.user_id == user.id, ConversationMember.left_at.is_(None))
            .options(
                joinedload(ConversationMember.conversation)
                .selectinload(Conversation.members)
                .joinedload(ConversationMember.user)
            )
            .order_by(ConversationMember.last_message_at.desc(), ConversationMember.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def count_conversations_of(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ConversationMember)
        .where(ConversationMember.user_id == user.id, ConversationMember.left_at.is_(None))
    )


def membership_of(user: User, conversation_id: int) -> ConversationMember | None:
    """The member's place in a conversation, with the conversation; None if not in it."""
    return db.session.scalar(
        select(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id == user.id,
        )
        .options(joinedload(ConversationMember.conversation))
    )


def members_of(conversation: Conversation) -> list[ConversationMember]:
    return list(
        db.session.scalars(
            select(ConversationMember)
            .where(ConversationMember.conversation_id == conversation.id)
            .options(joinedload(ConversationMember.user))
            .order_by(ConversationMember.user_id)
        )
    )


def messages_in(conversation: Conversation, offset: int, limit: int) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .options(joinedload(Message.author))
            .order_by(Message.id)
            .offset(offset)
            .limit(limit)
        )
    )


def message_with_conversation(message_id: int) -> Message | None:
    return db.session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .options(joinedload(Message.conversation), joinedload(Message.author))
    )


def members_named(usernames: list[str]) -> list[User]:
    """Members by (case-insensitive) username, in no particular order."""
    keys = [name.lower() for name in usernames if NUL not in name]
    if not keys:
        return []
    return list(db.session.scalars(select(User).where(User.username_key.in_(keys))))


def blockers_of(user: User, among: list[int]) -> set[int]:
    """Which of these members have blocked ``user``."""
    if not among:
        return set()
    return set(
        db.session.scalars(
            select(Block.blocker_id).where(Block.blocked_id == user.id, Block.blocker_id.in_(among))
        )
    )


def blocked_among(blocker: User, among: list[int]) -> set[int]:
    """Which of these members ``blocker`` has blocked."""
    if not among:
        return set()
    return set(
        db.session.scalars(
            select(Block.blocked_id).where(
                Block.blocker_id == blocker.id, Block.blocked_id.in_(among)
            )
        )
    )


def blocked_by_member(user: User) -> list[Block]:
    """Everyone the member has blocked, most recent first, for their settings."""
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.blocker_id == user.id)
            .options(joinedload(Block.blocked))
            .order_by(Block.id.desc())
        )
    )


def has_blocked(blocker: User | None, blocked: User) -> bool:
    if blocker is None or not blocker.is_authenticated:
        return False
    return bool(blocked_among(blocker, [blocked.id]))


MOST_MENTORS_LISTED = 200


def listed_mentors(now: datetime | None = None) -> list[User]:
    """Peer mentors who chose to be listed and can answer: not remembered, suspended or
    silenced (the same rule as ``policy.is_listed_mentor``), by username."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_mentor.is_(True),
                User.mentor_listed.is_(True),
                User.is_system.is_(False),
                User.password_hash.is_not(None),
                User.remembered_at.is_(None),
                or_(User.suspended_until.is_(None), User.suspended_until <= now),
                or_(User.silenced_until.is_(None), User.silenced_until <= now),
            )
            .order_by(User.username_key)
            .limit(MOST_MENTORS_LISTED)
        )
    )
