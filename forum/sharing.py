"""What a public page says about itself to search engines and to the apps that preview a
shared link: ``<meta name="description">`` and OpenGraph's title, description, type and
address, filled in by base.html from a ``Summary``.

Only pages that anyone may read and that search engines may list have one: never a
members' or staff board, a board kept from search engines, or a thread that waits for a
moderator or was hidden. The words come from what every visitor sees, never from who is
reading, so a kept page (forum/page_cache.py) carries the right tags for everyone. There
is no image: a picture from another site would tell that site who is reading.
"""

from dataclasses import dataclass

from flask import current_app, url_for

from . import policy
from .addresses import absolute
from .markup import first_words
from .models import Board, Post, Thread

# What search engines show under a result, give or take.
DESCRIPTION_LENGTH = 160


@dataclass(frozen=True)
class Summary:
    title: str
    description: str
    url: str  # absolute, from HARBOR_BASE_URL: previews are read far from this request
    kind: str = "website"  # og:type


def for_index() -> Summary:
    return Summary(
        title=current_app.config["SITE_NAME"],
        description=current_app.config["SITE_DESCRIPTION"],
        url=absolute(url_for("boards.index")),
    )


def for_board(board: Board, page_number: int = 1) -> Summary | None:
    if policy.is_hidden_from_search_engines(board):
        return None
    return Summary(
        title=board.name,
        description=board_description(board),
        url=absolute(url_for("boards.board", slug=board.slug, page=later(page_number))),
    )


def for_thread(thread: Thread, posts: list[Post], page_number: int = 1) -> Summary | None:
    """The opening post's first words, from the posts on the page (the first page has it).

    A post behind a content note lends none of its words: the note is there so that
    readers choose when to read them, and a preview would show them unasked. Nor does a
    post a moderator removed. Then, as on later pages, the board's description serves.
    """
    if policy.is_hidden_from_search_engines(thread.board) or not thread.is_visible:
        return None
    opening = next((post for post in posts if post.id == thread.first_post_id), None)
    if opening is not None and opening.is_visible and not opening.content_note:
        description = first_words(opening.html, DESCRIPTION_LENGTH)
    else:
        description = board_description(thread.board)
    address = url_for("threads.thread", thread_id=thread.id, slug=thread.slug,
                      page=later(page_number))  # fmt: skip
    return Summary(
        title=thread.title,
        description=description or board_description(thread.board),
        url=absolute(address),
        kind="article",
    )


def board_description(board: Board) -> str:
    return board.description or current_app.config["SITE_DESCRIPTION"]


def later(page_number: int) -> int | None:
    """A page number for an address: none for the first page, which has its own."""
    return page_number if page_number > 1 else None
