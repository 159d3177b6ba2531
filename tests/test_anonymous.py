"""Posting as "A member": the author's name reaches nobody, moderators included, unless a
moderator reveals it for a reason that goes in the log."""

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    Case,
    EmailFrequency,
    ModerationLog,
    Notification,
    OutboxEmail,
    Post,
    Reaction,
    ReactionKind,
    Sanction,
    Thread,
    User,
)
from forum.services import community

from .factories import count, log_in, submit

USERNAME, DISPLAY_NAME, STORY = "wrenfield", "Wren Okafor-Lindqvist", "Stage IV since 2019"
TITLE = "Telling my sister about the scan"
ANONYMOUS_BODY = "I haven't told anyone at work. @jun did you tell your team?"


def assert_unnamed(html: str, where: str) -> None:
    for secret in (USERNAME, DISPLAY_NAME, "Okafor", STORY):
        assert secret.lower() not in html.lower(), f"{secret!r} leaks on {where}"


@pytest.fixture
def world(app, make):
    """Wren starts an anonymous thread (through the form) on a board that allows it; jun,
    who watches the board and wants every email, replies and bookmarks it; kim sends
    support; Wren answers jun anonymously, mentioning him."""
    board = make.board(slug="living", name="Living with it")
    board.allows_anonymous = True
    db.session.commit()
    wren = make.member(USERNAME)
    wren.display_name, wren.story = DISPLAY_NAME, STORY
    jun = make.member("jun")
    jun.email_frequency = EmailFrequency.EVERY_EVENT
    db.session.commit()
    community.set_board_watch(board, jun, watching=True)

    as_wren = app.test_client()
    log_in(as_wren, wren)
    opening_form = {"title": TITLE, "body": "Marigold worries tonight.", "anonymous": "y"}
    response = submit(as_wren, "/b/living/new", opening_form)
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread).where(Thread.title == TITLE))
    opening = db.session.get(Post, thread.first_post_id)
    make.reply(thread, author=jun, body="Sending you strength.")
    community.toggle_bookmark(opening, jun)
    community.toggle_reaction(opening, make.member("kim"), ReactionKind.LOVE)
    submit(as_wren, f"/t/{thread.id}/reply", {"body": ANONYMOUS_BODY, "anonymous": "y"})
    answer = db.session.scalar(select(Post).where(Post.source == ANONYMOUS_BODY))
    return {"board": board, "wren": wren, "jun": jun, "thread": thread, "opening": opening,
            "answer": answer, "as_wren": as_wren}  # fmt: skip


def test_the_form_offers_anonymity_only_where_the_board_allows_it(client, make):
    open_board = make.board(slug="open")
    quiet = make.board(slug="quiet")
    quiet.allows_anonymous = True
    db.session.commit()
    log_in(client, make.member("jun"))
    assert "Post as ‘A member’" in client.get("/b/quiet/new").text
    assert "Post as ‘A member’" not in client.get("/b/open/new").text
    # Asking for it anyway on a board that doesn't allow it posts under one's name.
    submit(client, "/b/open/new", {"title": "Hello all", "body": "Hi", "anonymous": "y"})
    post = db.session.scalar(select(Post).where(Post.source == "Hi"))
    assert post.is_anonymous is False
    assert open_board.id


def test_anonymous_posts_are_stored_as_such_and_kept_off_the_count(world):
    assert world["opening"].is_anonymous and world["answer"].is_anonymous
    assert db.session.get(Thread, world["thread"].id).is_anonymous
    assert db.session.get(User, world["wren"].id).post_count == 0


@pytest.mark.parametrize("who", ["visitor", "member", "moderator"])
def test_no_page_names_the_author_of_an_anonymous_post(client, make, world, who):
    if who != "visitor":
        log_in(client, make.moderator("mona") if who == "moderator" else world["jun"])
    thread, opening = world["thread"], world["opening"]
    pages = [
        "/",
        "/b/living",
        f"/t/{thread.id}/{thread.slug}",
        "/search?q=marigold",
        f"/p/{opening.id}/reactions",
        "/b/living/feed.atom",
        f"/t/{thread.id}/feed.atom",
    ]
    if who == "member":
        pages += ["/bookmarks", "/notifications"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_unnamed(response.text, path)
    thread_page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert "A member" in thread_page and "avatar-anonymous" in thread_page
    # The profile page names Wren, of course, but lists nothing she wrote anonymously.
    profile = client.get(f"/u/{USERNAME}").text
    assert TITLE not in profile and f"/p/{opening.id}" not in profile
    assert "0 posts" in profile


def test_searching_by_the_author_finds_nothing_anonymous(client, world):
    page = client.get(f"/search?q=marigold&author={USERNAME}").text
    assert "Nothing found" in page
    assert "1 post found" in client.get("/search?q=marigold").text


def test_notifications_and_emails_say_a_member(world):
    jun = world["jun"]
    texts = db.session.scalars(
        select(Notification.text).where(Notification.user_id == jun.id).order_by(Notification.id)
    ).all()
    assert texts == [
        f"A member started “{TITLE}” in Living with it",
        f"A member mentioned you in “{TITLE}”",
    ]
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == jun.id)).all()
    assert len(emails) == 2
    for email in emails:
        for part in (email.subject, email.text_body, email.html_body):
            assert_unnamed(part, "an email")


def test_the_author_still_hears_replies_and_sees_their_own_posts_as_theirs(make, world):
    wren = world["wren"]
    make.reply(db.session.get(Thread, world["thread"].id), author=make.member("tove"))
    texts = db.session.scalars(select(Notification.text).where(Notification.user_id == wren.id))
    assert f"tove replied to “{TITLE}”" in list(texts)
    thread = world["thread"]
    page = world["as_wren"].get(f"/t/{thread.id}/{thread.slug}").text
    assert "A member (you)" in page
    assert f"/p/{world['answer'].id}/edit" in page
    response = submit(world["as_wren"], f"/p/{world['answer'].id}/edit", {"body": "Edited words"})
    assert response.status_code == 302
    assert db.session.get(Post, world["answer"].id).is_anonymous


def test_quoting_an_anonymous_post_names_and_notifies_nobody(client, world):
    jun, answer, thread = world["jun"], world["answer"], world["thread"]
    log_in(client, jun)
    quote = client.get(f"/p/{answer.id}/quote").json["text"]
    assert quote.startswith("A member wrote:\n> I haven't told anyone")
    before = count(Notification)
    submit(client, f"/t/{thread.id}/reply", {"body": quote + "Not yet, it's hard."})
    notified = db.session.scalars(select(Notification).where(Notification.id > before)).all()
    assert [notice.kind for notice in notified] == ["reply"]  # Wren hears it as a reply
    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    article = page.split(f'id="p{answer.id}"')[1].split("</article>")[0]
    assert 'data-quote-who="A member"' in article and USERNAME not in article


def test_moderators_pages_show_a_member_and_offer_a_reveal(client, app, make, world, default_gates):
    answer = world["answer"]
    # A report of the anonymous answer, and a newcomer's anonymous reply waiting for approval.
    as_jun = app.test_client()
    log_in(as_jun, world["jun"])
    submit(as_jun, f"/p/{answer.id}/report", {"reason": "unkind"})
    newcomer = make.newcomer("hollisbright", confirmed=True)
    as_newcomer = app.test_client()
    log_in(as_newcomer, newcomer)
    submit(as_newcomer, f"/t/{world['thread'].id}/reply", {"body": "Held words", "anonymous": "y"})
    held = db.session.scalar(select(Post).where(Post.source == "Held words"))
    assert held.is_held and held.is_anonymous

    log_in(client, make.moderator("mona"))
    for path in ("/mod/reports", "/mod/queue", f"/mod/p/{answer.id}", f"/mod/p/{answer.id}/history",
                 f"/mod/p/{answer.id}/edit", f"/mod/t/{world['thread'].id}/split"):  # fmt: skip
        page = client.get(path).text
        assert_unnamed(page, path)
        assert "hollisbright" not in page, path
    assert "Reveal author" in client.get("/mod/reports").text
    assert "Reveal author" in client.get("/mod/queue").text
    assert "Reveal author" in client.get(f"/mod/p/{answer.id}").text
    member_page = client.get(f"/mod/u/{USERNAME}").text
    assert TITLE not in member_page and f"/p/{answer.id}" not in member_page


def test_hide_and_warn_reaches_the_real_author_without_naming_them(client, app, make, world):
    answer, wren = world["answer"], world["wren"]
    as_jun = app.test_client()
    log_in(as_jun, world["jun"])
    submit(as_jun, f"/p/{answer.id}/report", {"reason": "unkind"})
    case_id = db.session.scalar(select(Case.id))
    log_in(client, make.moderator("mona"))
    response = submit(
        client, f"/mod/cases/{case_id}/resolve",
        {"resolution": "hidden-warned", "reason": "Please be gentle."},
    )  # fmt: skip
    assert response.status_code == 302
    assert db.session.get(Post, answer.id).is_hidden
    assert db.session.get(User, wren.id).has_pending_warning
    assert db.session.scalar(select(Sanction.reason).where(Sanction.user_id == wren.id)) == (
        "Please be gentle."
    )
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.post_id == answer.id))
    assert entry.action == "resolve-hidden-warned" and entry.subject_id is None
    # Hiding the whole anonymous thread does not name its author in the log either.
    submit(client, f"/mod/t/{world['thread'].id}/hide", {"reason": "Off topic"})
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "hide-thread"))
    assert entry.subject_id is None
    assert_unnamed(client.get("/mod/log").text, "/mod/log")


def test_a_reveal_needs_a_reason_is_logged_and_shown_only_in_its_answer(client, make, world):
    answer = world["answer"]
    mona = make.moderator("mona")
    log_in(client, mona)
    refused = submit(client, f"/mod/p/{answer.id}/reveal", {"reason": ""})
    assert refused.status_code == 302 and count(ModerationLog) == 0
    revealed = submit(client, f"/mod/p/{answer.id}/reveal", {"reason": "At-risk report"})
    assert revealed.status_code == 200 and USERNAME in revealed.text
    assert revealed.headers["Cache-Control"] == "no-store"
    entry = db.session.scalar(select(ModerationLog))
    assert (entry.action, entry.reason, entry.actor_id, entry.post_id, entry.subject_id) == (
        "reveal-author",
        "At-risk report",
        mona.id,
        answer.id,
        None,
    )
    # The log says who looked and why, and still does not name the author.
    assert_unnamed(client.get("/mod/log").text, "/mod/log")
    assert_unnamed(client.get(f"/mod/p/{answer.id}/history").text, "history")
    # Members cannot reveal anything; nor can anyone reveal a post that is not anonymous.
    as_jun = client.application.test_client()
    log_in(as_jun, world["jun"])
    assert submit(as_jun, f"/mod/p/{answer.id}/reveal", {"reason": "x"}).status_code == 403
    named = make.reply(db.session.get(Thread, world["thread"].id), author=world["jun"])
    assert submit(client, f"/mod/p/{named.id}/reveal", {"reason": "x"}).status_code == 404


def test_a_gentle_board_offers_only_gentle_reactions(client, make):
    board = make.board(slug="in-memory")
    board.is_gentle = True
    db.session.commit()
    thread = make.thread(board=board, author=make.member("rosa"), title="Remembering Mum")
    log_in(client, make.member("jun"))
    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert "Sending love" in page and "Thinking of you" in page
    assert "Helpful" not in page and "Me too" not in page
    submit(client, f"/p/{thread.first_post_id}/react", {"kind": "helpful"})
    submit(client, f"/p/{thread.first_post_id}/react", {"kind": "love"})
    kinds = db.session.scalars(select(Reaction.kind)).all()
    assert kinds == [ReactionKind.LOVE]


def test_an_urgent_report_of_an_anonymous_post_does_not_list_the_authors_posts(client, make, world):
    """The at-risk panel lists a member's recent posts under their name: not for this one."""
    make.thread(author=world["wren"], title="A named thread of hers")
    log_in(client, make.member("kim2"))
    submit(client, f"/p/{world['answer'].id}/report", {"reason": "at-risk", "note": "worried"})
    submit(client, "/logout")
    log_in(client, make.moderator())
    page = client.get("/mod/reports").text
    assert "A named thread of hers" not in page
    assert_unnamed(page, "/mod/reports")


def test_a_content_note_on_an_anonymous_post_logs_no_author(client, make, world):
    log_in(client, make.moderator())
    submit(client, f"/mod/p/{world['answer'].id}/note", {"content_note": "Grief and loss"})
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "content-note"))
    assert entry is not None and entry.subject_id is None


def test_others_are_not_told_an_anonymous_thread_is_someones_first(client, make, world):
    thread = world["thread"]
    assert thread.is_authors_first
    log_in(client, make.member("kim3"))
    assert "first thread" not in client.get(f"/t/{thread.id}/{thread.slug}").text
    assert "peer mentor" in world["as_wren"].get(f"/t/{thread.id}/{thread.slug}").text
