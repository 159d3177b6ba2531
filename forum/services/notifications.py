"""Telling members what happened: a notification row and their unread count, together.

Every function here writes in the caller's transaction; the caller commits.
"""

import re

from sqlalchemy import distinct, func, select, update

from .. import policy
from ..extensions import db
from ..models import (
    Block,
    Board,
    BoardWatch,
    Conversation,
    Notification,
    OutboxEmail,
    Post,
    Reaction,
    Thread,
    ThreadWatch,
    User,
    utcnow,
)
from . import mail

# The line a "Quote" link starts the reply box with: "@rosa wrote:".
QUOTE = re.compile(r"^@([A-Za-z0-9_-]{3,30}) wrote:", re.MULTILINE)
MOST_MENTIONS = 20
MENTION_LINK = re.compile(r'<a href="/u/([a-z0-9_-]+)"')
QUOTED_HTML = re.compile(r"<blockquote>.*?</blockquote>", re.DOTALL)


def notify(
    member: User,
    kind: str,
    text: str,
    post: Post | None = None,
    conversation: Conversation | None = None,
) -> None:
    """Add a notification, count it unread, and email it to those who want every one.

    Nothing is added for a member who is remembered (or for the site's own account),
    whoever calls: this is the one door every notification goes through.
    """
    if not policy.may_notify(member):
        return
    notification = Notification(
        user_id=member.id,
        kind=kind,
        text=text,
        post_id=post.id if post is not None else None,
        conversation_id=conversation.id if conversation is not None else None,
    )
    db.session.add(notification)
    _count_unread(member.id, +1)
    mail.queue_notification(member, notification, post)


def _count_unread(user_id: int, change: int) -> None:
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(unread_notifications=User.unread_notifications + change)
    )


def blocked_by(member_ids: list[int], author_id: int) -> set[int]:
    """Which of these members blocked the author: they hear nothing from them."""
    if not member_ids:
        return set()
    return set(
        db.session.scalars(
            select(Block.blocker_id).where(
                Block.blocked_id == author_id, Block.blocker_id.in_(member_ids)
            )
        )
    )


def linked_mentions(html: str) -> list[str]:
    """Members the post speaks to: its mention links, outside code and quoted text.

    Reading the rendered post rather than its source leaves out "@rosa" written in code,
    and a quote of someone else's post does not mention again everyone they mentioned.
    """
    spoken = QUOTED_HTML.sub("", html)
    return list(dict.fromkeys(MENTION_LINK.findall(spoken)))


def notify_new_post(post: Post) -> None:
    """Tell everyone who should hear about a post that has just become public.

    Each member hears once, by the strongest reason: quoted, then mentioned, then a reply
    in a thread they watch (or a new thread in a board they watch).
    """
    thread = db.session.get(Thread, post.thread_id)
    author = db.session.get(User, post.author_id)
    reasons: dict[int, str] = {}
    quoted = {name.lower() for name in QUOTE.findall(post.source)}
    named = list(dict.fromkeys([*quoted, *linked_mentions(post.html)]))[:MOST_MENTIONS]
    for member in _members_named(named):
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
    for user_id in blocked_by(list(reasons), author.id):
        del reasons[user_id]
    if not reasons:
        return
    # Loaded before asking policy, which reads the thread's board to know who may see it.
    board = db.session.get(Board, thread.board_id)
    who = "A member" if post.is_anonymous else author.username
    for member in db.session.scalars(select(User).where(User.id.in_(reasons))):
        if _can_hear(member, thread):
            notify(member, reasons[member.id], _describe(reasons[member.id], who, thread, board),
                   post=post)  # fmt: skip


def _members_named(usernames: list[str]) -> list[User]:
    if not usernames:
        return []
    return list(db.session.scalars(select(User).where(User.username_key.in_(usernames))))


def _can_hear(member: User, thread: Thread) -> bool:
    """Only members who may see the thread, on its board, hear of it (and are emailed).

    A mention of a remembered member still links to their profile, but tells nobody.
    """
    return (
        policy.is_member(member)
        and policy.may_notify(member)
        and policy.can_see_thread(member, thread)
    )


def _describe(reason: str, who: str, thread: Thread, board: Board) -> str:
    """``who`` is the author's name, or "A member" for an anonymous post."""
    return {
        "quote": f"{who} quoted you in “{thread.title}”",
        "mention": f"{who} mentioned you in “{thread.title}”",
        "reply": f"{who} replied to “{thread.title}”",
        "new-thread": f"{who} started “{thread.title}” in {board.name}",
    }[reason]


def notify_reaction(post: Post, reactor: User) -> None:
    """Gather reactions to one post into one unread notification: "3 members sent support".

    Counted by member, not by click: a second kind of support, or support taken back and
    given again, does not count anyone twice.
    """
    author = db.session.get(User, post.author_id)
    if post.author_id == reactor.id or not policy.is_member(author):
        return
    if not policy.may_notify(author):
        # Support for a remembered member's words is still shown under the post.
        return
    if blocked_by([author.id], reactor.id):
        return
    db.session.flush()
    supporters = db.session.scalar(
        select(func.count(distinct(Reaction.user_id))).where(
            Reaction.post_id == post.id, Reaction.user_id != author.id
        )
    )
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
    if supporters > waiting.actor_count:
        waiting.actor_count = supporters
        waiting.text = f"{supporters} members sent support for your post in “{thread.title}”"
        waiting.created_at = utcnow()


def mark_read(member: User, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        _count_unread(member.id, -1)
    db.session.commit()


def mark_conversation_read(member: User, conversation_id: int) -> None:
    """The member has seen a conversation: its message notifications are read too."""
    read = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == member.id,
            Notification.conversation_id == conversation_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    ).rowcount
    if read:
        _count_unread(member.id, -read)


def mark_all_read(member: User) -> None:
    read = db.session.execute(
        update(Notification)
        .where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    # Less what was marked, not zero: a notification arriving meanwhile stays counted.
    if read:
        _count_unread(member.id, -read)
    db.session.commit()


def withdraw_notices_about(posts, still_readable_by: set[int], staff_may_read: bool) -> None:
    """Take back what members were told about posts they may no longer read (hidden by a
    moderator, deleted by their author, or in a thread that was hidden), with the unread
    counts beside them: a list must not keep a title, a name or a link its reader can no
    longer open, and a daily digest is built from these rows. The emails about those posts
    that have not gone yet are taken back from the same members: an email must not quote
    words after they were deleted. The members in ``still_readable_by`` (the author) keep
    theirs, and staff too if they may read them.
    ``posts`` is a list of ids or a SELECT of them."""
    told = [
        Notification.post_id.in_(posts),
        *_no_longer_readable_by(Notification.user_id, still_readable_by, staff_may_read),
    ]
    unread = db.session.execute(
        select(Notification.user_id, func.count())
        .where(*told, Notification.read_at.is_(None))
        .group_by(Notification.user_id)
        .order_by(Notification.user_id)  # members' rows in one order, as posting locks them
    ).all()
    db.session.execute(Notification.__table__.delete().where(*told))
    for user_id, count in unread:
        _count_unread(user_id, -count)
    mail.withdraw_unsent(
        OutboxEmail.post_id.in_(posts),
        *_no_longer_readable_by(OutboxEmail.user_id, still_readable_by, staff_may_read),
    )


def _no_longer_readable_by(member_id, still_readable_by: set[int], staff_may_read: bool) -> list:
    """Conditions on a column of member ids: everyone but those who may still read."""
    conditions = [member_id.not_in(sorted(still_readable_by))]
    if staff_may_read:
        conditions.append(member_id.not_in(select(User.id).where(_is_staff())))
    return conditions


def _is_staff():
    return User.role.in_(sorted(policy.STAFF_ROLES, key=lambda role: role.value))
