"""Starting threads, replying, editing and deleting posts.

Each function writes the post and every count it affects (thread, board, author) in one
transaction, so a page never shows a count that disagrees with the posts beneath it.
"""

from datetime import timedelta

from slugify import slugify
from sqlalchemy import func, select, update

from ..extensions import db
from ..markup import render_markdown
from ..models import Board, Post, PostRevision, PostState, Thread, User, utcnow

SLUG_MAX_LENGTH = 80
# A second identical submission this soon after the first is a double click, not a new post.
DUPLICATE_WINDOW = timedelta(minutes=10)


def thread_slug(title: str) -> str:
    return slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True) or "thread"


def start_thread(board: Board, author: User, title: str, body: str, **thread_fields) -> Post:
    """Open a thread in ``board`` and return its first post."""
    thread = Thread(
        board=board, author=author, title=title, slug=thread_slug(title), **thread_fields
    )
    db.session.add(thread)
    db.session.flush()
    post = _add_post(thread, author, body)
    db.session.execute(
        update(Board).where(Board.id == board.id).values(thread_count=Board.thread_count + 1)
    )
    db.session.commit()
    return post


def reply(thread: Thread, author: User, body: str) -> Post:
    post = _add_post(thread, author, body)
    db.session.commit()
    return post


def _add_post(thread: Thread, author: User, body: str) -> Post:
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
        html=render_markdown(body),
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    is_reply = number > 1
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(
            last_post_id=post.id,
            last_post_at=now,
            reply_count=Thread.reply_count + int(is_reply),
            first_post_id=Thread.first_post_id if is_reply else post.id,
        )
    )
    db.session.execute(
        update(Board)
        .where(Board.id == thread.board_id)
        .values(post_count=Board.post_count + 1, last_post_id=post.id)
    )
    db.session.execute(
        update(User)
        .where(User.id == author.id)
        .values(post_count=User.post_count + 1, last_seen_at=now)
    )
    db.session.expire(thread)
    return post


def recent_duplicate_reply(thread: Thread, author: User, body: str) -> Post | None:
    """The same member's identical reply in this thread a moment ago, if there is one."""
    return db.session.scalar(
        select(Post)
        .where(
            Post.thread_id == thread.id,
            Post.author_id == author.id,
            Post.source == body,
            Post.state == PostState.VISIBLE,
            Post.created_at >= utcnow() - DUPLICATE_WINDOW,
        )
        .limit(1)
    )


def recent_duplicate_thread(board: Board, author: User, title: str, body: str) -> Post | None:
    return db.session.scalar(
        select(Post)
        .join(Thread, Thread.first_post_id == Post.id)
        .where(
            Thread.board_id == board.id,
            Thread.author_id == author.id,
            Thread.title == title,
            Post.source == body,
            Post.state == PostState.VISIBLE,
            Post.created_at >= utcnow() - DUPLICATE_WINDOW,
        )
        .limit(1)
    )


def edit_post(post: Post, editor: User, body: str, title: str | None = None) -> None:
    """Change a post's text (and its thread's title, for an opening post), keeping the old."""
    thread = db.session.get(Thread, post.thread_id)
    title_changes = post.is_opening_post and title is not None and title != thread.title
    if body == post.source and not title_changes:
        return
    db.session.add(
        PostRevision(
            post_id=post.id,
            editor_id=editor.id,
            title=thread.title if post.is_opening_post else None,
            source=post.source,
        )
    )
    post.source = body
    post.html = render_markdown(body)
    post.edited_at = utcnow()
    if title_changes:
        thread.title = title
        thread.slug = thread_slug(title)
    db.session.commit()


def delete_post(post: Post) -> None:
    """Withdraw a post: its words go, a placeholder keeps the conversation readable."""
    if not post.is_visible:
        return
    post.state = PostState.DELETED
    thread = db.session.get(Thread, post.thread_id)
    if not post.is_opening_post:
        thread.reply_count -= 1
    db.session.execute(
        update(User).where(User.id == post.author_id).values(post_count=User.post_count - 1)
    )
    db.session.flush()
    refresh_thread_last_post(thread)
    db.session.flush()
    board = db.session.get(Board, thread.board_id)
    board.post_count -= 1
    board.last_post_id = db.session.scalar(
        select(func.max(Thread.last_post_id)).where(Thread.board_id == board.id)
    )
    db.session.commit()


def refresh_thread_last_post(thread: Thread) -> None:
    last = db.session.execute(
        select(Post.id, Post.created_at)
        .where(Post.thread_id == thread.id, Post.state == PostState.VISIBLE)
        .order_by(Post.number.desc())
        .limit(1)
    ).first()
    thread.last_post_id = last.id if last else None
