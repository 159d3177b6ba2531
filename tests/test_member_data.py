"""Members own their words: they can download everything they wrote, and delete their
account, taking their personal data with them."""

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select, text

from forum.extensions import db
from forum.models import (
    Board,
    Conversation,
    EmailFrequency,
    ModerationLog,
    Notification,
    OutboxEmail,
    Post,
    PostState,
    ReactionKind,
    Thread,
    ThreadState,
    User,
)
from forum.services import community, doctor, member_data, moderation, posting, searching

from .factories import PASSWORD, log_in, submit

NAME, ADDRESS = "wrenfield", "wren.private@example.org"


@pytest.fixture
def wren(make):
    """A member with a life on the forum: threads, replies, a message, support and a bookmark."""
    wren = make.member(NAME, email=ADDRESS)
    wren.display_name, wren.story = "Wren F.", "Stage IV since 2020"
    wren.about = "Gardener, grandmother, stubborn."
    wren.email_frequency = EmailFrequency.EVERY_EVENT
    jun = make.member("jun")
    jun.email_frequency = EmailFrequency.EVERY_EVENT
    board = make.board()
    shared = make.thread(board=board, author=wren, title="Bone pain at night", body="Heat packs?")
    make.reply(shared, author=jun, body="A warm bath helps me.")
    make.reply(shared, author=wren, body="Thank you, trying it tonight.")
    make.thread(board=board, author=wren, title="Only my words", body="Just thinking aloud.")
    others = make.thread(board=board, author=jun, title="Scan day", body="Tomorrow at nine.")
    answer = make.reply(others, author=wren, body="Sending strength for nine o'clock.")
    community.toggle_reaction(db.session.get(Post, others.first_post_id), wren, ReactionKind.HUGS)
    community.toggle_reaction(answer, jun, ReactionKind.LOVE)
    community.toggle_bookmark(db.session.get(Post, others.first_post_id), wren)
    make.conversation(author=wren, recipients=[jun], subject="Coffee", body="Thursday at ten?")
    make.conversation(author=jun, recipients=[wren], subject="Hello", body="Jun's own words")
    db.session.commit()
    return wren


def download(client) -> zipfile.ZipFile:
    response = client.get("/settings/export.zip")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="harbor-')
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_a_member_downloads_exactly_what_she_wrote(client, wren):
    log_in(client, wren)
    assert "Download my zip file" in client.get("/settings/export").text
    archive = download(client)
    names = archive.namelist()
    posts = [name for name in names if name.startswith("posts/")]
    assert len(posts) == 4
    everything = "\n".join(archive.read(name).decode() for name in names)
    for mine in ("Heat packs?", "Thank you, trying it tonight.", "Just thinking aloud.",
                 "Sending strength for nine o'clock.", "Thursday at ten?", "Gardener"):  # fmt: skip
        assert mine in everything
    for theirs in ("A warm bath helps me.", "Tomorrow at nine.", "Jun's own words"):
        assert theirs not in everything

    first = next(n for n in posts if "only-my-words" in n)
    assert archive.read(first).decode().startswith('---\nthread: "Only my words"\n')

    data = json.loads(archive.read("harbor-data.json"))
    assert data["profile"]["email"] == ADDRESS
    assert data["profile"]["my_story"] == "Stage IV since 2020"
    assert sorted(post["markdown"] for post in data["posts"]) == sorted(
        ["Heat packs?", "Thank you, trying it tonight.", "Just thinking aloud.",
         "Sending strength for nine o'clock."]
    )  # fmt: skip
    assert [m["markdown"] for m in data["messages_sent"]] == ["Thursday at ten?"]
    assert [r["support"] for r in data["support_sent"]] == ["Hugs"]
    assert len(data["bookmarks"]) == 1


def test_links_in_the_export_lead_to_the_site_whatever_the_request_said(app, client, wren):
    log_in(client, wren)
    # The same login, sent to the same server under a name of the sender's choosing.
    session = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    client.set_cookie(session.key, session.value, domain="evil.example")
    response = client.get("/settings/export.zip", headers={"Host": "evil.example"})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    everything = "\n".join(archive.read(name).decode() for name in archive.namelist())
    assert "evil.example" not in everything
    assert f"{app.config['BASE_URL']}/p/" in everything


def test_a_deleted_post_is_gone_from_the_forum_kept_for_moderators_and_marked_in_her_zip(
    client, make, wren
):
    """The delete page says what happens: the words leave the forum for everyone, the
    moderators keep a copy, and so does her own download, marked as deleted."""
    reply = db.session.scalar(select(Post).where(Post.source == "Thank you, trying it tonight."))
    thread = db.session.get(Thread, reply.thread_id)
    log_in(client, wren)
    page = client.get(f"/p/{reply.id}/delete").text
    assert "Your words will be removed" not in page
    assert "leave the forum for everyone" in page and "moderators keep a copy" in page
    submit(client, f"/p/{reply.id}/delete")
    assert "trying it tonight" not in client.get(f"/t/{thread.id}/{thread.slug}").text

    archive = download(client)
    [deleted] = [name for name in archive.namelist() if name.startswith("posts/deleted/")]
    text = archive.read(deleted).decode()
    assert "Thank you, trying it tonight." in text
    assert 'note: "You deleted this post' in text
    data = json.loads(archive.read("harbor-data.json"))
    [gone] = [post for post in data["posts"] if post["state"] == "deleted"]
    assert gone["markdown"] == "Thank you, trying it tonight."
    assert gone["note"].startswith("You deleted this post")
    assert "posts/deleted/" in archive.read("README.txt").decode()

    submit(client, "/logout")
    log_in(client, make.moderator("mo"))
    assert "trying it tonight" in client.get(f"/mod/p/{reply.id}/history").text


def test_the_export_is_for_members_only(client):
    assert client.get("/settings/export.zip").status_code == 302


def every_stored_value() -> str:
    """Every row of every table, search index included, as one string to search in."""
    tables = [table.name for table in db.metadata.sorted_tables] + ["post_search"]
    return "\n".join(
        repr(tuple(row))
        for table in tables
        for row in db.session.execute(text(f"SELECT * FROM {table}"))
    )


def test_deleting_an_account_leaves_no_personal_data_anywhere(client, make, wren):
    moderation.add_staff_note(wren, make.moderator(), "Her chemo is failing, says her sister")
    assert NAME in every_stored_value() and ADDRESS in every_stored_value()
    log_in(client, wren)
    response = submit(client, "/settings/delete", {"posts": "remove", "password": "wrong",
                                                   "understood": "y"})  # fmt: skip
    assert "your password." in response.text
    assert re.search(r'<input checked[^>]*value="remove"', response.text)

    response = submit(client, "/settings/delete", {"posts": "remove", "password": PASSWORD,
                                                   "understood": "y"})  # fmt: skip
    assert "Your account is deleted" in response.text
    stored = every_stored_value()
    personal_data = (NAME, ADDRESS, "Wren F.", "Stage IV since 2020", "Gardener", "Heat packs?",
                     "Thank you, trying it tonight.", "Thursday at ten?")  # fmt: skip
    for personal in (*personal_data, "Her chemo is failing"):
        assert personal not in stored, personal
    assert doctor.examine() == []  # every count still adds up
    # What others wrote stays, and reads.
    assert "A warm bath helps me." in stored and "Jun's own words" in stored

    # Logged out, and nobody can log in as her again.
    assert client.get("/settings").status_code == 302
    response = submit(client, "/login", {"username": ADDRESS, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get(f"/u/{NAME}").status_code == 404

    [entry] = db.session.scalars(
        select(ModerationLog).where(ModerationLog.action == "delete-account")
    ).all()
    assert entry.details == {"posts": "removed", "by": "member"}


def test_threads_she_started_keep_others_replies_and_counts_stay_exact(client, make, wren):
    shared = db.session.scalar(select(Thread).where(Thread.title == "Bone pain at night"))
    alone = db.session.scalar(select(Thread).where(Thread.title == "Only my words"))
    board = shared.board_id
    log_in(client, wren)
    submit(client, "/settings/delete", {"posts": "remove", "password": PASSWORD, "understood": "y"})

    db.session.refresh(shared)
    db.session.refresh(alone)
    assert shared.state is ThreadState.VISIBLE and shared.reply_count == 1
    page = client.get(f"/t/{shared.id}/{shared.slug}").text
    assert "A warm bath helps me." in page and "Heat packs?" not in page
    assert alone.state is ThreadState.HIDDEN and alone.title == "Removed by its author"
    assert client.get(f"/t/{alone.id}").status_code == 404
    assert searching.search("Heat packs", 0, 10).total == 0

    before = {(t.id, t.post_count, t.reply_count, t.last_post_id) for t in
              db.session.scalars(select(Thread).where(Thread.board_id == board))}  # fmt: skip
    for thread in db.session.scalars(select(Thread).where(Thread.board_id == board)):
        posting.recount_thread(thread)
    db.session.commit()
    after = {(t.id, t.post_count, t.reply_count, t.last_post_id) for t in
             db.session.scalars(select(Thread).where(Thread.board_id == board))}  # fmt: skip
    assert before == after


def test_her_messages_read_as_removed_by_their_author_not_by_a_moderator(client, make, wren):
    jun = db.session.scalar(select(User).where(User.username == "jun"))
    coffee = db.session.scalar(select(Conversation).where(Conversation.subject == "Coffee"))
    log_in(client, wren)
    submit(client, "/settings/delete", {"posts": "remove", "password": PASSWORD, "understood": "y"})

    log_in(client, jun)
    page = client.get(f"/messages/{coffee.id}").text
    assert "Thursday at ten?" not in page
    assert "This message was removed by its author when they deleted their account." in page
    assert "removed by a moderator" not in page


def test_a_member_may_keep_her_posts_as_a_former_member(client, make, wren):
    shared = db.session.scalar(select(Thread).where(Thread.title == "Bone pain at night"))
    log_in(client, wren)
    submit(client, "/settings/delete", {"posts": "keep", "password": PASSWORD, "understood": "y"})
    page = client.get(f"/t/{shared.id}/{shared.slug}").text
    assert "Heat packs?" in page and "A former member" in page
    assert NAME not in page and "Wren F." not in page
    assert db.session.scalar(select(Post).where(Post.source == "Heat packs?")).state is (
        PostState.VISIBLE
    )


def test_a_former_member_is_never_named_by_the_account_left_behind(client, make, wren):
    """The row stays as former-member-<id> for the moderation records; readers, feeds,
    quotes and conversations say "A former member"."""
    shared = db.session.scalar(select(Thread).where(Thread.title == "Bone pain at night"))
    coffee = db.session.scalar(select(Conversation).where(Conversation.subject == "Coffee"))
    opening, board = shared.first_post_id, db.session.get(Board, shared.board_id)
    log_in(client, wren)
    submit(client, "/settings/delete", {"posts": "keep", "password": PASSWORD, "understood": "y"})
    jun = db.session.scalar(select(User).where(User.username == "jun"))
    log_in(client, jun)
    pages = {
        "thread": client.get(f"/t/{shared.id}/{shared.slug}").text,
        "board feed": client.get(f"/b/{board.slug}/feed.atom").text,
        "thread feed": client.get(f"/t/{shared.id}/feed.atom").text,
        "quote": client.get(f"/t/{shared.id}/{shared.slug}?quote={opening}").text,
        "conversation": client.get(f"/messages/{coffee.id}").text,
        "conversations": client.get("/messages").text,
    }
    for where, page in pages.items():
        assert "former-member-" not in page, where
    assert "<name>A former member</name>" in pages["thread feed"]
    assert 'data-quote-who="A former member"' in pages["thread"]
    assert "Message from A former member" in pages["conversation"]
    quote = client.get(f"/p/{opening}/quote").json["text"]
    assert quote.startswith("A former member wrote:\n> Heat packs?")

    # Quoting them names nobody, so nobody is told.
    notices = db.session.scalar(select(func.count()).select_from(Notification))
    submit(client, f"/t/{shared.id}/reply", {"body": quote + "Same here."})
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notices


def test_deleting_needs_the_box_ticked_and_a_choice(client, rosa):
    response = submit(client, "/settings/delete", {"password": PASSWORD})
    assert "Please choose what happens to your posts." in response.text
    assert "Please tick this box to confirm." in response.text
    db.session.refresh(rosa)
    assert not rosa.is_deleted


def test_an_admin_deletes_an_account_on_a_verified_request(client, make, wren):
    log_in(client, make.moderator("mo"))
    refused = submit(client, f"/mod/u/{NAME}/delete", {"posts": "keep", "reason": "x"})
    assert refused.status_code == 403
    submit(client, "/logout")
    log_in(client, make.admin("ada"))
    assert "Delete this account" in client.get(f"/mod/u/{NAME}").text
    reason = "Asked by email, verified from her address"
    response = submit(client, f"/mod/u/{NAME}/delete", {"posts": "keep", "reason": reason})
    assert response.status_code == 302
    db.session.refresh(wren)
    assert wren.is_deleted and wren.email is None
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "delete-account"))
    assert entry.reason == reason
    assert entry.details == {"posts": "kept", "by": "admin"}


def test_staff_hand_back_their_role_before_deleting_their_account(client, make):
    log_in(client, make.moderator("mo"))
    response = client.get("/settings/delete")
    assert response.status_code == 403 and "hand back their role" in response.text


def test_nobody_can_register_a_name_kept_for_former_members(client):
    response = submit(client, "/register", {"username": "former-member-7", "email": "f@example.org",
                                            "password": PASSWORD, "confirm": PASSWORD})  # fmt: skip
    assert "kept for the site itself" in response.text
    assert db.session.scalar(select(User).where(User.username_key == "former-member-7")) is None


def test_words_removed_with_an_account_are_not_emailed_even_from_an_anonymous_post(make, wren):
    """Emails naming the member are dropped by their name; an anonymous post's name nobody,
    so they go by the post they are about."""
    carol = make.member("carol")
    carol.email_frequency = EmailFrequency.EVERY_EVENT
    board = make.board()
    board.allows_anonymous = True
    thread = make.thread(board=board, author=make.member("rosa"))
    posting.reply(thread, wren, "@carol my oncologist said it spread", anonymous=True)
    assert "it spread" in every_stored_value()
    member_data.delete_account(wren, remove_posts=True, by=wren)
    assert "it spread" not in every_stored_value()


def test_a_member_called_hope_leaves_others_hopes_alone(make, wren):
    """Only what the member did is reworded or dropped, not every "hope" in others' mail."""
    hope = make.member("hope")
    jun = db.session.scalar(select(User).where(User.username == "jun"))
    mine = db.session.scalar(select(Thread).where(Thread.title == "Only my words"))
    make.reply(mine, author=jun, body="hope is what keeps me going, and I hope yours is clear.")
    emails_before = db.session.scalar(select(func.count()).select_from(OutboxEmail))
    notes_before = set(db.session.scalars(select(Notification.text)))
    member_data.delete_account(hope, remove_posts=True, by=hope)
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == emails_before
    assert set(db.session.scalars(select(Notification.text))) == notes_before
