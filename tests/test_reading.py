"""Reading: members see what is new since they last read, and pages never write to say so.

The thread page tells the server how far the member read with a POST of its own (sent by
harbor.js, or the "Mark as read" button without JavaScript); replying and "Mark board
read" move the marker too. It only ever moves forward.
"""

import re

import pytest
from sqlalchemy import event, select

from forum.extensions import db
from forum.models import Draft, Post, ThreadRead
from forum.services import moderation

from .factories import count, csrf_token, log_in, submit


def read_upto(member, thread) -> int | None:
    return db.session.scalar(
        select(ThreadRead.last_read_number).where(
            ThreadRead.user_id == member.id, ThreadRead.thread_id == thread.id
        )
    )


def row_of(page: str, title: str) -> str:
    """The board's list item for the thread called ``title``."""
    for row in re.findall(r'<li class="thread-row.*?</li>', page, re.DOTALL):
        if f">{title}</a>" in row:
            return row
    raise AssertionError(f"no row for {title!r}")


def test_a_member_sees_the_new_reply_and_is_taken_to_it(client, make):
    board = make.board()
    rosa = make.member("rosa")
    thread = make.thread(board=board, author=make.member("jun"), title="Scan results")
    make.reply(thread, body="Fingers crossed for you.")
    log_in(client, rosa)

    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert "Mark as read" in page, "the no-JavaScript way to say this page was read"
    response = submit(client, f"/t/{thread.id}/read", {"number": "2"})
    assert response.status_code == 302
    assert read_upto(rosa, thread) == 2
    assert "Mark as read" not in client.get(response.headers["Location"]).text
    assert "new" not in row_of(client.get(f"/b/{board.slug}").text, "Scan results")

    reply = make.reply(thread, author=make.member("mae"), body="Sending love.")
    row = row_of(client.get(f"/b/{board.slug}").text, "Scan results")
    assert "1 new" in row
    link = re.search(r'href="([^"]+)">Scan results', row).group(1)
    assert link == f"/t/{thread.id}/unread"
    landing = client.get(link)
    assert landing.headers["Location"] == f"/t/{thread.id}/{thread.slug}?page=1#p{reply.id}"
    shown = client.get(landing.headers["Location"]).text
    assert shown.index("New since you last read") < shown.index("Sending love.")
    assert shown.index("Fingers crossed") < shown.index("New since you last read")


def test_the_read_marker_never_moves_backwards(client, make):
    thread = make.thread()
    for n in range(3):
        make.reply(thread, body=f"Reply {n}")
    rosa = make.member("rosa")
    log_in(client, rosa)
    assert submit(client, f"/t/{thread.id}/read", {"number": "4"}).status_code == 302
    # An old tab reports late: it changes nothing.
    response = client.post(
        f"/t/{thread.id}/read",
        data={"csrf_token": csrf_token(client), "number": "2"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 204
    assert read_upto(rosa, thread) == 4


def test_an_autosave_arriving_after_the_reply_was_sent_does_not_bring_it_back(client, make):
    thread = make.thread()
    rosa = make.member("rosa")
    log_in(client, rosa)
    submit(client, f"/t/{thread.id}/reply", {"body": "See you on Thursday."})
    # The last autosave, sent just before "Post reply", lands after it.
    late = autosave(client, thread_id=str(thread.id), body="See you on Thursday.")
    assert late.status_code == 204
    assert draft_of(rosa) == []
    # Anything new is still kept.
    autosave(client, thread_id=str(thread.id), body="See you on Thursday. And")
    assert draft_of(rosa) == [(thread.id, None, None, "See you on Thursday. And")]


@pytest.mark.parametrize("number", ["", "0", "5", "-1", "abc", "1.5", "9" * 20, "\x00"])
def test_a_read_marker_must_name_a_post_in_the_thread(client, make, number):
    thread = make.thread()
    make.reply(thread)
    rosa = make.member("rosa")
    log_in(client, rosa)
    assert submit(client, f"/t/{thread.id}/read", {"number": number}).status_code == 400
    assert read_upto(rosa, thread) is None


def test_replying_marks_the_thread_read_up_to_ones_own_post(client, make):
    board = make.board()
    thread = make.thread(board=board, title="Hair loss")
    make.reply(thread, body="Cold caps helped me.")
    rosa = make.member("rosa")
    log_in(client, rosa)
    submit(client, f"/t/{thread.id}/reply", {"body": "Thank you, I'll ask about them."})
    assert read_upto(rosa, thread) == 3
    assert "new" not in row_of(client.get(f"/b/{board.slug}").text, "Hair loss")
    submit(client, f"/b/{board.slug}/new", {"title": "My own thread", "body": "Hello."})
    assert "New" not in row_of(client.get(f"/b/{board.slug}").text, "My own thread")


def test_mark_board_read_clears_every_new_marker(client, make):
    board = make.board()
    rosa = make.member("rosa")
    log_in(client, rosa)
    older = make.thread(board=board, title="Older one")
    submit(client, f"/t/{older.id}/read", {"number": "1"})
    make.reply(older, body="A new reply")
    make.thread(board=board, title="Started since Rosa joined")
    page = client.get(f"/b/{board.slug}").text
    assert "1 new" in row_of(page, "Older one")
    assert "New" in row_of(page, "Started since Rosa joined")

    response = submit(client, f"/b/{board.slug}/read")
    assert response.headers["Location"] == f"/b/{board.slug}"
    page = client.get(f"/b/{board.slug}").text
    assert "tag-new" not in page and "marked as read" in page
    assert submit(client, "/b/no-such-board/read").status_code == 404


def test_held_posts_are_not_new_until_approved(client, make, default_gates):
    board = make.board()
    thread = make.thread(board=board, author=make.moderator(), title="Welcome")
    rosa = make.member("rosa")
    log_in(client, rosa)
    submit(client, f"/t/{thread.id}/read", {"number": "1"})
    make.reply(thread, author=make.newcomer("nell"), body="Hello, I'm new")
    assert "new" not in row_of(client.get(f"/b/{board.slug}").text, "Welcome")
    submit(client, f"/b/{board.slug}/read")
    assert read_upto(rosa, thread) == 1, "the held post is not counted as read"
    held = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 2))
    moderation.approve_post(held, make.moderator())
    assert "1 new" in row_of(client.get(f"/b/{board.slug}").text, "Welcome")


def test_threads_from_before_a_member_joined_are_not_new(client, make):
    board = make.board()
    make.thread(board=board, title="An old guide")
    rosa = make.member("rosa")
    log_in(client, rosa)
    assert "tag-new" not in client.get(f"/b/{board.slug}").text


def test_visitors_see_no_markers_and_cannot_mark(client, make):
    board = make.board()
    thread = make.thread(board=board)
    make.reply(thread)
    markers = count(ThreadRead)  # the writers' own, from posting
    page = client.get(f"/b/{board.slug}").text
    assert "tag-new" not in page and "Mark board read" not in page
    assert "Mark as read" not in client.get(f"/t/{thread.id}/{thread.slug}").text
    assert submit(client, f"/t/{thread.id}/read", {"number": "1"}).status_code == 302
    assert submit(client, f"/b/{board.slug}/read").status_code == 302
    assert count(ThreadRead) == markers
    assert (
        client.get(f"/t/{thread.id}/unread")
        .headers["Location"]
        .endswith(f"#p{thread.first_post_id}")
    )


def test_a_member_cannot_mark_a_thread_they_cannot_see(client, make):
    thread = make.thread()
    moderation.set_thread_hidden(thread, make.moderator(), True, "off topic")
    log_in(client, make.member("rosa"))
    assert submit(client, f"/t/{thread.id}/read", {"number": "1"}).status_code == 404
    assert submit(client, "/t/99999/read", {"number": "1"}).status_code == 404
    assert client.get(f"/t/{thread.id}/unread").status_code == 404
    assert count(ThreadRead, ThreadRead.user_id != thread.author_id) == 0


def test_a_read_marker_needs_the_form_token(client, make):
    thread = make.thread()
    rosa = make.member("rosa")
    log_in(client, rosa)
    response = client.post(f"/t/{thread.id}/read", data={"number": "1"})
    assert response.status_code == 400
    assert read_upto(rosa, thread) is None


@pytest.fixture
def writes(app):
    """Every INSERT, UPDATE or DELETE the database is asked to run while this is open."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if re.match(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", statement, re.IGNORECASE):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(db.engine, "before_cursor_execute", listen)


def test_reading_pages_never_writes(client, make, writes):
    board = make.board()
    rosa = make.member("rosa")
    thread = make.thread(board=board, author=make.member("jun"))
    for n in range(3):
        make.reply(thread, body=f"Reply {n}")
    log_in(client, rosa)
    submit(client, f"/t/{thread.id}/reply", {"body": "Half a thought", "preview": "y"})
    submit(client, f"/b/{board.slug}/new", {"title": "Draft", "body": "Words", "preview": "y"})
    make.reply(thread, body="Something new")
    writes.clear()
    for path in (
        "/",
        f"/b/{board.slug}",
        f"/b/{board.slug}/new",
        f"/t/{thread.id}/{thread.slug}",
        f"/t/{thread.id}/unread",
        f"/p/{thread.first_post_id}",
        "/u/rosa",
        "/search?q=Reply",
    ):
        assert client.get(path).status_code in (200, 302), path
    assert writes == []
    assert read_upto(rosa, thread) is None, "reading the pages set no marker"
    assert len(db.session.scalars(select(Draft)).all()) == 2


# harbor.js: drafts kept while typing, quotes without a reload, and no inline script


def draft_of(member) -> list[tuple]:
    return db.session.execute(
        select(Draft.thread_id, Draft.board_id, Draft.title, Draft.body)
        .where(Draft.user_id == member.id)
        .order_by(Draft.id)
    ).all()


def autosave(client, **fields):
    return client.post(
        "/drafts/save",
        data={"csrf_token": csrf_token(client), **fields},
        headers={"X-Requested-With": "fetch"},
    )


def test_typing_keeps_a_draft_that_the_form_brings_back(client, make):
    board = make.board()
    thread = make.thread(board=board)
    rosa = make.member("rosa")
    log_in(client, rosa)
    assert autosave(client, thread_id=str(thread.id), body="I was going to say").status_code == 204
    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert "I was going to say</textarea>" in page
    assert autosave(client, thread_id=str(thread.id), body="I was going to say more").status_code
    assert autosave(client, board_slug=board.slug, title="Scans", body="").status_code == 204
    assert draft_of(rosa) == [
        (thread.id, None, None, "I was going to say more"),
        (None, board.id, "Scans", ""),
    ]
    assert 'value="Scans"' in client.get(f"/b/{board.slug}/new").text

    # Emptying the box forgets the draft.
    assert autosave(client, thread_id=str(thread.id), body="  \n ").status_code == 204
    assert autosave(client, board_slug=board.slug, title=" ", body="").status_code == 204
    assert draft_of(rosa) == []

    # Sending still clears it.
    autosave(client, thread_id=str(thread.id), body="Thinking of you")
    submit(client, f"/t/{thread.id}/reply", {"body": "Thinking of you"})
    assert draft_of(rosa) == []


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"thread_id": "{thread}", "body": "a\x00b"}, 400),
        ({"board_slug": "{board}", "title": "x\x00", "body": "Hi"}, 400),
        ({"thread_id": "{thread}", "body": "x" * 20_001}, 400),
        ({"board_slug": "{board}", "title": "t" * 151, "body": "Hi"}, 400),
        ({"body": "Where does this go?"}, 400),
        ({"thread_id": "{thread}", "board_slug": "{board}", "body": "Both?"}, 400),
        ({"thread_id": "abc", "body": "Hi"}, 400),
        ({"thread_id": "9" * 30, "body": "Hi"}, 400),
        ({"thread_id": "99999", "body": "Hi"}, 404),
        ({"thread_id": "{hidden}", "body": "Hi"}, 404),
        ({"thread_id": "{locked}", "body": "Hi"}, 403),
        ({"board_slug": "no-such-board", "body": "Hi"}, 404),
        ({"board_slug": "a\x00", "body": "Hi"}, 400),
    ],
)
def test_autosave_refuses_what_the_forms_refuse(client, make, fields, status):
    board = make.board()
    thread = make.thread(board=board)
    hidden = make.thread(board=board)
    moderation.set_thread_hidden(hidden, make.moderator(), True, "off topic")
    locked = make.thread(board=board)
    locked.is_locked = True
    db.session.commit()
    rosa = make.member("rosa")
    log_in(client, rosa)
    names = {"thread": thread.id, "board": board.slug, "hidden": hidden.id, "locked": locked.id}
    filled = {name: value.format(**names) for name, value in fields.items()}
    assert autosave(client, **filled).status_code == status
    assert draft_of(rosa) == []


def test_autosave_needs_the_form_token_and_a_member(client, make):
    thread = make.thread()
    response = client.post("/drafts/save", data={"thread_id": str(thread.id), "body": "Hi"})
    assert response.status_code == 400
    assert autosave(client, thread_id=str(thread.id), body="Hi").status_code == 401
    log_in(client, make.member("rosa"))
    response = client.post("/drafts/save", data={"thread_id": str(thread.id), "body": "Hi"})
    assert response.status_code == 400
    assert count(Draft) == 0


def test_quote_gives_the_words_the_reply_box_gets(client, make):
    thread = make.thread(author=make.member("jun"), body="Short walks.\n\nNaps too.")
    log_in(client, make.member("rosa"))
    response = client.get(f"/p/{thread.first_post_id}/quote")
    assert response.json == {"text": "@jun wrote:\n> Short walks.\n>\n> Naps too.\n\n"}
    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert f'data-quote="/p/{thread.first_post_id}/quote"' in page
    moderation.hide_post(
        db.session.get(Post, thread.first_post_id), make.moderator(), moderation.ReportReason.OTHER
    )
    assert client.get(f"/p/{thread.first_post_id}/quote").status_code == 404


def test_pages_load_our_script_and_carry_no_inline_script(client, make):
    board = make.board()
    thread = make.thread(board=board)
    make.reply(thread)

    def check(paths):
        for path in paths:
            page = client.get(path).text
            # The script's name carries a hash of its contents (forum/assets.py).
            assert re.search(r'<script src="/static/harbor\.[0-9a-f]{10}\.js" defer>', page), path
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
            assert not re.search(r"\son[a-z]+\s*=", page, re.IGNORECASE), path
            assert "javascript:" not in page, path

    check(["/", f"/b/{board.slug}", f"/t/{thread.id}/{thread.slug}", "/login", "/search"])
    log_in(client, make.moderator("mo"))
    check(["/", f"/b/{board.slug}", f"/t/{thread.id}/{thread.slug}", f"/b/{board.slug}/new",
           "/u/mo", "/settings", "/bookmarks", "/notifications", "/mod"])  # fmt: skip
    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert 'data-draft-thread="' in page and 'aria-live="polite"' in page
    assert "data-mark-read" in page


def test_the_script_is_served(client):
    response = client.get("/static/harbor.js")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert "csrf_token" in response.text
    response.close()
