"""Crisis-aware posting: words of self-harm or suicide pause on the crisis lines first,
then, if the member posts anyway, moderators get one quiet, urgent item."""

from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from forum import config
from forum.extensions import db
from forum.models import (
    Case,
    Message,
    ModerationLog,
    Post,
    Report,
    ReportReason,
    SitePage,
    Thread,
    User,
)
from forum.services import crisis, site_pages

from .factories import count, log_in, submit

SEED = Path(__file__).resolve().parent.parent / "seed"
WORRYING = (
    "Another scan, more spread. Honestly I want to die and my family would be better off "
    "without me."
)


def switch_to(client, member):
    submit(client, "/logout")
    log_in(client, member)


def words_kept(response, text: str) -> bool:
    return text in unescape(response.text)


# What counts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I just want to die.", ["want to die"]),
        ("Some days I think about SUICIDE", ["suicide"]),
        ("I can’t go on like this", ["can't go on like this"]),
        ("they'd be better\noff without me", ["better off without me"]),
        ("I keep thinking I should end my life", ["end my life"]),
        ("My mum is dying and we're arranging end of life care.", []),
        ("The hospice team talked about end-of-life care and terminal sedation.", []),
        ("I don't want to die, not yet. I want to see her graduate.", []),
        ("Will I die from this? Dying scares me.", []),
        ("I can't go on the trip because of chemo.", []),
        ("The chemo is killing me some weeks.", []),
    ],
)
def test_crisis_phrases_are_whole_and_cancer_talk_is_not_one(app, text, expected):
    with app.app_context():
        assert crisis.find(text) == expected


def test_the_configured_country_comes_first_and_the_fallbacks_last(tmp_path):
    settings = crisis.read_settings(crisis_file(), "gb")
    assert settings.lines[0].name == "Samaritans"
    assert [line.is_everywhere for line in settings.lines[-2:]] == [True, True]
    assert "findahelpline.com" in settings.lines[-1].url


@pytest.mark.parametrize("country", ["UK", "GB", "IE", "uk"])
def test_members_in_the_uk_or_ireland_see_samaritans_first(build_app, make, country):
    app = build_app(
        **config.settings_from_environment({"HARBOR_CRISIS_COUNTRY": country}),
        RATELIMIT_ENABLED=False,
    )
    client = app.test_client()
    log_in(client, make.member("rosa"))
    thread = make.thread(title="Hard week")
    page = unescape(submit(client, f"/t/{thread.id}/reply", {"body": WORRYING}).text)
    assert "You're not alone" in page
    assert page.index("Samaritans") < page.index("988 Suicide & Crisis Lifeline")
    assert "116 123" in page


def test_a_line_written_with_one_country_still_reads(tmp_path):
    single = tmp_path / "crisis.toml"
    single.write_text(
        'phrases = ["want to die"]\n[[lines]]\ncountry = "us"\nwhere = "United States"\n'
        'name = "988"\nhow = "Call or text 988"\n'
    )
    assert crisis.read_settings(single, "US").lines[0].countries == ("US",)


def crisis_file():
    return SEED / "crisis.toml"


def test_the_community_guidelines_list_every_countrys_line_and_the_full_list():
    guidelines = (SEED / "welcome" / "01-community-guidelines.md").read_text()
    settings = crisis.read_settings(crisis_file(), "US")
    for line in settings.lines:
        if not line.is_everywhere:
            assert line.name in guidelines and line.where in guidelines, line.name
    assert "https://findahelpline.com" in guidelines


def test_the_protocol_says_talk_of_assisted_dying_or_hospice_is_not_by_itself_a_crisis():
    protocol = " ".join((SEED / "crisis-protocol.md").read_text().split())
    assert "assisted dying" in protocol and "is not by itself a crisis" in protocol


# The pause, then posting anyway


def test_a_worrying_thread_pauses_gently_then_posts_anyway_and_reaches_moderators(
    client, make, rosa
):
    board = make.board("living-with-mbc")
    response = submit(client, f"/b/{board.slug}/new", {"title": "Tired", "body": WORRYING,
                                                        "content_note_choice": ""})  # fmt: skip
    assert response.status_code == 200
    page = unescape(response.text)
    assert "You're not alone" in page
    assert "988" in page and "116 123" in page and "findahelpline.com" in page
    assert "Post anyway" in page and "Edit my words" in page
    assert 'name="crisis_acknowledged" value="1"' in page
    assert words_kept(response, WORRYING) and 'value="Tired"' in page
    assert count(Thread) == 0 and count(Case) == 0

    response = submit(client, f"/b/{board.slug}/new",
                      {"title": "Tired", "body": WORRYING, "crisis_acknowledged": "1"})  # fmt: skip
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert post.is_visible and post.content_note is None

    # Readers see the post as any other: no mark that anything was noticed.
    thread_page = unescape(make_visitor_client(client).get(response.headers["Location"]).text)
    assert "want to die" in thread_page
    for mark in ("urgent", "at risk", "crisis", "Urgent"):
        assert mark not in thread_page

    case = db.session.scalar(select(Case))
    assert case.post_id == post.id and case.is_urgent and case.is_open
    report = db.session.scalar(select(Report))
    assert report.reason is ReportReason.AT_RISK
    assert db.session.get(User, report.reporter_id).is_system
    assert "want to die" in report.note


def make_visitor_client(client):
    return client.application.test_client()


def test_edit_my_words_brings_back_the_form_with_the_words_and_no_pause(client, make, rosa):
    thread = make.thread(title="Hard week")
    response = submit(client, f"/t/{thread.id}/reply", {"body": WORRYING})
    assert "You're not alone" in unescape(response.text)
    choice = {"crisis_acknowledged": "1", "edit_words": "y"}
    response = submit(client, f"/t/{thread.id}/reply", {"body": WORRYING, **choice})
    page = unescape(response.text)
    assert response.status_code == 200 and words_kept(response, WORRYING)
    assert "You're not alone" not in page and "crisis_acknowledged" not in page
    assert "Post reply" in page
    assert count(Post) == 1 and count(Case) == 0

    calmer = "It has been a hard week, but I'm holding on. Thank you all."
    submit(client, f"/t/{thread.id}/reply", {"body": calmer})
    assert count(Post) == 2 and count(Case) == 0


def test_a_cancer_forum_sentence_posts_straight_away(client, make, rosa):
    thread = make.thread()
    body = "my mum is dying and we're arranging end of life care"
    response = submit(client, f"/t/{thread.id}/reply", {"body": body})
    assert response.status_code == 302
    assert count(Post) == 2 and count(Case) == 0


def test_a_content_note_in_the_authors_own_words_is_read_as_carefully(client, make, rosa):
    thread = make.thread()
    note = {"content_note_choice": "other", "content_note_other": "I want to die"}
    response = submit(client, f"/t/{thread.id}/reply", {"body": "Scan day.", **note})
    assert "You're not alone" in unescape(response.text) and count(Post) == 1

    submit(client, f"/t/{thread.id}/reply",
           {"body": "Scan day.", **note, "crisis_acknowledged": "1"})  # fmt: skip
    reply = db.session.scalar(select(Post).order_by(Post.id.desc()))
    assert reply.content_note == "I want to die"
    assert db.session.scalar(select(Case)).post_id == reply.id


def test_an_edit_that_brings_crisis_words_pauses_too(client, make, rosa):
    thread = make.thread(author=rosa, body="Scan day tomorrow.")
    path = f"/p/{thread.first_post_id}/edit"
    body = "Scan day tomorrow. I can't do this anymore."
    response = submit(client, path, {"title": thread.title, "body": body})
    assert "You're not alone" in unescape(response.text) and "Save anyway" in response.text
    assert words_kept(response, body)
    submit(client, path, {"title": thread.title, "body": body, "crisis_acknowledged": "1"})
    assert db.session.get(Post, thread.first_post_id).source == body
    assert db.session.scalar(select(Case)).is_urgent


def test_the_urgent_item_tops_the_queue_with_recent_posts_and_the_protocol(client, make, rosa):
    board = make.board()
    spam_thread = make.thread(board=board, title="Buy pills")
    switch_to(client, make.member("jun"))
    submit(client, f"/p/{spam_thread.first_post_id}/report", {"reason": "spam"})
    switch_to(client, rosa)
    earlier = make.thread(board=board, author=rosa, title="My first scan results")
    submit(client, f"/t/{earlier.id}/reply", {"body": WORRYING, "crisis_acknowledged": "1"})

    switch_to(client, make.moderator())
    page = unescape(client.get("/mod/reports").text)
    assert page.index("Urgent: someone may be at risk") < page.index("Buy pills")
    assert "rosa's recent posts" in page
    assert f'href="/p/{earlier.first_post_id}"' in page
    assert "/mod/help/crisis" in page

    protocol = unescape(client.get("/mod/help/crisis").text)
    assert "Check in privately and kindly" in protocol
    assert "Look after yourself" in protocol


def test_a_member_report_and_a_crisis_match_share_one_case(client, make, rosa):
    thread = make.thread()
    submit(client, f"/t/{thread.id}/reply", {"body": WORRYING, "crisis_acknowledged": "1"})
    post = db.session.scalar(select(Post).where(Post.number == 2))
    switch_to(client, make.member("jun"))
    submit(client, f"/p/{post.id}/report", {"reason": "at-risk", "note": "I'm worried about her"})

    case = db.session.scalar(select(Case))
    assert count(Case) == 1 and case.report_count == 2 and case.is_urgent
    assert {report.reason for report in db.session.scalars(select(Report))} == {
        ReportReason.AT_RISK
    }


def test_a_crisis_message_opens_a_case_about_that_message_only(client, make, rosa):
    jun = make.member("jun")
    conversation = make.conversation(author=jun, recipients=[rosa], subject="Thinking of you")
    path = f"/messages/{conversation.id}/reply"
    response = submit(client, path, {"body": WORRYING})
    page = unescape(response.text)
    assert "You're not alone" in page and "Send anyway" in page and words_kept(response, WORRYING)
    assert "only this message" in page
    assert count(Message) == 1

    submit(client, path, {"body": WORRYING, "crisis_acknowledged": "1"})
    message = db.session.scalar(select(Message).order_by(Message.id.desc()))
    case = db.session.scalar(select(Case))
    assert case.message_id == message.id and case.post_id is None and case.is_urgent

    switch_to(client, make.moderator())
    queue = unescape(client.get("/mod/reports").text)
    assert "want to die" in queue and "How are you?" not in queue


def test_a_new_conversation_pauses_and_keeps_everything_typed(client, make, rosa):
    make.member("jun")
    fields = {"to": "jun", "subject": "Can't sleep", "body": WORRYING}
    page = unescape(submit(client, "/messages/new", fields).text)
    assert "You're not alone" in page and 'value="jun"' in page and "Can't sleep" in page
    submit(client, "/messages/new", {**fields, "crisis_acknowledged": "1"})
    assert db.session.scalar(select(Case)).message_id is not None


def test_staff_writing_about_crisis_lines_are_not_paused(client, make):
    log_in(client, make.moderator())
    thread = make.thread()
    body = "If you ever think about suicide, please call or text 988."
    assert submit(client, f"/t/{thread.id}/reply", {"body": body}).status_code == 302
    assert count(Case) == 0


# The protocol page


def test_admins_edit_the_protocol_and_the_change_is_logged(client, make, runner):
    runner.invoke(args=["seed"])
    assert db.session.get(SitePage, site_pages.CRISIS_PROTOCOL) is not None
    log_in(client, make.moderator())
    assert client.get("/mod/help/crisis/edit").status_code == 403
    switch_to(client, make.admin("ada"))
    submit(client, "/mod/help/crisis/edit",
           {"body": "## Our way\n\nCall them kindly.", "reason": "Shorter"})  # fmt: skip
    assert "Call them kindly." in client.get("/mod/help/crisis").text
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "edit-page"))
    assert entry.details["page"] == "crisis-protocol" and entry.reason == "Shorter"
    # Seeding again keeps the admin's words.
    runner.invoke(args=["seed"])
    assert "Call them kindly." in db.session.get(SitePage, "crisis-protocol").source
