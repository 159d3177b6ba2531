"""Starting threads, replying, editing and deleting posts.

Each function writes the post and every count it affects (thread, board, author) in one
transaction, so a page never shows a count that disagrees with the posts beneath it.
New members' first posts, posts on boards that need approval, and posts with a watched
"hold" word are stored as held: only their author and staff see them until approved. An
author's edit is screened the same way, and may send a published post back to wait.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from slugify import slugify
from sqlalchemy import case, func, select, update

from .. import policy
from ..extensions import db
from ..markup import link_targets, mentioned_names, render_markdown
from ..models import (
    Board,
    Post,
    PostRevision,
    PostState,
    Thread,
    ThreadState,
    User,
    WordAction,
    utcnow,
)
from . import community, crisis, notifications, reading, searching, watchwords

SLUG_MAX_LENGTH = 80
# A second identical submission this soon after the first is a double click, not a new post.
DUPLICATE_WINDOW = timedelta(minutes=10)


class BlockedWords(Exception):
    """The text uses a word the site does not allow; nothing was stored."""

    def __init__(self, phrases: list[str]):
        super().__init__(", ".join(phrases))
        self.phrases = phrases


def render_post(source: str) -> str:
    """A post's stored HTML: its Markdown, with mentions of real members linked."""
    names = mentioned_names(source)
    members = (
        set(db.session.scalars(select(User.username_key).where(User.username_key.in_(names))))
        if names
        else set()
    )
    return render_markdown(source, members)


def thread_slug(title: str) -> str:
    return slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True) or "thread"


def start_thread(
    board: Board,
    author: User,
    title: str,
    body: str,
    content_note: str | None = None,
    anonymous: bool = False,
    **thread_fields,
) -> Post:
    """Open a thread in ``board`` and return its first post (held, if it must wait).

    ``anonymous`` shows it as "A member"'s; the caller checks the board allows it.
    """
    screening = _screen(author, board, words_of(body, title, content_note))
    thread = Thread(
        board=board,
        author=author,
        title=title,
        slug=thread_slug(title),
        state=ThreadState.HELD if screening.hold else ThreadState.VISIBLE,
        is_authors_first=_is_first_words(author),
        is_anonymous=anonymous,
        **thread_fields,
    )
    db.session.add(thread)
    db.session.flush()
    post = _add_post(
        thread, author, body, held=screening.hold, content_note=content_note, anonymous=anonymous
    )
    if not screening.hold:
        db.session.execute(
            update(Board).where(Board.id == board.id).values(thread_count=Board.thread_count + 1)
        )
    _flag_if_watched(post, screening)
    _alarm_if_crisis(post, screening.crisis)
    community.clear_draft(author, board=board)
    reading.note_read_upto(author, thread, post.number)
    db.session.commit()
    return post


def reply(
    thread: Thread,
    author: User,
    body: str,
    content_note: str | None = None,
    anonymous: bool = False,
) -> Post:
    board = db.session.get(Board, thread.board_id)
    screening = _screen(author, board, words_of(body, content_note=content_note))
    post = _add_post(
        thread, author, body, held=screening.hold, content_note=content_note, anonymous=anonymous
    )
    _flag_if_watched(post, screening)
    _alarm_if_crisis(post, screening.crisis)
    community.clear_draft(author, thread=thread)
    # Whoever replies has read the thread up to their own words.
    reading.note_read_upto(author, thread, post.number)
    db.session.commit()
    return post


def _is_first_words(author: User) -> bool:
    """Whether a new thread opens with the author's first post ever (held, deleted and
    rejected ones count too): one indexed look-up, made once, when the thread starts.
    Staff and the site's own account are not newcomers to welcome."""
    if policy.is_staff(author) or author.is_system:
        return False
    return db.session.scalar(select(Post.id).where(Post.author_id == author.id).limit(1)) is None


@dataclass(frozen=True)
class _Screening:
    hold: bool
    flagged: list[str]
    crisis: list[str]


def _screen(author: User, board: Board, text: str, before: str | None = None) -> _Screening:
    """What must happen to ``text``, a new post's words or, given the words it had
    ``before``, an edit's: raises BlockedWords if it may not be stored at all.

    An edit is screened as a new post is, but only for what it brings in. Words the post
    already had were screened when it was posted (held ones a moderator approved), so
    tidying a typo neither sends it back to the queue nor reopens a case a moderator closed.
    And a member whose posts still wait has an edit held only when it adds a link: that,
    not a reworded sentence, is how an approved post turns into a scam.
    """
    found = watchwords.find(text) if not policy.is_staff(author) else {}
    if found.get(WordAction.BLOCK):
        raise BlockedWords(found[WordAction.BLOCK])
    must_wait = policy.must_hold_for_approval(author, board, current_app.config["FIRST_POSTS_HELD"])
    crisis_found = crisis_words(author, text)
    if before is not None:
        found_before = watchwords.find(before) if found else {}
        found = {action: _brought_in(phrases, found_before.get(action, []))
                 for action, phrases in found.items()}  # fmt: skip
        must_wait = must_wait and bool(link_targets(text) - link_targets(before))
        crisis_found = _brought_in(crisis_found, crisis_words(author, before))
    return _Screening(
        hold=bool(found.get(WordAction.HOLD)) or must_wait,
        flagged=found.get(WordAction.FLAG, []),
        crisis=crisis_found,
    )


def _brought_in(found: list[str], before: list[str]) -> list[str]:
    """The phrases found in an edit that the post did not already have."""
    return [phrase for phrase in found if phrase not in before]


def words_of(body: str, title: str | None = None, content_note: str | None = None) -> str:
    """Everything of a post that others read, screened alike: a content note in the
    author's own words can carry the same words as the post itself."""
    return "\n".join(part for part in (title, body, content_note) if part)


def crisis_words(author: User, text: str) -> list[str]:
    """Words of self-harm or suicide in what ``author`` wrote, if they are screened."""
    return crisis.find(text) if policy.is_screened_for_crisis(author) else []


def _alarm_if_crisis(post: Post, phrases: list[str]) -> None:
    # Views show the crisis lines before anything is published; by now the author has
    # chosen to post, so moderators are asked to check in with them.
    if phrases:
        from .moderation import raise_crisis_alarm

        raise_crisis_alarm(post, phrases)


def _flag_if_watched(post: Post, screening: _Screening) -> None:
    if screening.flagged:
        from .moderation import flag_post  # moderation builds on posting, not the reverse

        flag_post(post, f"Watched words: {', '.join(screening.flagged)}")


def _add_post(
    thread: Thread,
    author: User,
    body: str,
    held: bool = False,
    content_note: str | None = None,
    anonymous: bool = False,
) -> Post:
    # Claiming the next number with an UPDATE locks the thread's row on PostgreSQL, so
    # concurrent replies queue up instead of racing for the same number.
    number = db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(post_count=Thread.post_count + 1)
        .returning(Thread.post_count)
    ).scalar_one()
    now = utcnow()
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        number=number,
        source=body,
        html=render_post(body),
        state=PostState.HELD if held else PostState.VISIBLE,
        content_note=content_note,
        created_at=now,
        is_anonymous=anonymous,
    )
    db.session.add(post)
    db.session.flush()
    is_reply = number > 1
    if not is_reply:
        db.session.execute(
            update(Thread).where(Thread.id == thread.id).values(first_post_id=post.id)
        )
    if not held:
        _count_new_post(thread, author, post, is_reply)
    # Members' rows last: every post locks thread, board, then members, in that order, so
    # two posts on PostgreSQL never each hold a row the other waits for (a deadlock).
    db.session.execute(update(User).where(User.id == author.id).values(last_seen_at=now))
    db.session.expire(thread)
    community.watch_thread(thread, author)
    if not held:
        searching.index_post(post)
        notifications.notify_new_post(post)
    return post


def _count_new_post(thread: Thread, author: User, post: Post, is_reply: bool) -> None:
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(
            last_post_id=post.id,
            last_post_at=post.created_at,
            reply_count=Thread.reply_count + int(is_reply),
        )
    )
    if thread.state is ThreadState.VISIBLE:
        db.session.execute(
            update(Board)
            .where(Board.id == thread.board_id)
            .values(
                post_count=Board.post_count + 1, last_post_id=_later_of(Board.last_post_id, post)
            )
        )
    # A profile's count would otherwise tick up as an anonymous post appears; trust counts
    # every post others can read.
    shown_on_profile = int(not post.is_anonymous)
    db.session.execute(
        update(User)
        .where(User.id == author.id)
        .values(
            post_count=User.post_count + shown_on_profile,
            visible_post_count=User.visible_post_count + 1,
        )
    )


def _later_of(last_post_id, post: Post):
    """SQL for whichever is newer: the stored "last post" or ``post``.

    Replies to different threads of a board do not queue behind each other (on PostgreSQL),
    so a post with a lower id may reach the board's row second and must not win there.
    """
    return case((last_post_id.is_(None) | (last_post_id < post.id), post.id), else_=last_post_id)


def recent_duplicate_reply(thread: Thread, author: User, body: str) -> Post | None:
    """The thread's last post, if it is this member's identical reply of a moment ago.

    Only the last post counts: "Thank you!" said again after others have replied is a
    new reply, not a double click.
    """
    last = db.session.scalar(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.number.desc()).limit(1)
    )
    if (
        last is not None
        and last.author_id == author.id
        and last.source == body
        and last.state in (PostState.VISIBLE, PostState.HELD)
        and last.created_at >= utcnow() - DUPLICATE_WINDOW
    ):
        return last
    return None


def recent_duplicate_thread(board: Board, author: User, title: str, body: str) -> Post | None:
    """The opening post of this member's latest thread, if it is this very one again."""
    latest = db.session.scalar(
        select(Thread)
        .where(Thread.author_id == author.id, Thread.created_at >= utcnow() - DUPLICATE_WINDOW)
        .order_by(Thread.id.desc())
        .limit(1)
    )
    if latest is None or latest.board_id != board.id or latest.title != title:
        return None
    opening = db.session.get(Post, latest.first_post_id) if latest.first_post_id else None
    if opening is None or opening.source != body:
        return None
    return opening if opening.state in (PostState.VISIBLE, PostState.HELD) else None


KEEP_NOTE = object()


def edit_post(
    post: Post, editor: User, body: str, title: str | None = None, content_note=KEEP_NOTE
) -> None:
    """Change a post's text (and its thread's title, for an opening post), keeping the old.

    ``content_note`` replaces the post's note (None removes it); left out, it stays. The
    author's edit is screened as a new post is (see _screen): refused for a blocked word,
    sent back to the moderators' queue, or reported to them.
    """
    note = post.content_note if content_note is KEEP_NOTE else content_note
    thread = db.session.get(Thread, post.thread_id)
    before, after = _words_before_and_after(post, thread, body, title, note)
    screening = _screen(editor, db.session.get(Board, thread.board_id), after, before)
    revise_post(post, editor, body, title)
    if content_note is not KEEP_NOTE:
        post.content_note = content_note
    if screening.hold and post.state is PostState.VISIBLE:
        _hold_again(post, thread)
    _flag_if_watched(post, screening)
    _alarm_if_crisis(post, screening.crisis)
    db.session.commit()


def crisis_words_in_edit(post: Post, editor: User, body: str, title: str | None,
                         content_note: str | None) -> list[str]:  # fmt: skip
    """Crisis words an edit brings in, for the page to pause on before it is saved."""
    thread = db.session.get(Thread, post.thread_id)
    before, after = _words_before_and_after(post, thread, body, title, content_note)
    return _brought_in(crisis_words(editor, after), crisis_words(editor, before))


def _words_before_and_after(post: Post, thread: Thread, body: str, title: str | None,
                            content_note: str | None) -> tuple[str, str]:  # fmt: skip
    """Everything others read of the post as it stands, and as the edit would leave it."""
    old_title = thread.title if post.id == thread.first_post_id else None
    return (
        words_of(post.source, old_title, post.content_note),
        words_of(body, title, content_note),
    )


def _hold_again(post: Post, thread: Thread) -> None:
    """Send a published post back to wait for a moderator, as if it had just been held:
    off the public pages, the search index and the counts, and out of what others were
    told. An opening post takes its thread with it, as a new thread waits whole (its
    title is screened with it); approving the post brings both back."""
    post.state = PostState.HELD
    opens_thread = post.id == thread.first_post_id and thread.state is ThreadState.VISIBLE
    if opens_thread:
        thread.state = ThreadState.HELD
    recount_around(post)
    if opens_thread:
        searching.index_thread(thread)
    else:
        searching.index_post(post)
    notifications.withdraw_notices_about(
        select(Post.id).where(Post.thread_id == thread.id) if opens_thread else [post.id],
        still_readable_by={post.author_id},
        staff_may_read=True,
    )


def revise_post(post: Post, editor: User, body: str, title: str | None = None) -> bool:
    """Store the new text, keeping the old as a revision. Returns whether anything changed."""
    thread = db.session.get(Thread, post.thread_id)
    title_changes = post.id == thread.first_post_id and title is not None and title != thread.title
    if body == post.source and not title_changes:
        return False
    db.session.add(
        PostRevision(
            post_id=post.id,
            editor_id=editor.id,
            title=thread.title if post.id == thread.first_post_id else None,
            source=post.source,
        )
    )
    post.source = body
    post.html = render_post(body)
    post.edited_at = utcnow()
    if title_changes:
        thread.title = title
        thread.slug = thread_slug(title)
    searching.index_post(post)
    return True


def delete_post(post: Post) -> None:
    """Withdraw a post: its words go, a placeholder keeps the conversation readable."""
    lock_thread(post.thread_id)
    db.session.refresh(post)
    if post.state not in (PostState.VISIBLE, PostState.HELD):
        return
    post.state = PostState.DELETED
    recount_around(post)
    searching.index_post(post)
    notifications.withdraw_notices_about(
        [post.id], still_readable_by={post.author_id}, staff_may_read=False
    )
    db.session.commit()


# Exact recounts, for every change but a new post (which counts incrementally, above).


def lock_thread(thread_id: int) -> Thread:
    """The thread, freshly read under its row lock (PostgreSQL).

    New posts lock the same row first (claiming their number), so whatever changes a
    thread's posts queues behind them, then counts what is really there.
    """
    thread = db.session.get(Thread, thread_id)
    _lock(thread)
    return thread


def _lock(row) -> None:
    """Write what is pending, then re-read ``row`` under its lock.

    Re-reading matters as much as locking: the ORM writes only values that differ from
    what it last read, so a stale copy could make it skip writing a corrected count.
    """
    db.session.flush()
    model = type(row)
    db.session.execute(select(model.id).where(model.id == row.id).with_for_update())
    db.session.refresh(row)


def recount_around(post: Post) -> None:
    """Bring the counts of a post's thread, board and author back in line with the posts."""
    db.session.flush()
    thread = lock_thread(post.thread_id)
    recount_thread(thread)
    recount_board(db.session.get(Board, thread.board_id))
    recount_member(db.session.get(User, post.author_id))


def recount_thread(thread: Thread) -> None:
    _lock(thread)
    visible = select(Post).where(Post.thread_id == thread.id, Post.state == PostState.VISIBLE)
    last = db.session.execute(
        visible.with_only_columns(Post.id, Post.created_at).order_by(Post.number.desc()).limit(1)
    ).first()
    first_post_id = db.session.scalar(
        select(Post.id).where(Post.thread_id == thread.id).order_by(Post.number).limit(1)
    )
    thread.first_post_id = first_post_id
    thread.post_count = db.session.scalar(
        select(func.coalesce(func.max(Post.number), 0)).where(Post.thread_id == thread.id)
    )
    thread.reply_count = db.session.scalar(
        select(func.count()).select_from(visible.where(Post.id != first_post_id).subquery())
    )
    thread.last_post_id = last.id if last else None
    thread.last_post_at = last.created_at if last else thread.created_at
    db.session.flush()


def recount_board(board: Board) -> None:
    _lock(board)
    visible_threads = select(Thread.id).where(
        Thread.board_id == board.id, Thread.state == ThreadState.VISIBLE
    )
    board.thread_count = db.session.scalar(
        select(func.count()).select_from(visible_threads.subquery())
    )
    board.post_count = db.session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.thread_id.in_(visible_threads), Post.state == PostState.VISIBLE)
    )
    board.last_post_id = db.session.scalar(
        select(func.max(Thread.last_post_id)).where(
            Thread.board_id == board.id, Thread.state == ThreadState.VISIBLE
        )
    )
    db.session.flush()


def recount_member(user: User) -> None:
    _lock(user)
    visible = func.count().filter(Post.state == PostState.VISIBLE)
    user.post_count, user.visible_post_count = db.session.execute(
        select(visible.filter(Post.is_anonymous.is_(False)), visible).where(
            Post.author_id == user.id
        )
    ).one()
    db.session.flush()
