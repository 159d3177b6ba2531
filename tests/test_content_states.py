"""What each reader finds of a thread or a post in every state, on every surface that lists,
counts or links content.

Two tables drive it. For each thread state and each post state (reached as members and
moderators reach them, with the default gates), and each kind of reader, every surface
either shows the thing or does not, as the rule below says. A new state fails until it has
a way to be built here; a new page fails until it is named a surface or said not to list
what members wrote (``test_every_page_is_a_surface_or_lists_nothing_members_wrote``).
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    Board,
    EmailFrequency,
    Notification,
    Post,
    PostState,
    ReportReason,
    Thread,
    ThreadState,
)
from forum.services import community, moderation, posting, reading

from .factories import example_paths, log_in, submit

ROLES = ("visitor", "member", "author", "moderator", "admin")
STAFF = {"moderator", "admin"}
TITLE_WORD = "Marigold"  # in the thread's title, where a list would show it
BODY_WORD = "quillwort"  # in the words of the post whose state changes


@dataclass
class World:
    board: Board
    thread: Thread  # the thread that holds the post (after a merge, the one it joined)
    post: Post
    listed: Thread  # the thread whose title a list would show
    viewer: object | None


def _author(make, newcomer: bool):
    if newcomer:
        return make.newcomer("rosa", confirmed=True)
    return make.earn_trust(make.member("rosa"))


def _other_thread(make, board, title="An older thread", body="Hello all."):
    return make.thread(board=board, author=make.moderator(), title=title, body=body)


# Thread states: how to leave a thread titled TITLE_WORD in each.


def thread_visible(make, board, mod):
    return _start(make, board, newcomer=False)


def thread_held(make, board, mod):
    return _start(make, board, newcomer=True)


def thread_hidden(make, board, mod):
    thread, post = _start(make, board, newcomer=False)
    moderation.set_thread_hidden(thread, mod, True, "Off topic")
    return thread, post


def thread_opening_post_hidden(make, board, mod):
    thread, post = _start(make, board, newcomer=False)
    moderation.hide_post(post, mod, ReportReason.SPAM, "Selling a cure")
    return thread, post


def thread_rejected(make, board, mod):
    thread, post = _start(make, board, newcomer=True)
    moderation.reject_post(post, mod, "Please introduce yourself on the welcome board.")
    return thread, post


def thread_merged(make, board, mod):
    thread, post = _start(make, board, newcomer=False)
    into = _other_thread(make, board, title="Where we all talk", body="Welcome")
    moderation.merge_threads(thread, into, mod, "Same topic")
    return thread, post


def _start(make, board, newcomer: bool):
    author = _author(make, newcomer)
    post = posting.start_thread(
        board, author, f"{TITLE_WORD} lanterns for scan day", f"The {BODY_WORD} by the door."
    )
    return db.session.get(Thread, post.thread_id), post


THREAD_STATES = {
    ThreadState.VISIBLE: thread_visible,
    ThreadState.HELD: thread_held,
    ThreadState.HIDDEN: thread_hidden,
    "opening post hidden": thread_opening_post_hidden,
    "rejected": thread_rejected,
    ThreadState.MERGED: thread_merged,
}


# Post states: a reply by rosa in a visible thread titled TITLE_WORD, which the viewer
# watches and has read up to its opening post.


def _reply(make, thread, newcomer: bool, anonymous: bool = False):
    return posting.reply(
        thread, _author(make, newcomer), f"The {BODY_WORD} by the door.", anonymous=anonymous
    )


def reply_visible(make, thread, mod):
    return _reply(make, thread, newcomer=False)


def reply_held(make, thread, mod):
    return _reply(make, thread, newcomer=True)


def reply_hidden(make, thread, mod):
    post = _reply(make, thread, newcomer=False)
    moderation.hide_post(post, mod, ReportReason.MISINFORMATION, "Unproven cure")
    return post


def reply_deleted(make, thread, mod):
    post = _reply(make, thread, newcomer=False)
    posting.delete_post(post)
    return post


def reply_rejected(make, thread, mod):
    post = _reply(make, thread, newcomer=True)
    moderation.reject_post(post, mod, "Advertising")
    return post


def reply_anonymous(make, thread, mod):
    board = db.session.get(Board, thread.board_id)
    board.allows_anonymous = True
    db.session.commit()
    return _reply(make, thread, newcomer=False, anonymous=True)


POST_STATES = {
    PostState.VISIBLE: reply_visible,
    PostState.HELD: reply_held,
    PostState.HIDDEN: reply_hidden,
    PostState.DELETED: reply_deleted,
    PostState.REJECTED: reply_rejected,
    "anonymous": reply_anonymous,
}

# Who may read the words (or the thread) in each state: the rule the tables check against.
EVERYONE = set(ROLES)
AUTHOR_AND_STAFF = {"author", *STAFF}
READERS = {
    ThreadState.VISIBLE: EVERYONE,
    ThreadState.HELD: AUTHOR_AND_STAFF,
    ThreadState.HIDDEN: AUTHOR_AND_STAFF,
    "opening post hidden": AUTHOR_AND_STAFF,
    "rejected": AUTHOR_AND_STAFF,
    ThreadState.MERGED: set(),  # its address leads to the thread it joined
    PostState.VISIBLE: EVERYONE,
    PostState.HELD: AUTHOR_AND_STAFF,
    PostState.HIDDEN: AUTHOR_AND_STAFF,
    PostState.DELETED: set(),
    PostState.REJECTED: AUTHOR_AND_STAFF,
    "anonymous": EVERYONE,
}
# Shown to everyone who may read the board: what lists, counts, feeds and search carry.
PUBLIC = {ThreadState.VISIBLE, PostState.VISIBLE, "anonymous"}
# Public once, then taken down or moved: who was told about it then.
ONCE_PUBLIC = PUBLIC | {ThreadState.HIDDEN, "opening post hidden", ThreadState.MERGED,
                        PostState.HIDDEN, PostState.DELETED}  # fmt: skip


def build_world(make, client, state, role: str, monkeypatch) -> World:
    """The viewer watches the board, and wants every email. An older thread fills page 2
    of the board (one thread a page), so that a thread hidden from the viewer leaves
    page 1 to it and page 2 must not exist."""
    monkeypatch.setitem(client.application.config, "THREADS_PER_PAGE", 1)
    board = make.board(slug="quiet-room", name="The quiet room")
    mod = make.moderator("mona")
    _other_thread(make, board, title="An older thread")
    viewer = {
        "visitor": lambda: None,
        "member": lambda: make.member("viewer"),
        "author": lambda: None,  # rosa herself, once she exists
        "moderator": lambda: make.moderator("viewer"),
        "admin": lambda: make.admin("viewer"),
    }[role]()
    if viewer is not None:
        viewer.email_frequency = EmailFrequency.EVERY_EVENT
        community.set_board_watch(board, viewer, watching=True)
    if state in THREAD_STATES:
        thread, post = THREAD_STATES[state](make, board, mod)
    else:
        thread = _other_thread(make, board, title=f"{TITLE_WORD} lanterns for scan day")
        if viewer is not None:
            community.set_thread_watch(thread, viewer, watching=True)
            reading.note_read_upto(viewer, thread, 1)
            db.session.commit()
        post = POST_STATES[state](make, thread, mod)
    db.session.refresh(post)
    if role == "author":
        viewer = db.session.get(type(mod), post.author_id)
    if viewer is not None:
        log_in(client, viewer)
    return World(board, db.session.get(Thread, post.thread_id), post, thread, viewer)


def shown(response, text: str = TITLE_WORD) -> bool:
    return response.status_code == 200 and text in response.text


def on_board_page(client, world: World, number: int) -> bool:
    page = client.get(f"/b/{world.board.slug}?page={number}")
    return shown(page) and f"/t/{world.listed.id}/" in page.text


def notified(client, world: World) -> bool:
    """The viewer's notifications page tells of someone's new post (and the unread count
    beside it agrees with what is listed)."""
    if world.viewer is None:
        return False
    rows = db.session.scalars(
        select(Notification).where(
            Notification.user_id == world.viewer.id,
            Notification.post_id == world.post.id,
            Notification.kind.in_(["new-thread", "reply", "mention", "quote"]),
        )
    ).all()
    viewer = db.session.get(type(world.viewer), world.viewer.id)
    unread = db.session.scalars(
        select(Notification).where(
            Notification.user_id == viewer.id, Notification.read_at.is_(None)
        )
    ).all()
    assert viewer.unread_notifications == len(unread)
    page = client.get("/notifications").text
    listed = [row for row in rows if f"/notifications/{row.id}/open" in page]
    return bool(listed)


# Each surface: which readers find it there. "readers": those READERS allows; "public":
# every reader, only while it is public; "named": the same, but never under the author's
# name when anonymous; "new": members other than the author, while it is public; "others":
# members other than the author who were told while it was public and may still read it.
def other_visible_threads(world: World) -> int:
    """How many threads of the board everyone sees, besides the one in question."""
    threads = db.session.scalars(select(Thread).where(Thread.board_id == world.board.id))
    return sum(1 for t in threads if t.state is ThreadState.VISIBLE and t.id != world.listed.id)


def counted_on_index(client, world: World) -> bool:
    """Whether the board's thread count on the index includes the thread."""
    card = client.get("/").text.split(world.board.name, 1)[1].split("</li>", 1)[0]
    return f"{other_visible_threads(world) + 1} threads" in card


def counted_in_pages(client, world: World) -> bool:
    """Whether the board's pages (one thread each) make room for the thread."""
    last_page = other_visible_threads(world) + 1
    return client.get(f"/b/{world.board.slug}?page={last_page}").status_code == 200


THREAD_SURFACES = {
    "board page lists it": ("readers", lambda c, w: on_board_page(c, w, 1)),
    "board pages make room for it": ("readers", counted_in_pages),
    "index counts it": ("public", counted_on_index),
    "thread page": ("readers", lambda c, w: shows_thread(c, w)),
    "author's profile": ("public", lambda c, w: shown(c.get("/u/rosa"))),
    "board feed": ("public", lambda c, w: shown(c.get(f"/b/{w.board.slug}/feed.atom"))),
    "search by title": (
        "public",
        lambda c, w: f"{TITLE_WORD} lanterns" in c.get(f"/search?q={TITLE_WORD}").text,
    ),
    "notification of the new thread": ("others", notified),
}
POST_SURFACES = {
    "thread page shows the words": (
        "readers",
        lambda c, w: shown(c.get(f"/t/{w.thread.id}", follow_redirects=True), BODY_WORD),
    ),
    "post link shows the words": (
        "readers",
        lambda c, w: shown(c.get(f"/p/{w.post.id}", follow_redirects=True), BODY_WORD),
    ),
    "quote gives the words": (
        "readers",
        lambda c, w: shown(c.get(f"/p/{w.post.id}/quote"), BODY_WORD),
    ),
    "search finds the words": (
        "public",
        lambda c, w: f"/p/{w.post.id}" in c.get(f"/search?q={BODY_WORD}").text,
    ),
    "thread feed": (
        "public",
        lambda c, w: shown(c.get(f"/t/{w.thread.id}/feed.atom"), BODY_WORD),
    ),
    "author's profile": ("named", lambda c, w: shown(c.get("/u/rosa"), f'href="/p/{w.post.id}"')),
    "counted new on the board": (
        "new",
        lambda c, w: "1 new" in board_row(c.get(f"/b/{w.board.slug}").text, TITLE_WORD),
    ),
    "notification of the reply": ("others", notified),
}


def shows_thread(client, world: World) -> bool:
    page = client.get(f"/t/{world.listed.id}", follow_redirects=True)
    return shown(page, BODY_WORD) and shown(page, TITLE_WORD)


def expected(audience: str, state, role: str) -> bool:
    public = state in PUBLIC
    if audience == "readers":
        return role in READERS[state]
    if audience == "public":
        return public
    if audience == "named":
        return public and state != "anonymous"
    if audience == "new":
        return public and role not in ("visitor", "author")
    assert audience == "others"
    # Members other than the author were told while it was public; they keep the notice
    # while they may still read it (a merged thread's words live on in the one it joined).
    told = state in ONCE_PUBLIC and role not in ("visitor", "author")
    return told and (role in READERS[state] or state is ThreadState.MERGED)


def check(client, make, monkeypatch, state, role, surfaces):
    world = build_world(make, client, state, role, monkeypatch)
    found = {name: bool(look(client, world)) for name, (_, look) in surfaces.items()}
    wanted = {name: expected(audience, state, role) for name, (audience, _) in surfaces.items()}
    assert found == wanted


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", list(THREAD_STATES), ids=str)
def test_each_surface_shows_a_thread_in_each_state_to_exactly_its_readers(
    client, make, default_gates, monkeypatch, state, role
):
    check(client, make, monkeypatch, state, role, THREAD_SURFACES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", list(POST_STATES), ids=str)
def test_each_surface_shows_a_post_in_each_state_to_exactly_its_readers(
    client, make, default_gates, monkeypatch, state, role
):
    check(client, make, monkeypatch, state, role, POST_SURFACES)


def test_every_state_has_a_way_to_be_built():
    assert set(ThreadState) <= set(THREAD_STATES), "build the new thread state above"
    assert set(PostState) <= set(POST_STATES), "build the new post state above"
    assert set(THREAD_STATES) | set(POST_STATES) == set(READERS)


# Pages that show what members wrote, and so appear above (or in tests/test_visibility.py,
# which checks who may read each board); and pages that list nothing members wrote.
SURFACE_PAGES = {
    "boards.index", "boards.board", "threads.thread", "threads.post", "threads.quote",
    "threads.first_unread", "threads.reactions", "feeds.board", "feeds.thread",
    "search.search", "users.profile", "users.notifications", "users.bookmarks",
}  # fmt: skip
LISTS_NOTHING_MEMBERS_WROTE = {
    # Forms, accounts and the site's own pages.
    "auth.login", "auth.register", "auth.request_reset", "auth.reset_password",
    "auth.confirm_email", "users.settings", "users.blocked", "users.delete_account",
    "users.unsubscribe", "users.mentors", "boards.robots", "health.healthz", "static",
    "threads.new_thread",
    # A member's own words, to themselves: the export and the forms for their own post.
    "users.export", "users.export_download", "threads.edit_post", "threads.delete_post",
    "threads.report",
    # Private messages: only ever their members (tests/test_messages.py).
    "messages.index", "messages.conversation", "messages.new", "messages.report",
    # Staff pages, behind the moderators' guard: staff may read every state.
    "moderation.home", "moderation.boards", "moderation.crisis_protocol",
    "moderation.edit_crisis_protocol", "moderation.log", "moderation.moderate_post",
    "moderation.edit_post", "moderation.post_history", "moderation.queue",
    "moderation.reports", "moderation.split", "moderation.member", "moderation.words",
}  # fmt: skip


def test_every_page_is_a_surface_or_lists_nothing_members_wrote(app):
    values = {"slug": "x", "thread_id": 1, "post_id": 1, "username": "x", "token": "x",
              "conversation_id": 1, "message_id": 1, "filename": "x"}  # fmt: skip
    pages = {rule.endpoint for rule, _ in example_paths(app, values, {"GET"})}
    unclassified = pages - SURFACE_PAGES - LISTS_NOTHING_MEMBERS_WROTE
    assert not unclassified, f"add {sorted(unclassified)} to a surface table, or say why not"
    assert not SURFACE_PAGES & LISTS_NOTHING_MEMBERS_WROTE


def test_authors_see_their_waiting_thread_marked_and_staff_see_held_and_hidden_marked(
    client, make, default_gates, monkeypatch
):
    board = make.board(slug="quiet-room", name="The quiet room")
    rosa = make.newcomer("rosa", confirmed=True)
    held = posting.start_thread(board, rosa, f"{TITLE_WORD} and waiting", "Hello")
    hidden_thread = _other_thread(make, board, title="Gone for now")
    moderation.set_thread_hidden(hidden_thread, make.moderator("mona"), True, "Spam")

    log_in(client, rosa)
    row = board_row(client.get("/b/quiet-room").text, TITLE_WORD)
    assert "Waiting for a moderator" in row
    submit(client, "/logout")
    log_in(client, make.moderator("mo"))
    page = client.get("/b/quiet-room").text
    assert "Waiting for a moderator" in board_row(page, TITLE_WORD)
    assert "Hidden" in board_row(page, "Gone for now")
    assert db.session.get(Thread, held.thread_id).state is ThreadState.HELD


def board_row(page: str, title: str) -> str:
    """The board-page row of the thread whose title contains ``title``."""
    for row in page.split('<li class="thread-row')[1:]:
        if title in row:
            return row.split("</li>", 1)[0]
    raise AssertionError(f"no row for {title!r}")
