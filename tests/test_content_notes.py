"""Content notes: authors warn readers of heavy posts, which stay folded until opened."""

from html import unescape

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ModerationLog, Post, User

from .factories import log_in, submit


def latest_post() -> Post:
    return db.session.scalar(select(Post).order_by(Post.id.desc()))


def test_a_suggested_note_folds_the_post_for_readers(client, make, rosa):
    board = make.board("grief")
    response = submit(client, f"/b/{board.slug}/new", {
        "title": "Mum passed on Sunday", "body": "She went peacefully, holding my hand.",
        "content_note_choice": "Grief and loss"})  # fmt: skip
    assert response.status_code == 302
    assert latest_post().content_note == "Grief and loss"

    page = unescape(client.get(response.headers["Location"], follow_redirects=True).text)
    assert '<details class="content-note">' in page
    assert "<summary>Content note: Grief and loss — show post</summary>" in page
    assert page.index("Content note: Grief and loss") < page.index("She went peacefully")


def test_a_note_in_the_authors_own_words_on_a_reply(client, make, rosa):
    thread = make.thread()
    own_words = {"content_note_choice": "other", "content_note_other": "  Talk of hair   loss "}
    submit(client, f"/t/{thread.id}/reply", {"body": "Lost all my hair this week.", **own_words})
    assert latest_post().content_note == "Talk of hair loss"


def test_members_who_choose_so_see_noted_posts_open(client, make, rosa):
    thread = make.thread()
    note = {"content_note_choice": "Scan results"}
    submit(client, f"/t/{thread.id}/reply", {"body": "The scan showed new spots.", **note})
    submit(client, "/settings", {"display_name": "", "story": "", "about": "",
           "email_frequency": "daily", "always_show_noted_posts": "y"})  # fmt: skip
    assert db.session.get(User, rosa.id).always_show_noted_posts
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert '<details class="content-note" open>' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"content_note_choice": "other", "content_note_other": "x" * 61}, "up to 60 characters"),
        ({"content_note_choice": "other", "content_note_other": "Sa\x00d"}, "null"),
        ({"content_note_choice": "other", "content_note_other": "  "}, "write a few words"),
        ({"content_note_choice": "Something invented"}, "Not a valid choice"),
    ],
)
def test_a_bad_note_is_refused_with_everything_typed_kept(client, make, rosa, fields, message):
    thread = make.thread()
    body = "Today was a long day at the infusion centre."
    response = submit(client, f"/t/{thread.id}/reply", {"body": body, **fields})
    page = unescape(response.text)
    assert response.status_code == 200 and message in page
    assert body in page
    if "x" * 61 in fields.get("content_note_other", ""):
        assert "x" * 61 in page
    assert latest_post().number == 1


def test_an_author_changes_their_note_when_editing(client, make, rosa):
    thread = make.thread(author=rosa)
    path = f"/p/{thread.first_post_id}/edit"
    submit(client, path, {"title": thread.title, "body": "Hello all.",
                          "content_note_choice": "End-of-life"})  # fmt: skip
    assert db.session.get(Post, thread.first_post_id).content_note == "End-of-life"
    assert "End-of-life</option>" in client.get(path).text
    submit(client, path, {"title": thread.title, "body": "Hello all.", "content_note_choice": ""})
    assert db.session.get(Post, thread.first_post_id).content_note is None


def test_a_moderator_adds_a_note_and_the_change_is_logged(client, make):
    thread = make.thread(body="Photos of my wound after surgery.")
    log_in(client, make.moderator())
    submit(client, f"/mod/p/{thread.first_post_id}/note",
           {"content_note": "Graphic medical detail", "reason": "Photos"})  # fmt: skip
    post = db.session.get(Post, thread.first_post_id)
    assert post.content_note == "Graphic medical detail"
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "content-note"))
    assert entry.details == {"content_note": [None, "Graphic medical detail"]}
    assert entry.post_id == post.id and entry.reason == "Photos"


def test_feeds_and_search_say_the_note_first(client, make):
    board = make.board("living")
    thread = make.thread(board=board, title="Hospice", body="We moved dad to hospice today.")
    db.session.get(Post, thread.first_post_id).content_note = "End-of-life"
    db.session.commit()
    feed = client.get(f"/b/{board.slug}/feed.atom").text
    assert "<summary>Content note: End-of-life</summary>" in feed
    assert feed.index("Content note: End-of-life") < feed.index("We moved dad")
    results = unescape(client.get("/search?q=hospice").text)
    assert results.index("Content note: End-of-life") < results.index("moved dad")
