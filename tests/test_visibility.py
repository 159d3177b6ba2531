"""Who can read a board, on every page and in every message a post can reach them by.

One table drives it: for each board visibility and each kind of reader, every surface
either shows the thread or does not, exactly as policy.can_read_board says.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    BoardVisibility,
    EmailFrequency,
    Notification,
    OutboxEmail,
    ReactionKind,
    Thread,
)
from forum.services import community, posting, seeding

from .factories import count, log_in, submit

PUBLIC, MEMBERS, STAFF = BoardVisibility.PUBLIC, BoardVisibility.MEMBERS, BoardVisibility.STAFF
ROLES = ["visitor", "member", "moderator", "admin"]
# Who may read each kind of board: the table the whole file checks against.
READERS = {
    PUBLIC: {"visitor", "member", "moderator", "admin"},
    MEMBERS: {"member", "moderator", "admin"},
    STAFF: {"moderator", "admin"},
}
SEED = Path(__file__).resolve().parent.parent / "seed"
TITLE = "Marigold lanterns for the scan results"


@dataclass
class World:
    board: object
    thread: Thread
    post: object
    viewer: object | None


def build_world(make, client, visibility: BoardVisibility, role: str) -> World:
    """A thread by rosa on a board that starts public: the viewer watches it, bookmarked
    its first post, and kim sent support. Then the board becomes ``visibility`` and kim
    replies, which is what the viewer may or may not hear about."""
    board = make.board(slug="quiet-room", name="The quiet room")
    rosa = make.member("rosa")
    viewer = None
    if role != "visitor":
        viewer = {"member": make.member, "moderator": make.moderator, "admin": make.admin}[role](
            "viewer"
        )
        viewer.email_frequency = EmailFrequency.EVERY_EVENT
        db.session.commit()
    thread = make.thread(board=board, author=rosa, title=TITLE, body="Marigold lanterns helped.")
    post = db.session.get(posting.Post, thread.first_post_id)
    kim = make.member("kim")
    community.toggle_reaction(post, kim, ReactionKind.LOVE)
    if viewer is not None:
        community.set_thread_watch(thread, viewer, watching=True)
        community.toggle_bookmark(post, viewer)
    board.visibility = visibility
    db.session.commit()
    make.reply(db.session.get(Thread, thread.id), author=kim, body="Thinking of you today.")
    if viewer is not None:
        log_in(client, viewer)
    return World(board, db.session.get(Thread, thread.id), post, viewer)


def shown(response, text: str = TITLE) -> bool:
    return response.status_code == 200 and text in response.text


def redirects_to_thread(response, world: World) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith(f"/t/{world.thread.id}/")


def notified(world: World) -> bool:
    viewer = world.viewer
    return viewer is not None and count(Notification, Notification.user_id == viewer.id) == 1


def emailed(world: World) -> bool:
    viewer = world.viewer
    return viewer is not None and count(
        OutboxEmail, OutboxEmail.user_id == viewer.id, OutboxEmail.kind == "notification"
    ) == 1  # fmt: skip


def draft_saved(client, **where) -> bool:
    return submit(client, "/drafts/save", {**where, "body": "Hi"}).status_code == 204


# Each surface: how to look, and which readers should find the thread there: "readers"
# (whoever may read the board), "members" (readers with an account: their own lists and
# messages), or "feeds" (programs without a login: public boards only).
SURFACES = {
    "index lists the board": ("readers", lambda c, w: shown(c.get("/"), w.board.name)),
    "board page": ("readers", lambda c, w: shown(c.get(f"/b/{w.board.slug}"))),
    "thread page": ("readers", lambda c, w: shown(c.get(f"/t/{w.thread.id}/{w.thread.slug}"))),
    "post link": ("readers", lambda c, w: redirects_to_thread(c.get(f"/p/{w.post.id}"), w)),
    "first unread": (
        "readers",
        lambda c, w: redirects_to_thread(c.get(f"/t/{w.thread.id}/unread"), w),
    ),
    "quote text": (
        "readers",
        lambda c, w: shown(c.get(f"/p/{w.post.id}/quote"), "Marigold lanterns"),
    ),
    "who sent support": (
        "readers",
        lambda c, w: shown(c.get(f"/p/{w.post.id}/reactions"), "kim"),
    ),
    "search results": ("readers", lambda c, w: shown(c.get("/search?q=marigold"))),
    "search by board": (
        "readers",
        lambda c, w: shown(c.get(f"/search?q=marigold&board={w.board.slug}")),
    ),
    "search board filter": (
        "readers",
        lambda c, w: shown(c.get("/search"), f'value="{w.board.slug}"'),
    ),
    "profile lists the thread": ("readers", lambda c, w: shown(c.get("/u/rosa"))),
    "profile lists the post": (
        "readers",
        lambda c, w: shown(c.get("/u/rosa"), f'href="/p/{w.post.id}"'),
    ),
    "board feed": ("feeds", lambda c, w: shown(c.get(f"/b/{w.board.slug}/feed.atom"))),
    "thread feed": ("feeds", lambda c, w: shown(c.get(f"/t/{w.thread.id}/feed.atom"))),
    "notification of the reply": ("members", lambda c, w: notified(w)),
    "email of the reply": ("members", lambda c, w: emailed(w)),
    "bookmarks": ("members", lambda c, w: shown(c.get("/bookmarks"))),
    "reply draft saved": ("members", lambda c, w: draft_saved(c, thread_id=w.thread.id)),
    "thread draft saved": ("members", lambda c, w: draft_saved(c, board_slug=w.board.slug)),
    "report page": (
        "members",
        lambda c, w: shown(c.get(f"/p/{w.post.id}/report"), "Report a post"),
    ),
}


def expected(audience: str, visibility: BoardVisibility, role: str) -> bool:
    if audience == "feeds":
        return visibility is PUBLIC
    may_read = role in READERS[visibility]
    return may_read if audience == "readers" else may_read and role != "visitor"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", [PUBLIC, MEMBERS, STAFF], ids=lambda v: v.value)
def test_every_surface_shows_a_thread_exactly_to_those_who_may_read_its_board(
    client, make, visibility, role
):
    world = build_world(make, client, visibility, role)
    found = {name: bool(look(client, world)) for name, (_, look) in SURFACES.items()}
    wanted = {
        name: expected(audience, visibility, role) for name, (audience, _) in SURFACES.items()
    }
    assert found == wanted


def test_a_visitor_at_a_members_board_is_asked_kindly_to_log_in(client, make):
    world = build_world(make, client, MEMBERS, "visitor")
    for path in (f"/b/{world.board.slug}", f"/t/{world.thread.id}/{world.thread.slug}",
                 f"/p/{world.post.id}", f"/t/{world.thread.id}/unread"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
        page = client.get(response.headers["Location"]).text
        assert "for members only" in page and TITLE not in page
    # After logging in, the member is taken back to the board.
    member = make.member("jun")
    response = submit(client, f"/login?next=/b/{world.board.slug}",
                      {"username": member.username, "password": "a calm harbour at dusk",
                       "next": f"/b/{world.board.slug}"})  # fmt: skip
    assert response.headers["Location"] == f"/b/{world.board.slug}"


def test_a_member_at_a_staff_board_finds_nothing_there(client, make):
    world = build_world(make, client, STAFF, "member")
    for path in (f"/b/{world.board.slug}", f"/t/{world.thread.id}/{world.thread.slug}",
                 f"/b/{world.board.slug}/new"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert submit(client, f"/t/{world.thread.id}/reply", {"body": "Hello"}).status_code == 409
    assert submit(client, f"/p/{world.post.id}/react", {"kind": "love"}).status_code == 404


def test_members_boards_and_profiles_are_kept_from_search_engines(client, make):
    public = make.board(slug="open")
    quiet = make.board(slug="quiet")
    quiet.noindex = True
    members = make.board(slug="members-room")
    members.visibility = MEMBERS
    staff = make.board(slug="moderators-lounge")
    staff.visibility, staff.noindex = STAFF, True
    db.session.commit()
    thread = make.thread(board=quiet, author=make.member("rosa"))
    noindex = '<meta name="robots" content="noindex">'
    assert noindex not in client.get(f"/b/{public.slug}").text
    for path in (f"/b/{quiet.slug}", f"/t/{thread.id}/{thread.slug}", "/u/rosa"):
        response = client.get(path)
        assert noindex in response.text, path
        assert response.headers["X-Robots-Tag"] == "noindex", path
    # A feed would be one more way in: a board kept from search engines has none, nor
    # have its threads.
    assert client.get(f"/b/{quiet.slug}/feed.atom").status_code == 404
    assert client.get(f"/t/{thread.id}/feed.atom").status_code == 404
    assert "application/atom+xml" not in client.get(f"/t/{thread.id}/{thread.slug}").text
    assert client.get(f"/b/{public.slug}/feed.atom").status_code == 200
    robots = client.get("/robots.txt")
    assert robots.headers["Content-Type"].startswith("text/plain")
    disallowed = {line.split(": ", 1)[1] for line in robots.text.splitlines() if "Disallow" in line}
    assert disallowed == {
        "/b/quiet", "/b/members-room", "/u/", "/messages", "/mod", "/settings", "/search",
        "/notifications",
    }  # fmt: skip


def test_the_seeded_members_boards_are_listed_only_to_members(client, make):
    seeding.seed(SEED)
    index = client.get("/").text
    assert "Caregivers, family and friends" not in index and "In memory" not in index
    assert "Welcome &amp; community guidelines" in index
    log_in(client, make.member("jun"))
    index = client.get("/").text
    assert "Caregivers, family and friends" in index and "In memory" in index


def test_an_admin_changes_who_reads_a_board_and_each_change_is_logged(client, make):
    from forum.models import ModerationLog

    board = make.board(slug="quiet")
    log_in(client, make.admin())
    submit(client, "/mod/boards/quiet", {"visibility": "members", "noindex": "y",
                                         "allows_anonymous": "y", "reason": "Privacy"})  # fmt: skip
    db.session.refresh(board)
    assert (board.visibility, board.noindex, board.allows_anonymous) == (MEMBERS, True, True)
    rows = db.session.scalars(select(ModerationLog).order_by(ModerationLog.id)).all()
    assert [(row.action, row.reason) for row in rows] == [
        ("board-visibility", "Privacy"), ("board-noindex", "Privacy"),
        ("board-anonymous", "Privacy"),
    ]  # fmt: skip
    assert rows[0].details == {"board": "quiet", "visibility": ["public", "members"]}
    # Saving again without changes writes nothing more.
    submit(client, "/mod/boards/quiet", {"visibility": "members", "noindex": "y",
                                         "allows_anonymous": "y"})  # fmt: skip
    assert count(ModerationLog) == 3
