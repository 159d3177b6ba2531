from flask import abort, render_template

from .. import models, policy
from ..addresses import absolute_url
from ..models import utcnow
from . import bp

FEED_LENGTH = 30


def atom(title: str, posts, self_url: str, page_url: str):
    updated = max((post.edited_at or post.created_at for post in posts), default=utcnow())
    body = render_template(
        "feed.xml", title=title, posts=posts, self_url=self_url, page_url=page_url,
        updated=updated,
    )  # fmt: skip
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


@bp.get("/b/<slug>/feed.atom")
def board(slug: str):
    board = models.board_by_slug(slug)
    if board is None or not policy.has_feed(board):
        abort(404)
    return atom(
        board.name,
        models.latest_posts(FEED_LENGTH, board=board),
        absolute_url("feeds.board", slug=slug),
        absolute_url("boards.board", slug=slug),
    )


@bp.get("/t/<int:thread_id>/feed.atom")
def thread(thread_id: int):
    thread = models.thread_with_board(thread_id)
    # Feeds are read by programs without a login: only what any visitor may see, so
    # threads on members' and staff boards have none; nor, like their boards, do threads
    # on boards kept from search engines.
    if (
        thread is None
        or not policy.can_see_thread(None, thread)
        or not policy.has_feed(thread.board)
    ):
        abort(404)
    return atom(
        thread.title,
        models.latest_posts(FEED_LENGTH, thread=thread),
        absolute_url("feeds.thread", thread_id=thread.id),
        absolute_url("threads.thread", thread_id=thread.id, slug=thread.slug),
    )
