"""Reading the forum: URLs, pages, 404s, and a fixed number of SQL statements per page."""

import re

import pytest
from sqlalchemy import select

from forum.dialects import is_sqlite
from forum.extensions import db
from forum.models import Board, Thread
from forum.services import reading

from .factories import log_in


def test_a_thread_link_without_its_slug_goes_to_the_canonical_address(client, make):
    thread = make.thread(title="Scanxiety, again")
    response = client.get(f"/t/{thread.id}?page=1")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{thread.id}/scanxiety-again?page=1"
    assert client.get(f"/t/{thread.id}/old-title").headers["Location"] == (
        f"/t/{thread.id}/scanxiety-again"
    )


def test_a_post_link_goes_to_its_page_and_anchor(client, make, app):
    thread = make.thread(title="Long one")
    replies = [make.reply(thread, body=f"Reply {n}") for n in range(25)]
    per_page = app.config["POSTS_PER_PAGE"]
    late = replies[-1]  # post 26: page 2
    response = client.get(f"/p/{late.id}")
    assert response.headers["Location"] == f"/t/{thread.id}/long-one?page=2#p{late.id}"
    assert late.number == 26 and per_page == 20
    page_two = client.get(f"/t/{thread.id}/long-one?page=2").text
    assert "Reply 24" in page_two and "Reply 18" not in page_two
    assert (
        f'action="/t/{thread.id}/reply"' not in client.get(f"/t/{thread.id}/long-one?page=1").text
    ), "the reply form sits under the last page only"


@pytest.mark.parametrize(
    "path",
    [
        "/b/no-such-board",
        "/t/99999",
        "/t/99999/anything",
        "/p/99999",
        "/u/nobody",
        "/b/{board}?page=2",
        "/b/{board}?page=0",
        "/b/{board}?page=abc",
        "/b/{board}?page=99999999999999999999",
        "/t/{thread}/{slug}?page=2",
        "/t/{thread}/{slug}?page=-1",
    ],
)
def test_missing_things_and_pages_past_the_end_are_404_pages_in_the_layout(client, make, path):
    thread = make.thread()
    board = db.session.get(Thread, thread.id).board_id
    slug = db.session.scalar(select(Thread.slug).where(Thread.id == thread.id))
    board_slug = db.session.scalar(select(Thread).where(Thread.id == thread.id)).board.slug \
        if False else _board_slug(board)  # fmt: skip
    response = client.get(path.format(board=board_slug, thread=thread.id, slug=slug))
    assert response.status_code == 404
    assert "We couldn" in response.text and 'class="site-header"' in response.text


def _board_slug(board_id):
    from forum.models import Board

    return db.session.get(Board, board_id).slug


def test_a_profile_shows_recent_posts_but_never_the_email(client, make):
    rosa = make.member("rosa", email="rosa.private@example.org")
    thread = make.thread(author=rosa, title="My first thread")
    make.reply(thread, author=rosa, body="And a reply")
    page = client.get("/u/rosa").text
    assert "My first thread" in page and "2 posts" in page
    assert "Threads started" in page and "1 reply" in page
    assert "rosa.private" not in page


def test_no_page_shows_a_members_email(client, make):
    rosa = make.member("rosa", email="rosa.private@example.org")
    thread = make.thread(author=rosa)
    log_in(client, make.member("jun"))
    for path in ("/", f"/t/{thread.id}", "/u/rosa", "/search?q=Hello"):
        assert "rosa.private" not in client.get(path, follow_redirects=True).text


def test_search_finds_titles_and_posts_and_highlights_the_match(client, make):
    thread = make.thread(title="Fatigue on Kisqali", body="Naps help me most days.")
    make.reply(thread, body="Gentle walks helped my fatigue a lot.")
    page = client.get("/search?q=fatigue").text
    assert "2 posts found" in page
    assert "<mark>fatigue</mark>" in page
    assert "Nothing found" in client.get("/search?q=unrelatedword").text


@pytest.mark.parametrize("query", ["%", "_", "\\", "' OR 1=1 --", "\x00", "a" * 5000])
def test_search_treats_odd_queries_as_plain_text(client, make, query):
    make.thread(title="100% sure", body="Nothing odd here")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_the_index_shows_each_boards_counts_and_latest_post(client, make):
    board = make.board(name="Treatments and side effects")
    thread = make.thread(board=board, title="Hand-foot syndrome tips")
    make.reply(thread, author=make.member("jun"))
    page = client.get("/").text
    assert "Treatments and side effects" in page
    assert "1 thread" in page and "2 posts" in page
    assert "Hand-foot syndrome tips" in page and "jun" in page


def test_a_board_lists_pinned_threads_first_then_latest_activity(client, make):
    board = make.board()
    older = make.thread(board=board, title="Older thread")
    newer = make.thread(board=board, title="Newer thread")
    pinned = make.thread(board=board, title="Pinned guide")
    pinned.is_pinned = True
    db.session.commit()
    make.reply(older, body="Bump")
    page = client.get(f"/b/{board.slug}").text
    positions = [page.index(title) for title in ("Pinned guide", "Older thread", "Newer thread")]
    assert positions == sorted(positions)
    assert newer.id


def test_a_board_pages_through_every_thread_once_in_order(app, client, make, count_statements):
    board = make.board()
    pinned = make.thread(board=board, title="Pinned guide")
    pinned.is_pinned = True
    db.session.commit()
    for n in range(2 * app.config["THREADS_PER_PAGE"] + 4):
        make.thread(board=board, title=f"Thread number {n:03}")
    shown, costs = [], []
    for page in (1, 2, 3):
        with count_statements() as counted:
            text = client.get(f"/b/{board.slug}?page={page}").text
        costs.append(counted.count)
        shown += re.findall(r"Pinned guide|Thread number \d+", text)
    # A later page first finds where it begins along the index: one statement more, and
    # the same for page 3 as for page 2, however far in.
    assert costs[1] == costs[2] == costs[0] + 1
    expected = ["Pinned guide"] + [f"Thread number {n:03}" for n in reversed(range(64))]
    assert shown == expected


def test_an_empty_board_invites_the_first_thread(client, make):
    board = make.board()
    assert "No threads yet" in client.get(f"/b/{board.slug}").text


# The number of SQL statements a page costs must not grow with what is on it.
@pytest.mark.parametrize("as_member", [False, True], ids=["visitor", "member"])
def test_pages_cost_a_fixed_number_of_statements(client, make, count_statements, as_member):
    reader = make.member("reader")
    if as_member:
        log_in(client, reader)
    boards = [make.board() for _ in range(3)]
    thread = make.thread(board=boards[0])
    # Read state present: a marker in this thread, and posts after it to count as new.
    reading.mark_read_upto(reader, thread, 1)

    def costs():
        costs = {}
        for name, path in (
            ("index", "/"),
            ("board", f"/b/{boards[0].slug}"),
            ("thread", f"/t/{thread.id}/{thread.slug}"),
        ):
            with count_statements() as counted:
                assert client.get(path).status_code == 200
            costs[name] = counted.count
        return costs

    small = costs()
    for n in range(19):
        make.reply(thread, author=make.member(), body=f"Reply {n}")
    for board in boards:
        for n in range(5):
            started = make.thread(board=board, author=make.member(), title=f"Thread {n}")
            make.reply(started, author=make.member())
            reading.mark_read_upto(reader, started, 1)
    large = costs()

    assert small == large
    # A thread page: the thread (and whether the reader watches it, their draft and how far
    # they read), its posts, and the reactions to all of them; a member also loads their
    # own row and their bookmarks. A board's threads come with the reader's unread counts.
    # (A visitor's page first reads the page generation straight from the driver, to look
    # for the page ready-made: see tests/test_page_cache.py. It finds none here, since
    # every write above moved the generation on.)
    login = int(as_member)
    assert large == {"index": 1 + login, "board": 2 + login, "thread": 3 + 2 * login}


@pytest.mark.parametrize("role", ["visitor", "member", "moderator"])
def test_page_queries_use_indexes_not_scans_or_sorts(client, make, count_statements, role):
    """Every statement the hot pages run is an indexed search with no sort of its own,
    whoever reads (staff also see held and hidden threads on a board)."""
    if not is_sqlite(db.engine):
        pytest.skip("reads SQLite's query plans")
    as_member = role != "visitor"
    member = make.moderator("reader") if role == "moderator" else make.member("reader")
    thread = make.thread(author=member)
    make.reply(thread, author=member)
    # The member's read markers: one caught up, one with a new post after it.
    other = make.thread(board=db.session.get(Board, thread.board_id), author=make.member())
    reading.mark_read_upto(member, other, 1)
    make.reply(other)
    if as_member:
        log_in(client, member)
    board = db.session.get(Board, thread.board_id)
    for _ in range(board.thread_count, 31):  # enough for a second page
        make.thread(board=board, author=make.member())
    paths = ["/", f"/b/{_board_slug(thread.board_id)}", f"/b/{_board_slug(thread.board_id)}?page=2",
             f"/t/{thread.id}/{thread.slug}",
             f"/t/{other.id}/{other.slug}", f"/t/{other.id}/unread",
             f"/u/{member.username}"]  # fmt: skip
    for path in paths:
        with count_statements() as counted:
            client.get(path)
        for statement, parameters in zip(counted.statements, counted.parameters, strict=True):
            with db.engine.connect() as connection:
                plan = connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                ).all()
            steps = [row[-1] for row in plan]
            assert not any("TEMP B-TREE" in step for step in steps), (path, steps)
            scans = [step for step in steps if step.startswith("SCAN")]
            # Only the index page may read a whole table: the handful of boards.
            assert all(step.startswith("SCAN boards") for step in scans), (path, steps)


def test_form_fields_carry_no_placeholder_attributes(client, make):
    """Nothing like autofocus="None" reaches a page (it would steal focus on phones)."""
    thread = make.thread()
    pages = ["/register", "/login"]
    for path in pages:
        assert '="None"' not in client.get(path).text, path
    log_in(client, make.member())
    for path in (f"/t/{thread.id}/{thread.slug}", f"/b/{_board_slug(thread.board_id)}/new"):
        page = client.get(path).text
        assert '="None"' not in page and "autofocus" not in page, path


def test_a_page_of_several_forms_names_each_id_once(client, make):
    """Settings has four forms, a member's moderation page more: each has its own token and
    its own "reason", and a label must lead to its own field (vnu checks every page too)."""
    admin, rosa = make.admin(), make.member("rosa")
    log_in(client, admin)
    for path in ("/settings", f"/mod/u/{rosa.username}"):
        ids = re.findall(r'\sid="([^"]+)"', client.get(path).text)
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))
