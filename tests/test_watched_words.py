"""Watched words however they are disguised, and edits screened as new posts are."""

from html import unescape

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    Board,
    Case,
    Notification,
    Post,
    PostState,
    Report,
    Thread,
    ThreadState,
    WordAction,
)
from forum.services import crisis, moderation, posting, watchwords

from .factories import count, log_in, submit

SCAM = "send a wire transfer to http://scam-bank.example for the cure"


def switch_to(client, member):
    submit(client, "/logout")
    log_in(client, member)


def watch_words(client, make, **actions):
    """An admin adds watched words through the page: ``hold="wire transfer"``."""
    log_in(client, make.admin())
    for action, phrase in actions.items():
        submit(client, "/mod/words", {"phrase": phrase, "action": action})
    submit(client, "/logout")


def visitor_sees(client, path: str) -> str:
    return unescape(client.application.test_client().get(path, follow_redirects=True).text)


def notices_about(post, member) -> int:
    return count(Notification, Notification.post_id == post.id, Notification.user_id == member.id)


# What counts as the word


@pytest.mark.parametrize(
    ("phrase", "text", "matches"),
    [
        # Invisible characters inside a word (Unicode's format characters) are dropped.
        ("bitcoin", "pay in bit\u200bcoin", True),  # zero-width space
        ("bitcoin", "pay in bi\u00adtcoin", True),  # soft hyphen
        ("bitcoin", "pay in bit\u200dco\u200cin", True),  # zero-width joiner and non-joiner
        ("bitcoin", "pay in \u200ebit\u2060coin\u200f", True),  # bidi marks, word joiner
        ("bitcoin", "pay in \ufeffbitcoin", True),  # byte order mark
        ("bitcoin", "pay in bit&shy;coin", True),  # typed as an HTML entity
        # Letters from other scripts that look Latin.
        ("bitcoin", "pay in b\u0456tcoin", True),  # Cyrillic і
        ("bitcoin", "pay in bit\u0441\u043e\u0456n", True),  # Cyrillic с, о, і
        ("bitcoin", "PAY IN \u0412\u0406\u0422\u0421\u041e\u0406N", True),  # Cyrillic capitals
        ("bitcoin", "pay in bitc\u03bfin", True),  # Greek omicron
        ("miracle cure", "a miracle c\u03c5re", True),  # Greek upsilon
        ("кредит", "быстрый КРЕДИТ", True),  # a word in Cyrillic still matches itself
        # Markdown that renders as the word.
        ("bitcoin", "pay in **bit**coin", True),
        ("bitcoin", "pay in bit*coin*", True),
        ("bitcoin", "pay in `bit`coin", True),
        ("bitcoin", "pay in [bit](https://example.org)coin", True),
        # Punctuation and hyphens between words are spaces.
        ("miracle cure", "MIRACLE-CURE", True),
        ("miracle cure", "a miracle\u2014cure", True),
        ("miracle cure", "a miracle_cure", True),
        ("miracle cure", "a miracle...cure!", True),
        ("c.o.d.", "pay c-o-d today", True),
        # What already worked: case, compatibility forms, spacing.
        ("bitcoin", "BitCoin", True),
        ("bitcoin", "\uff42\uff49\uff54\uff43\uff4f\uff49\uff4e", True),  # fullwidth
        ("bitcoin", "\U0001d41b\U0001d422\U0001d42d\U0001d41c\U0001d428\U0001d422\U0001d427", True),
        ("miracle cure", "a miracle  \n cure", True),
        ("$$$", "earn $$$ now", True),
        # Whole words only: a watched word inside a longer one is another word.
        ("cure", "a secure place", False),
        ("bitcoin", "bitcoinage", False),
        ("scam", "s\u0441ampi", False),
        # Plurals are words of their own: admins add "bitcoins" if they want it.
        ("bitcoin", "two bitcoins", False),
        # A word split by a space is two words; so is one split across paragraphs.
        ("bitcoin", "bit coin", False),
        ("bitcoin", "bit\n\ncoin", False),
        # Accents and marks set on a letter do not make another word.
        ("miracle cure", "a mïracle cure", True),  # ï
        ("miracle cure", "a míracle cure", True),  # a combining accent after the i
        ("miracle cure", "a miracle curé", True),  # é
        ("crème", "creme brûlée", True),
    ],
)
def test_watched_words_are_found_however_they_are_disguised(make, phrase, text, matches):
    moderation.add_watched_word(phrase, WordAction.BLOCK, make.admin())
    assert bool(watchwords.find(text)) is matches


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to d\u200bie", ["want to die"]),
        ("I w\u0430nt to die", ["want to die"]),  # Cyrillic а
        ("I want to **die**", ["want to die"]),
        ("thinking about self\u2011harm", ["self harm", "self-harm"]),  # a no-break hyphen
        ("I don\u2019t want to d\u200bie", []),  # still fear of dying, not a crisis
    ],
)
def test_crisis_phrases_are_read_through_the_same_disguises(app, text, expected):
    with app.app_context():
        assert crisis.find(text) == expected


def test_a_disguised_blocked_word_refuses_a_reply_and_keeps_the_words(client, make):
    log_in(client, make.admin())
    submit(client, "/mod/words", {"phrase": "bitcoin", "action": "block"})
    thread = make.thread()
    submit(client, "/logout")
    log_in(client, make.member("vic"))
    body = "Send b\u0456t\u200bcoin for the cure"
    response = submit(client, f"/t/{thread.id}/reply", {"body": body})
    assert response.status_code == 200
    assert "doesn't allow (bitcoin)" in unescape(response.text)
    assert body in unescape(response.text)
    assert count(Post) == 1 and db.session.get(Post, thread.first_post_id) is not None


# Edits are screened as new posts are


def test_an_approved_reply_edited_into_a_scam_waits_for_a_moderator_again(
    client, make, default_gates
):
    watch_words(client, make, hold="wire transfer")
    rosa = make.earn_trust(make.member("rosa"))
    thread = make.thread(author=rosa, title="Scan results")
    vic = make.member("vic")
    log_in(client, vic)
    submit(client, f"/t/{thread.id}/reply", {"body": "Thinking of you."})
    reply = db.session.scalar(select(Post).order_by(Post.id.desc()))
    assert reply.is_held
    switch_to(client, make.moderator("mo"))
    submit(client, f"/mod/p/{reply.id}/approve")
    assert "Thinking of you." in visitor_sees(client, f"/t/{thread.id}")
    assert notices_about(reply, rosa) == 1

    switch_to(client, vic)
    response = submit(client, f"/p/{reply.id}/edit", {"body": SCAM}, follow=True)
    assert "A moderator will look at your post" in unescape(response.text)
    assert "Waiting for a moderator" in response.text

    assert "scam-bank" not in visitor_sees(client, f"/t/{thread.id}")
    assert "scam-bank" not in visitor_sees(client, "/search?q=transfer")
    assert db.session.get(Post, reply.id).state is PostState.HELD
    assert db.session.get(Thread, thread.id).reply_count == 0
    assert notices_about(reply, rosa) == 0
    switch_to(client, make.moderator("mona"))
    assert "scam-bank" in client.get("/mod/queue").text


def test_an_opening_post_edited_to_a_hold_word_takes_its_thread_back_to_waiting(
    client, make, default_gates
):
    watch_words(client, make, hold="wire transfer")
    rosa = make.earn_trust(make.member("rosa"))
    board = make.board(slug="costs", name="Costs")
    thread = make.thread(board=board, author=rosa, title="Paying for treatment")
    log_in(client, rosa)
    title = "Paying for treatment by wire transfer"
    response = submit(client, f"/p/{thread.first_post_id}/edit",
                      {"title": title, "body": "Hello all."}, follow=True)  # fmt: skip
    assert "A moderator will look at your post" in unescape(response.text)

    assert db.session.get(Thread, thread.id).state is ThreadState.HELD
    assert "Paying for treatment" not in visitor_sees(client, "/b/costs")
    assert db.session.get(Board, board.id).thread_count == 0
    switch_to(client, make.moderator("mo"))
    submit(client, f"/mod/p/{thread.first_post_id}/approve")
    assert title in visitor_sees(client, "/b/costs")
    assert db.session.get(Board, board.id).thread_count == 1


def test_an_edit_with_a_disguised_blocked_word_is_refused_and_keeps_the_words(client, make, rosa):
    moderation.add_watched_word("bitcoin", WordAction.BLOCK, make.admin())
    thread = make.thread()
    reply = make.reply(thread, author=rosa, body="Thinking of you.")
    body = "Thinking of you. Pay in **bit**co\u0456n for the cure"
    response = submit(client, f"/p/{reply.id}/edit", {"body": body})
    assert response.status_code == 200
    assert "doesn't allow (bitcoin)" in unescape(response.text)
    assert body in unescape(response.text)
    assert db.session.get(Post, reply.id).source == "Thinking of you."


def test_an_edit_with_a_flag_word_opens_a_case_for_the_moderators(client, make, rosa):
    moderation.add_watched_word("supplement", WordAction.FLAG, make.admin())
    thread = make.thread()
    reply = make.reply(thread, author=rosa, body="Thinking of you.")
    submit(client, f"/p/{reply.id}/edit", {"body": "This supplement cured my friend."})
    assert db.session.get(Post, reply.id).state is PostState.VISIBLE
    case = db.session.scalar(select(Case))
    assert case.post_id == reply.id
    assert db.session.scalar(select(Report.note)) == "Watched words: supplement"


def test_tidying_words_a_moderator_already_approved_does_not_send_them_back(client, make, rosa):
    moderation.add_watched_word("wire transfer", WordAction.HOLD, make.admin())
    moderation.add_watched_word("supplement", WordAction.FLAG, make.admin())
    thread = make.thread()
    body = "They asked for a wire transfer, so I said no. Same with the supplement."
    submit(client, f"/t/{thread.id}/reply", {"body": body})
    reply = db.session.scalar(select(Post).order_by(Post.id.desc()))
    moderator = make.moderator()
    moderation.approve_post(reply, moderator)
    moderation.resolve_case(db.session.scalar(select(Case.id)), moderator,
                            moderation.Resolution.DISMISSED)  # fmt: skip

    submit(client, f"/p/{reply.id}/edit", {"body": body.replace("so I said", "and I said")})
    assert db.session.get(Post, reply.id).state is PostState.VISIBLE
    assert count(Case, Case.status == moderation.CaseStatus.OPEN) == 0


@pytest.mark.parametrize(
    ("trusted", "before", "after", "waits"),
    [
        (False, "Thinking of you.", "Thinking of you. http://scam-bank.example", True),
        (False, "Thinking of you.", "Thinking of [you](https://scam-bank.example).", True),
        (False, "[Read this](https://www.cancer.gov)", "[Read this](https://scam.example)", True),
        (False, "See https://www.cancer.gov", "See https://www.cancer.gov. Hugs.", False),
        (False, "Thinking of you.", "Thinking of you all.", False),
        (True, "Thinking of you.", "See https://www.cancer.gov", False),
    ],
)
def test_a_new_members_edit_that_adds_a_link_waits_as_their_posts_do(
    client, make, default_gates, trusted, before, after, waits
):
    thread = make.thread(author=make.earn_trust(make.member("rosa")))
    vic = make.earn_trust(make.member("vic")) if trusted else make.member("vic")
    reply = posting.reply(thread, vic, before)
    if reply.is_held:
        moderation.approve_post(reply, make.moderator())
    log_in(client, vic)
    submit(client, f"/p/{reply.id}/edit", {"body": after})
    edited = db.session.get(Post, reply.id)
    assert edited.source == after
    assert edited.is_held is waits


def test_staff_edits_are_not_screened(client, make, rosa):
    moderation.add_watched_word("wire transfer", WordAction.HOLD, make.admin())
    thread = make.thread()
    reply = make.reply(thread, author=rosa, body="Call me about the wire money.")
    switch_to(client, make.moderator())
    body = "[Edited: we never ask for a wire transfer.]"
    submit(client, f"/mod/p/{reply.id}/edit", {"body": body, "reason": "Scam warning"})
    edited = db.session.get(Post, reply.id)
    assert edited.source == body and edited.state is PostState.VISIBLE
    assert count(Case) == 0
