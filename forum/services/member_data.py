"""Members own what they wrote: a download of all of it, and deleting their account.

Deleting keeps the member's row, emptied of everything personal and renamed, because
moderation records (which are append-only) and other members' replies point at it; the
pages then show "a former member".
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime

from slugify import slugify
from sqlalchemy import delete, func, or_, select, update

from ..extensions import db
from ..models import (
    Block,
    Board,
    BoardWatch,
    Bookmark,
    Conversation,
    ConversationMember,
    Draft,
    EmailFrequency,
    Message,
    MessageState,
    ModerationLog,
    Notification,
    OutboxEmail,
    Post,
    PostRevision,
    PostState,
    Reaction,
    Report,
    StaffNote,
    Thread,
    ThreadRead,
    ThreadState,
    ThreadWatch,
    User,
    utcnow,
)
from . import mail, posting, searching

FORMER_MEMBER_PREFIX = "former-member-"
# Words that replace withdrawn content, so no page or index holds the old words.
WITHDRAWN_TITLE = "Removed by its author"
# Beside a post the member deleted: it is theirs, so it is in their download, but nobody
# reading it there later should think it still shows on the forum.
DELETED_NOTE = (
    "You deleted this post. It no longer shows on the forum; it is here because it is yours."
)
BATCH = 500


# Export -----------------------------------------------------------------------------


class _ChunkCollector(io.RawIOBase):
    """A write-only stream that hands back what was written since it was last asked.

    zipfile writes into it; the response streams out each chunk as soon as a file is
    finished, so an export of any size needs only one file's worth of memory.
    """

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def export_archive(member: User, site_url: str) -> Iterator[bytes]:
    """A zip of everything the member wrote, produced piece by piece.

    Markdown files with front matter for each post and for the messages they sent in each
    conversation, their profile, and one JSON file with all of it plus their reactions and
    bookmarks. Other members' words are not included: they are theirs.
    """
    collector = _ChunkCollector()
    with zipfile.ZipFile(collector, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(member, site_url))
        archive.writestr("profile.md", _front_matter(_profile(member)) + (member.about or ""))
        yield collector.take()
        for post, thread, board in _posts_of(member):
            archive.writestr(
                _post_path(post, thread), _post_markdown(post, thread, board, site_url)
            )
            yield collector.take()
        for conversation, messages in _messages_by(member):
            archive.writestr(
                _conversation_path(conversation), _messages_markdown(conversation, messages)
            )
            yield collector.take()
        with archive.open("harbor-data.json", "w") as out:
            for piece in _json_pieces(member, site_url):
                out.write(piece.encode())
                if sum(map(len, collector.chunks)) > 64 * 1024:
                    yield collector.take()
    yield collector.take()


def _readme(member: User, site_url: str) -> str:
    return (
        f"Everything {member.username} wrote on Harbor ({site_url}), "
        f"exported {utcnow():%Y-%m-%d %H:%M} UTC.\n\n"
        "posts/      one Markdown file per post, with where and when it was posted at the top\n"
        "posts/deleted/  posts you deleted: gone from the forum, here because they are yours\n"
        "messages/   the private messages you sent, one file per conversation\n"
        "profile.md  your profile and settings\n"
        "harbor-data.json  all of the above, plus the support you sent and your bookmarks\n\n"
        "Other members' words are not included: they belong to them.\n"
    )


def _profile(member: User) -> dict:
    return {
        "username": member.username,
        "display_name": member.display_name,
        "my_story": member.story,
        "email": member.email,
        "email_frequency": member.email_frequency.value,
        "joined": _when(member.created_at),
    }


def _posts_of(member: User) -> Iterator[tuple[Post, Thread, Board]]:
    """The member's posts in batches, oldest first (keyset paging: no OFFSET)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Post, Thread, Board)
            .join(Thread, Thread.id == Post.thread_id)
            .join(Board, Board.id == Thread.board_id)
            .where(Post.author_id == member.id, Post.id > last_id, Post.source != "")
            .order_by(Post.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0].id
        db.session.expunge_all()


def _post_path(post: Post, thread: Thread) -> str:
    folder = "posts/deleted" if post.state is PostState.DELETED else "posts"
    name = f"{post.created_at:%Y-%m-%d}-{post.id}-{slugify(thread.title)[:50] or 'post'}.md"
    return f"{folder}/{name}"


def _post_markdown(post: Post, thread: Thread, board: Board, site_url: str) -> str:
    return _front_matter(_post_facts(post, thread, board, site_url)) + post.source + "\n"


def _post_facts(post: Post, thread: Thread, board: Board, site_url: str) -> dict:
    facts = {"note": DELETED_NOTE} if post.state is PostState.DELETED else {}
    return facts | {
        "thread": thread.title,
        "board": board.name,
        "started_the_thread": post.id == thread.first_post_id,
        "number_in_thread": post.number,
        "posted": _when(post.created_at),
        "edited": _when(post.edited_at),
        "state": post.state.value,
        "content_note": post.content_note,
        "posted_anonymously": post.is_anonymous,
        "link": f"{site_url}/p/{post.id}",
    }


def _messages_by(member: User) -> Iterator[tuple[Conversation, list[Message]]]:
    conversations = db.session.scalars(
        select(Conversation)
        .where(
            Conversation.id.in_(
                select(Message.conversation_id).where(Message.author_id == member.id)
            )
        )
        .order_by(Conversation.id)
    ).all()
    for conversation in conversations:
        messages = db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.author_id == member.id,
                   Message.source != "")
            .order_by(Message.id)
        ).all()  # fmt: skip
        if messages:
            yield conversation, list(messages)


def _conversation_path(conversation: Conversation) -> str:
    return f"messages/{conversation.id}-{slugify(conversation.subject)[:50] or 'conversation'}.md"


def _messages_markdown(conversation: Conversation, messages: list[Message]) -> str:
    header = _front_matter({"conversation": conversation.subject, "messages_sent": len(messages)})
    return (
        header
        + "\n\n".join(f"## {_when(message.created_at)}\n\n{message.source}" for message in messages)
        + "\n"
    )


def _json_pieces(member: User, site_url: str) -> Iterator[str]:
    """The JSON file, written a record at a time."""
    yield '{"profile": ' + json.dumps({**_profile(member), "about": member.about}) + ', "posts": ['
    for index, (post, thread, board) in enumerate(_posts_of(member)):
        facts = _post_facts(post, thread, board, site_url)
        yield ("," if index else "") + json.dumps({**facts, "markdown": post.source})
    yield '], "messages_sent": ['
    first = True
    for conversation, messages in _messages_by(member):
        for message in messages:
            record = {"conversation": conversation.subject, "sent": _when(message.created_at),
                      "markdown": message.source}  # fmt: skip
            yield ("" if first else ",") + json.dumps(record)
            first = False
    yield '], "support_sent": ' + json.dumps(_reactions_of(member))
    yield ', "bookmarks": ' + json.dumps(_bookmarks_of(member, site_url)) + "}\n"


def _reactions_of(member: User) -> list[dict]:
    rows = db.session.execute(
        select(Reaction.kind, Reaction.post_id, Reaction.created_at)
        .where(Reaction.user_id == member.id)
        .order_by(Reaction.id)
    )
    return [
        {"support": kind.label, "post": post_id, "sent": _when(at)} for kind, post_id, at in rows
    ]


def _bookmarks_of(member: User, site_url: str) -> list[dict]:
    rows = db.session.execute(
        select(Bookmark.post_id, Bookmark.created_at)
        .where(Bookmark.user_id == member.id)
        .order_by(Bookmark.id)
    )
    return [{"link": f"{site_url}/p/{post_id}", "saved": _when(at)} for post_id, at in rows]


def _front_matter(facts: dict) -> str:
    lines = ["---"] + [
        f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in facts.items()
    ]
    return "\n".join(lines) + "\n---\n\n"


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


# Deleting an account ------------------------------------------------------------------


def delete_account(member: User, remove_posts: bool, by: User, reason: str = "") -> None:
    """Delete a member's account, in one transaction.

    Their email, password, profile, sessions, drafts, notifications and private messages
    only they still hold go. Their posts go too when they ask (placeholders keep others'
    replies readable), or stay under "a former member". A log row records that it
    happened and who did it, with no personal data.
    """
    touched_threads = _withdraw_posts(member) if remove_posts else set()
    _withdraw_messages(member, remove_all=remove_posts)
    _forget_personal_rows(member)
    _rename_in_others_notifications(member)
    _drop_others_emails_naming(member)
    _empty_account(member)
    posting.recount_member(member)
    for thread in touched_threads:
        posting.recount_thread(thread)
    for board in {db.session.get(Board, thread.board_id) for thread in touched_threads}:
        posting.recount_board(board)
    db.session.add(
        ModerationLog(
            actor_id=by.id,
            action="delete-account",
            subject_id=member.id,
            reason=reason,
            details={
                "posts": "removed" if remove_posts else "kept",
                "by": "member" if by.id == member.id else "admin",
            },
        )
    )
    db.session.commit()


def _withdraw_posts(member: User) -> set[Thread]:
    """Empty every post the member wrote; threads only they wrote in are withdrawn whole."""
    posts = db.session.scalars(select(Post).where(Post.author_id == member.id)).all()
    threads = {db.session.get(Thread, post.thread_id) for post in posts}
    post_ids = [post.id for post in posts]
    db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(post_ids)))
    # Emails quoting them go too, sent or not. Those naming the member are found by name
    # below; an anonymous post's name nobody, so they are found by the post.
    about_them = OutboxEmail.post_id.in_(post_ids)
    mail.withdraw_unsent(about_them)
    db.session.execute(delete(OutboxEmail).where(about_them, OutboxEmail.claimed_until.is_(None)))
    for post in posts:
        post.state = PostState.DELETED
        post.source = post.html = ""
    db.session.flush()
    for thread in threads:
        others = db.session.scalar(
            select(func.count()).where(Post.thread_id == thread.id, Post.author_id != member.id)
        )
        if thread.author_id == member.id and not others:
            thread.title = WITHDRAWN_TITLE
            thread.slug = slugify(WITHDRAWN_TITLE)
            if thread.state is ThreadState.VISIBLE:
                thread.state = ThreadState.HIDDEN
        searching.index_thread(thread)
    return threads


def _withdraw_messages(member: User, remove_all: bool) -> None:
    """Conversations nobody else is left in go entirely; in the others, the member's own
    messages go too when they asked for their words to be removed."""
    memberships = db.session.scalars(
        select(ConversationMember).where(ConversationMember.user_id == member.id)
    ).all()
    for membership in memberships:
        others_remaining = db.session.scalar(
            select(func.count()).where(
                ConversationMember.conversation_id == membership.conversation_id,
                ConversationMember.user_id != member.id,
                ConversationMember.left_at.is_(None),
            )
        )
        whose = Message.conversation_id == membership.conversation_id
        if others_remaining and not remove_all:
            membership.left_at = membership.left_at or utcnow()
            continue
        if others_remaining:
            whose = whose & (Message.author_id == member.id)
        else:
            db.session.execute(
                update(Conversation)
                .where(Conversation.id == membership.conversation_id)
                .values(subject=WITHDRAWN_TITLE)
            )
        db.session.execute(
            update(Message).where(whose).values(source="", html="", state=MessageState.WITHDRAWN)
        )
        membership.left_at = membership.left_at or utcnow()


def _forget_personal_rows(member: User) -> None:
    for statement in (
        delete(Draft).where(Draft.user_id == member.id),
        delete(Bookmark).where(Bookmark.user_id == member.id),
        delete(ThreadWatch).where(ThreadWatch.user_id == member.id),
        delete(BoardWatch).where(BoardWatch.user_id == member.id),
        delete(ThreadRead).where(ThreadRead.user_id == member.id),
        delete(Reaction).where(Reaction.user_id == member.id),
        delete(Block).where(or_(Block.blocker_id == member.id, Block.blocked_id == member.id)),
        delete(Notification).where(Notification.user_id == member.id),
        delete(StaffNote).where(StaffNote.user_id == member.id),
        update(Report).where(Report.reporter_id == member.id).values(note=""),
    ):
        db.session.execute(statement)
    if member.email or member.pending_email:
        addresses = [address for address in (member.email, member.pending_email) if address]
        db.session.execute(
            delete(OutboxEmail).where(
                or_(OutboxEmail.user_id == member.id, OutboxEmail.to_address.in_(addresses))
            )
        )
    else:
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.user_id == member.id))


# How notification texts begin when they are about what someone did (see notifications.py
# and messaging.py); only these are reworded, so a member called "hope" or "New" leaves
# "I hope…" and "New messages in…" alone.
_DEEDS = ("replied to", "mentioned you", "quoted you", "started “", "sent support",
          "sent you a message")  # fmt: skip


def _rename_in_others_notifications(member: User) -> None:
    """Others' notifications begin with who did it ("rosa replied to …"): say "A former
    member" there instead."""
    name = member.username
    for deed in _DEEDS:
        start = f"{name} {deed}"
        db.session.execute(
            update(Notification)
            .where(func.substr(Notification.text, 1, len(start)) == start)
            .values(text="A former member " + func.substr(Notification.text, len(name) + 2))
        )


def _drop_others_emails_naming(member: User) -> None:
    """Emails to others that say what the member did ("rosa replied …") are dropped,
    sent or not: the notification stays on the site, under "a former member"."""
    deeds = "|".join(re.escape(deed) for deed in _DEEDS)
    naming = re.compile(rf"^(?:- )?{re.escape(member.username)} (?:{deeds})", re.MULTILINE)
    candidates = db.session.execute(
        select(OutboxEmail.id, OutboxEmail.text_body).where(
            OutboxEmail.kind.in_(mail.SUBSCRIPTION_KINDS),
            OutboxEmail.text_body.contains(member.username, autoescape=True),
        )
    ).all()
    doomed = [email_id for email_id, body in candidates if naming.search(body)]
    if doomed:
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.id.in_(doomed)))


def _empty_account(member: User) -> None:
    member.username = member.username_key = f"{FORMER_MEMBER_PREFIX}{member.id}"
    member.email = member.pending_email = member.email_confirmed_at = None
    member.password_hash = None
    member.display_name = member.about = member.story = None
    member.remembered_at = member.remembrance = member.remembrance_dates = None
    member.is_mentor = member.mentor_listed = False
    member.email_frequency = EmailFrequency.NEVER
    member.unread_notifications = 0
    member.has_pending_warning = False
    member.digested_until = None
    member.last_seen_at = None
    # Every session and remember-me cookie ends with the old token.
    member.session_token = User.new_token()
    member.deleted_at = utcnow()
