"""Starting threads and replying: bad input, locked and missing threads, double submits."""

import re
from html import unescape
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from forum.config import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from forum.extensions import db
from forum.models import Board, Post, PostRevision, Thread, User

from .factories import count, csrf_token, log_in, submit


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "Hello", "Please give your thread a title."),
        ("   \t ", "Hello", "Please give your thread a title."),
        ("\u200b\u200b", "Hello", "Please give your thread a title."),
        ("Hello", "", "Please write something before sending."),
        ("Hello", " \n\n \t", "Please write something before sending."),
        ("Hello", "\u200b\ufeff", "Please write something before sending."),
        ("x" * (TITLE_MAX_LENGTH + 1), "Hello", f"up to {TITLE_MAX_LENGTH} characters"),
        ("Hello", "x" * (BODY_MAX_LENGTH + 1), "Posts can be up to 20,000 characters"),
        ("Hel\x00lo", "Hello", "null"),
        ("Hello", "He\x00llo", "null"),
    ],
)
def test_a_new_thread_with_bad_input_is_refused_with_its_words_kept(
    client, make, rosa, title, body, message
):
    board = make.board("treatments")
    response = submit(client, f"/b/{board.slug}/new", {"title": title, "body": body})
    assert response.status_code == 200
    text = unescape(response.text)
    assert message in text
    if body.strip() and "\x00" not in body:
        assert body[:50] in text, "what the member typed is still in the form"
    assert count(Thread) == 0 and count(Post) == 0
    assert db.session.get(Board, board.id).thread_count == 0


def test_titles_and_posts_are_tidied_not_mangled(client, make, rosa):
    board = make.board("treatments")
    title = "  Cafe\u0301   and \u202eevil\u202c chemo  "
    body = "\r\n\r\nFirst line\r\n\r\n    code stays indented\r\n\x07"
    submit(client, f"/b/{board.slug}/new", {"title": title, "body": body})
    thread = db.session.scalar(select(Thread))
    assert thread.title == "Café and evil chemo"
    post = db.session.get(Post, thread.first_post_id)
    assert post.source == "First line\n\n    code stays indented"
    assert "<pre><code>code stays indented" in post.html


def test_odd_unicode_round_trips(client, make, rosa):
    board = make.board("treatments")
    body = "Ça va 💗 — 乳がん — سرطان الثدي — 𝔥𝔢𝔩𝔩𝔬 — e\u0301"
    response = submit(client, f"/b/{board.slug}/new", {"title": "Hola 🌊", "body": body})
    page = client.get(response.headers["Location"])
    assert "Hola 🌊" in page.text
    assert "乳がん" in page.text and "سرطان الثدي" in page.text


def test_raw_html_in_a_post_is_shown_as_text(client, make, rosa):
    thread = make.thread()
    response = submit(client, f"/t/{thread.id}/reply", {"body": "<script>alert(1)</script>"})
    page = client.get(response.headers["Location"]).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_double_submitted_reply_is_posted_once(client, make, rosa):
    thread = make.thread()
    first = submit(client, f"/t/{thread.id}/reply", {"body": "Sending love."})
    second = submit(client, f"/t/{thread.id}/reply", {"body": "Sending love."})
    assert first.headers["Location"] == second.headers["Location"]
    assert "already posted" in unescape(client.get(second.headers["Location"]).text)
    assert count(Post) == 2
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 1


def test_the_same_words_after_others_have_replied_are_a_new_reply(client, make, rosa):
    thread = make.thread()
    submit(client, f"/t/{thread.id}/reply", {"body": "Thank you!"})
    make.reply(thread, body="You're welcome")
    submit(client, f"/t/{thread.id}/reply", {"body": "Thank you!"})
    assert count(Post) == 4


def test_a_double_submitted_thread_is_started_once(client, make, rosa):
    board = make.board()
    data = {"title": "Scan day tomorrow", "body": "Feeling wobbly."}
    first = submit(client, f"/b/{board.slug}/new", data)
    second = submit(client, f"/b/{board.slug}/new", data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Thread) == 1
    db.session.expire_all()
    assert db.session.get(Board, board.id).thread_count == 1


def test_a_reply_to_a_locked_thread_is_refused_and_the_words_kept(client, make, rosa):
    thread = make.thread()
    thread.is_locked = True
    db.session.commit()
    response = submit(client, f"/t/{thread.id}/reply", {"body": "My long careful reply"})
    assert response.status_code == 409
    assert "locked" in response.text and "My long careful reply" in response.text
    assert count(Post) == 1


def test_a_locked_thread_shows_no_reply_form(client, make, rosa):
    thread = make.thread()
    thread.is_locked = True
    db.session.commit()
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "This thread is locked" in page
    assert f'action="/t/{thread.id}/reply"' not in page


def test_a_reply_to_a_missing_thread_is_a_404_that_keeps_the_words(client, rosa):
    response = submit(client, "/t/9999/reply", {"body": "Words worth keeping"})
    assert response.status_code == 404
    assert "no longer exists" in response.text and "Words worth keeping" in response.text


def test_an_empty_reply_is_refused_with_a_message(client, make, rosa):
    thread = make.thread()
    response = submit(client, f"/t/{thread.id}/reply", {"body": "   "})
    assert response.status_code == 200
    assert "Please write something before sending." in response.text
    assert count(Post) == 1


def test_an_oversized_request_gets_a_413_page(client, make, rosa, app):
    thread = make.thread()
    response = submit(client, f"/t/{thread.id}/reply", {"body": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert "more than we can take" in response.text
    assert count(Post) == 1


def test_an_expired_form_gives_the_words_back_to_send_again(client, make, rosa):
    thread = make.thread()
    long_reply = "I have been thinking about what you wrote. " * 40
    response = client.post(
        f"/t/{thread.id}/reply", data={"csrf_token": "expired-token", "body": long_reply}
    )
    assert response.status_code == 400
    assert "press send again" in response.text
    assert long_reply.strip() in unescape(response.text)
    assert count(Post) == 1

    # Sending again from that page, with its fresh token, posts the reply.
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
    again = client.post(f"/t/{thread.id}/reply", data={"csrf_token": token, "body": long_reply})
    assert again.status_code == 302
    assert count(Post) == 2


def test_every_edit_keeps_the_earlier_version(client, make, rosa):
    thread = make.thread(author=rosa, title="Before", body="First words")
    response = submit(
        client, f"/p/{thread.first_post_id}/edit", {"title": "After", "body": "Second words"}
    )
    assert response.status_code == 302
    revision = db.session.scalar(select(PostRevision))
    assert (revision.title, revision.source) == ("Before", "First words")
    db.session.expire_all()
    thread = db.session.get(Thread, thread.id)
    assert thread.title == "After" and thread.slug == "after"


def test_members_cannot_edit_or_delete_someone_elses_post(client, make, rosa):
    thread = make.thread(body="Not Rosa's")
    post_id = thread.first_post_id
    assert client.get(f"/p/{post_id}/edit").status_code == 403
    assert (
        submit(client, f"/p/{post_id}/edit", {"title": "x", "body": "Mine now"}).status_code == 403
    )
    assert submit(client, f"/p/{post_id}/delete").status_code == 403
    assert db.session.get(Post, post_id).source == "Not Rosa's"


def test_counts_and_last_post_stay_exact_through_replies_and_deletes(client, make, rosa):
    board = make.board()
    thread = make.thread(board=board, author=rosa)
    replies = [make.reply(thread, author=rosa, body=f"Reply {n}") for n in range(3)]
    submit(client, f"/p/{replies[-1].id}/delete")
    db.session.expire_all()
    thread = db.session.get(Thread, thread.id)
    board = db.session.get(Board, board.id)
    assert (thread.post_count, thread.reply_count) == (4, 2)
    assert thread.last_post_id == replies[1].id
    assert (board.thread_count, board.post_count, board.last_post_id) == (1, 3, replies[1].id)
    assert db.session.get(User, rosa.id).post_count == 3


def test_a_member_logged_out_while_writing_gets_their_words_back(client, make):
    thread = make.thread()
    member = make.member("rosa")
    log_in(client, member)
    token = csrf_token(client)
    client.post("/logout", data={"csrf_token": token})
    response = client.post(
        f"/t/{thread.id}/reply",
        data={"csrf_token": csrf_token(client), "body": "An hour of careful words"},
        headers={"Referer": f"http://localhost/t/{thread.id}/{thread.slug}"},
    )
    assert response.status_code == 401
    assert "An hour of careful words" in response.text
    assert f"next=/t/{thread.id}/{thread.slug}" in unquote(response.text)
    assert count(Post) == 1


def test_a_double_submitted_delete_says_it_is_done(client, make, rosa):
    reply = make.reply(make.thread(), author=rosa, body="Oops")
    submit(client, f"/p/{reply.id}/delete")
    again = submit(client, f"/p/{reply.id}/delete")
    assert again.status_code == 302
    assert "already deleted" in client.get(again.headers["Location"]).text


def test_a_thread_for_a_board_that_has_gone_keeps_its_words(client, rosa):
    response = submit(client, "/b/no-such-board/new", {"title": "My title", "body": "My words"})
    assert response.status_code == 404
    assert "My title" in response.text and "My words" in response.text
