"""Watched words however they are disguised, and edits screened as new posts are."""

from html import unescape

import pytest

from forum.extensions import db
from forum.models import Post, WordAction
from forum.services import crisis, moderation, watchwords

from .factories import count, log_in, submit

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
        # Accents are letters of their own: "crème" is not "creme".
        ("crème", "creme brûlée", False),
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
