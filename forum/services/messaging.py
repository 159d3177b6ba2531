"""Private conversations and blocks: each public function is one transaction.

Who may write to whom is decided in ``policy`` before these are called; this module
keeps the rows, the stored counts and the notifications in step.
"""

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import policy
from ..extensions import db
from ..markup import render_markdown
from ..models import (
    Block,
    Conversation,
    ConversationMember,
    Message,
    Notification,
    User,
    WordAction,
    utcnow,
)
from . import notifications, posting, watchwords
from .posting import BlockedWords


def render_message(body: str, author: User) -> str:
    """A message's stored HTML; a new member's links stay visible text, never clickable."""
    posts_needed = current_app.config["MESSAGES_AFTER_POSTS"]
    return render_markdown(body, links=policy.links_allowed_in_messages(author, posts_needed))


def _refuse_blocked_words(author: User, text: str) -> None:
    # Only "block" words apply: holding or flagging a message would put private words in
    # front of moderators that nobody reported.
    if policy.is_staff(author):
        return
    blocked = watchwords.find(text).get(WordAction.BLOCK)
    if blocked:
        raise BlockedWords(blocked)


def start_conversation(
    author: User, recipients: list[User], subject: str, body: str
) -> Conversation:
    _refuse_blocked_words(author, f"{subject}\n{body}")
    now = utcnow()
    conversation = Conversation(subject=subject, created_at=now, last_message_at=now)
    db.session.add(conversation)
    db.session.flush()
    for member in [author, *recipients]:
        db.session.add(
            ConversationMember(conversation_id=conversation.id, user_id=member.id, joined_at=now,
                               last_message_at=now)
        )  # fmt: skip
    db.session.flush()
    message = _add_message(conversation, author, body)
    _alarm_if_crisis(message, author, f"{subject}\n{body}")
    db.session.commit()
    return conversation


def reply(conversation: Conversation, author: User, body: str) -> Message:
    _refuse_blocked_words(author, body)
    message = _add_message(conversation, author, body)
    _alarm_if_crisis(message, author, body)
    db.session.commit()
    return message


def _alarm_if_crisis(message: Message, author: User, text: str) -> None:
    # The author saw the crisis lines and chose to send: moderators see this one message
    # (and nothing else of the conversation) so that someone can check in.
    phrases = posting.crisis_words(author, text)
    if phrases:
        from .moderation import raise_crisis_alarm_for_message

        raise_crisis_alarm_for_message(message, phrases)


def _add_message(conversation: Conversation, author: User, body: str) -> Message:
    now = utcnow()
    message = Message(conversation_id=conversation.id, author_id=author.id, source=body,
                      html=render_message(body, author), created_at=now)  # fmt: skip
    db.session.add(message)
    db.session.flush()
    # An UPDATE, not a read-modify-write, so two replies at once both count.
    db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(message_count=Conversation.message_count + 1, last_message_at=now)
    )
    members = update(ConversationMember).where(
        ConversationMember.conversation_id == conversation.id, ConversationMember.left_at.is_(None)
    )
    db.session.execute(members.values(last_message_at=now))
    # Writing a message means having read the conversation up to it.
    db.session.execute(
        members.where(ConversationMember.user_id == author.id).values(last_read_at=now)
    )
    notifications.mark_conversation_read(author, conversation.id)
    _notify_members(conversation, author)
    db.session.expire(conversation)
    return message


def _notify_members(conversation: Conversation, author: User) -> None:
    """One unread notification per conversation per member, however many messages arrive."""
    readers = db.session.scalars(
        select(User)
        .join(ConversationMember, ConversationMember.user_id == User.id)
        .where(
            ConversationMember.conversation_id == conversation.id,
            ConversationMember.left_at.is_(None),
            User.id != author.id,
        )
    ).all()
    # Staff cannot be blocked: their messages always reach.
    blocked = set() if policy.is_staff(author) else notifications.blocked_by(
        [reader.id for reader in readers], author.id
    )  # fmt: skip
    waiting = {
        notice.user_id: notice
        for notice in db.session.scalars(
            select(Notification).where(
                Notification.conversation_id == conversation.id,
                Notification.kind == "message",
                Notification.read_at.is_(None),
            )
        )
    }
    for reader in readers:
        if reader.id in blocked:
            continue
        if reader.id in waiting:
            waiting[reader.id].text = f"New messages in “{conversation.subject}”"
            waiting[reader.id].created_at = utcnow()
        else:
            text = f"{author.username} sent you a message: “{conversation.subject}”"
            notifications.notify(reader, "message", text, conversation=conversation)


def mark_read(membership: ConversationMember, member: User) -> None:
    """The member has caught up: the conversation and its notifications are read."""
    membership.last_read_at = membership.last_message_at
    notifications.mark_conversation_read(member, membership.conversation_id)
    db.session.commit()


def leave(membership: ConversationMember, member: User) -> None:
    """Leave for good: no more messages arrive, and the conversation is gone from the list."""
    membership.left_at = utcnow()
    notifications.mark_conversation_read(member, membership.conversation_id)
    db.session.commit()


# Blocks


def block(blocker: User, blocked: User) -> None:
    db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    try:
        db.session.commit()
    except IntegrityError:
        # Blocked already (a double click): one row is what we wanted.
        db.session.rollback()


def unblock(blocker: User, blocked: User) -> None:
    db.session.execute(
        delete(Block).where(Block.blocker_id == blocker.id, Block.blocked_id == blocked.id)
    )
    db.session.commit()
