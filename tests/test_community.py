"""Members keeping each other company: support reactions, watching, notifications, quoting
and previewing before posting."""

import re
from html import unescape

from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, Post, Reaction, ThreadWatch, User
from forum.services import community, moderation

from .factories import PASSWORD, count, csrf_token, log_in, submit


def unread(member) -> list[str]:
    return db.session.scalars(
        select(Notification.text)
        .where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .order_by(Notification.id)
    ).all()


def log_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


# Support reactions


def test_members_send_support_without_writing_and_can_take_it_back(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa, title="Scan results tomorrow")
    log_in(client, make.member("jun"))
    response = submit(client, f"/p/{thread.first_post_id}/react", {"kind": "love"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert re.search(r'aria-pressed="true">\s*<span aria-hidden="true">💗</span> Sending love '
                     r'<span class="reaction-count">1</span>', page)  # fmt: skip

    submit(client, f"/p/{thread.first_post_id}/react", {"kind": "love"})
    assert count(Reaction) == 0
    submit(client, f"/p/{thread.first_post_id}/react", {"kind": "hugs"})
    submit(client, f"/p/{thread.first_post_id}/react", {"kind": "thinking"})
    assert count(Reaction) == 2
    who = client.get(f"/p/{thread.first_post_id}/reactions").text
    assert "Hugs (1)" in who and "Thinking of you (1)" in who and "jun" in who


def test_no_downvotes_no_self_support_and_visitors_only_see_counts(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa)
    community.toggle_reaction(db.session.get(Post, thread.first_post_id), make.member(),
                              community.ReactionKind.ME_TOO)  # fmt: skip
    assert submit(client, f"/p/{thread.first_post_id}/react", {"kind": "love"}).status_code == 302
    assert count(Reaction) == 1, "a visitor is sent to log in, nothing is stored"
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Me too" in page and 'name="kind"' not in page

    log_in(client, rosa)
    assert submit(client, f"/p/{thread.first_post_id}/react", {"kind": "love"}).status_code == 403
    log_out(client)
    log_in(client, make.member())
    submit(client, f"/p/{thread.first_post_id}/react", {"kind": "thumbs-down"})
    assert count(Reaction) == 1


def test_reactions_gather_into_one_notification(client, make):
    rosa = make.member("rosa")
    post = db.session.get(Post, make.thread(author=rosa, title="First chemo").first_post_id)
    for name in ("ana", "ben", "cleo"):
        community.toggle_reaction(post, make.member(name), community.ReactionKind.LOVE)
    assert unread(rosa) == ["3 members sent support for your post in “First chemo”"]
    assert db.session.get(User, rosa.id).unread_notifications == 1


# Watching and notifications


def test_a_reply_reaches_everyone_watching_the_thread_but_its_writer(client, make):
    rosa, jun, mae = make.member("rosa"), make.member("jun"), make.member("mae")
    thread = make.thread(author=rosa, title="Starting Ibrance")
    make.reply(thread, author=mae, body="Me too, next week")
    log_in(client, jun)
    submit(client, f"/t/{thread.id}/reply", {"body": "You've got this."})
    assert unread(rosa) == [
        "mae replied to “Starting Ibrance”",
        "jun replied to “Starting Ibrance”",
    ]
    assert unread(mae) == ["jun replied to “Starting Ibrance”"]
    assert unread(jun) == []
    assert count(ThreadWatch, ThreadWatch.user_id == jun.id) == 1, "posting watches the thread"
    assert 'Notifications <span class="count">2' in _as(client, rosa).get("/").text


def _as(client, member):
    log_out(client)
    log_in(client, member)
    return client


def test_unwatching_a_thread_stops_its_notifications(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa)
    log_in(client, rosa)
    submit(client, f"/t/{thread.id}/unwatch")
    assert "Watch this thread" in client.get(f"/t/{thread.id}", follow_redirects=True).text
    make.reply(thread, body="Hello")
    assert unread(rosa) == []


def test_watching_a_board_brings_word_of_new_threads(client, make):
    board = make.board(name="Living with MBC")
    mae = make.member("mae")
    log_in(client, mae)
    submit(client, f"/b/{board.slug}/watch")
    assert "Stop watching this board" in client.get(f"/b/{board.slug}").text
    make.thread(board=board, author=make.member("rosa"), title="Gardening on tired days")
    assert unread(mae) == ["rosa started “Gardening on tired days” in Living with MBC"]


def test_mentions_reach_the_member_and_link_to_their_profile(client, make):
    make.member("rosa")
    jun = make.member("jun")
    thread = make.thread(title="Hair loss tips")
    log_in(client, make.member("mae"))
    submit(client, f"/t/{thread.id}/reply", {"body": "@jun had great advice on this. @nobody"})
    assert unread(jun) == ["mae mentioned you in “Hair loss tips”"]
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert '<a href="/u/jun"' in page


def test_quoting_fills_the_reply_box_and_tells_the_quoted_member(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa, title="Fatigue", body="Short walks help me.\nNaps too.")
    log_in(client, make.member("jun"))
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    quote_link = re.search(r'href="([^"]*quote=\d+[^"]*)">Quote', page).group(1)
    prefilled = unescape(client.get(unescape(quote_link)).text)
    assert "@rosa wrote:\n> Short walks help me.\n> Naps too." in prefilled
    submit(client, f"/t/{thread.id}/reply",
           {"body": "@rosa wrote:\n> Short walks help me.\n\nSame here."})  # fmt: skip
    assert unread(rosa) == ["jun quoted you in “Fatigue”"]


def test_held_posts_notify_only_once_approved(client, make, default_gates):
    rosa = make.earn_trust(make.member("rosa"))
    thread = make.thread(author=rosa, title="Welcome me")
    log_in(client, make.newcomer("nell"))
    submit(client, f"/t/{thread.id}/reply", {"body": "Hello @rosa, I'm new"})
    assert unread(rosa) == []
    held = db.session.scalar(select(Post).order_by(Post.id.desc()))
    moderation.approve_post(held, make.moderator())
    assert unread(rosa) == ["nell mentioned you in “Welcome me”"]


def test_no_notification_about_a_thread_the_member_cannot_see(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=make.member("jun"), title="Hidden away")
    moderation.set_thread_hidden(thread, make.moderator(), True, "off topic")
    make.reply(thread, author=make.moderator(), body="@rosa look")
    assert unread(rosa) == []


def test_opening_a_notification_marks_it_read(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa)
    reply = make.reply(thread, author=make.member("jun"))
    make.reply(thread, author=make.member("mae"))
    log_in(client, rosa)
    first = db.session.scalar(select(Notification.id).order_by(Notification.id))
    response = submit(client, f"/notifications/{first}/open")
    assert response.headers["Location"] == f"/p/{reply.id}"
    assert db.session.get(User, rosa.id).unread_notifications == 1
    assert submit(client, "/notifications/99999/open").status_code == 404
    submit(client, "/notifications/read")
    assert unread(rosa) == [] and db.session.get(User, rosa.id).unread_notifications == 0


# Preview


def test_preview_shows_the_post_as_it_will_look_without_posting_it(client, make):
    board = make.board()
    thread = make.thread(board=board)
    log_in(client, make.member())
    draft = {"title": "Draft title", "body": "Some **bold** words", "preview": "y"}
    response = submit(client, f"/b/{board.slug}/new", draft)
    assert response.status_code == 200
    assert "Preview: not posted yet" in response.text
    assert "<strong>bold</strong>" in response.text and "Some **bold** words" in response.text
    reply = submit(client, f"/t/{thread.id}/reply", {"body": "A *gentle* reply", "preview": "y"})
    assert "<em>gentle</em>" in reply.text and "A *gentle* reply" in reply.text
    assert count(Post) == 1


def test_only_real_members_mentioned_in_plain_text_become_links():
    from forum.markup import render_markdown

    html = render_markdown(
        "Hi @Rosa and @ghost, mail me at a@rosa.org, `@rosa` [@rosa](https://example.org)",
        {"rosa"},
    )
    assert html.count('href="/u/rosa"') == 1
    assert "@ghost" in html and "<code>@rosa</code>" in html
    assert 'href="https://example.org" rel="nofollow ugc noopener">@rosa</a>' in html


# Bookmarks


def test_members_bookmark_posts_to_read_later(client, make):
    thread = make.thread(title="Good advice on scans")
    reply = make.reply(thread, body="Bring a friend to the results appointment")
    log_in(client, make.member("rosa"))
    response = submit(client, f"/p/{reply.id}/bookmark")
    page = client.get(response.headers["Location"]).text
    assert 'aria-pressed="true">Bookmarked' in page
    assert "Good advice on scans" in client.get("/bookmarks").text

    moderator = make.moderator()
    moderation.hide_post(db.session.get(Post, reply.id), moderator, moderation.ReportReason.OTHER)
    assert "Good advice on scans" not in client.get("/bookmarks").text, "hidden posts drop out"
    moderation.restore_post(db.session.get(Post, reply.id), moderator)
    submit(client, f"/p/{reply.id}/bookmark")
    assert "No bookmarks yet" in client.get("/bookmarks").text


def test_visitors_have_no_bookmarks(client, make):
    assert client.get("/bookmarks").status_code == 302


# Settings


def test_a_member_shares_a_line_of_their_story_beside_their_posts(client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa)
    log_in(client, rosa)
    page = client.get("/settings").text
    assert "visible to other members" in page
    assert re.search(r'<input checked[^>]*value="daily"', page)
    submit(client, "/settings", {"display_name": "Rosa M", "story": "Stage IV since 2021, ER+",
                                 "about": "Gardener.", "email_frequency": "never"})  # fmt: skip
    member = db.session.get(User, rosa.id)
    assert (member.story, member.email_frequency.value) == ("Stage IV since 2021, ER+", "never")
    assert "Stage IV since 2021, ER+" in client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Gardener." in client.get("/u/rosa").text
    too_long = submit(client, "/settings", {"story": "x" * 121, "email_frequency": "daily"})
    assert too_long.status_code == 200 and "x" * 121 in too_long.text
    unchosen = submit(client, "/settings", {"story": "Still here"})
    assert "Please choose how often" in unchosen.text
    assert db.session.get(User, rosa.id).email_frequency.value == "never"


def test_changing_the_password_logs_out_every_other_device(app, client, make):
    rosa = make.member("rosa")
    log_in(client, rosa)
    other_device = app.test_client()
    log_in(other_device, rosa)
    new = "a new long passphrase"
    wrong = submit(client, "/settings/password", {"current": "nope", "new": new, "confirm": new})
    assert "isn't your current password" in unescape(wrong.text)
    submit(client, "/settings/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert "Log out" in client.get("/").text, "this device stays logged in"
    assert "Log out" not in other_device.get("/").text, "the other device is logged out"
    log_out(client)
    assert submit(client, "/login", {"username": "rosa", "password": new}).status_code == 302


def test_support_is_counted_by_member_not_by_click(client, make):
    rosa = make.member("rosa")
    post = db.session.get(Post, make.thread(author=rosa, title="Tired").first_post_id)
    bobby, carol = make.member("bobby"), make.member("carol")
    for _ in range(2):
        community.toggle_reaction(post, bobby, community.ReactionKind.LOVE)
    community.toggle_reaction(post, bobby, community.ReactionKind.LOVE)
    community.toggle_reaction(post, bobby, community.ReactionKind.HUGS)
    community.toggle_reaction(post, carol, community.ReactionKind.HUGS)
    assert unread(rosa) == ["2 members sent support for your post in “Tired”"]


def test_no_support_for_posts_in_a_hidden_thread(client, make):
    thread = make.thread()
    moderation.set_thread_hidden(thread, make.moderator(), True)
    log_in(client, make.member())
    # Not there at all to a reader who may not see the thread, as on every post route.
    assert submit(client, f"/p/{thread.first_post_id}/react", {"kind": "love"}).status_code == 404
    assert count(Reaction) == 0


def test_mentions_in_code_or_inside_a_quote_notify_no_one(client, make):
    eve, bob, rosa = make.member("eve"), make.member("bob"), make.member("rosa")
    thread = make.thread(author=make.member("ann"))
    make.reply(thread, author=rosa, body="Ask @bob about it")
    reply = "Type `@eve` to mention.\n\n@rosa wrote:\n> Ask @bob about it\n\nAgreed"
    make.reply(thread, author=make.member("jun"), body=reply)
    assert unread(eve) == []
    assert unread(bob) == ["rosa mentioned you in “Starting a new treatment”"]
    assert unread(rosa) == ["jun quoted you in “Starting a new treatment”"]


# Drafts: typed words are never lost


def test_a_previewed_reply_waits_in_the_box_until_it_is_sent(client, make):
    thread = make.thread()
    log_in(client, make.member("rosa"))
    submit(client, f"/t/{thread.id}/reply", {"body": "Half a thought", "preview": "y"})
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Half a thought</textarea>" in page
    submit(client, f"/t/{thread.id}/reply", {"body": "Half a thought, now whole"})
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Half a thought</textarea>" not in page and "now whole" in page


def test_a_previewed_new_thread_is_there_when_the_member_comes_back(client, make):
    board = make.board()
    log_in(client, make.member("rosa"))
    submit(
        client, f"/b/{board.slug}/new", {"title": "Scan anxiety", "body": "Draft", "preview": "y"}
    )
    form = client.get(f"/b/{board.slug}/new").text
    assert 'value="Scan anxiety"' in form and "Draft</textarea>" in form
    submit(client, f"/b/{board.slug}/new", {"title": "Scan anxiety", "body": "Final words"})
    assert "Scan anxiety" not in client.get(f"/b/{board.slug}/new").text
