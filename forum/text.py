"""Cleaning what people type before it is validated or stored.

Text arrives from phones, word processors and copy-paste: we normalise it to NFC, use
one kind of line ending, and drop invisible control characters. NUL is refused rather
than dropped (PostgreSQL cannot store it, and it is never typed by accident).
"""

import re
import unicodedata

NUL = "\x00"
# C0 and C1 controls except tab and newline, plus bidirectional overrides that can
# make a title read differently from what it says.
_INVISIBLE = re.compile(r"[\x01-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_BLANK = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


def clean_multiline(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    # Leading spaces are Markdown (an indented code block); leading blank lines are not.
    return _LEADING_BLANK_LINES.sub("", _INVISIBLE.sub("", text)).rstrip()


def clean_line(text: str | None) -> str | None:
    """A one-line field (a title or a name): whitespace of every kind folds to one space."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    return _BLANK.sub(" ", _INVISIBLE.sub("", text)).strip()


# Categories that never show anything: controls, format characters (zero-width spaces,
# joiners, bidi marks) and the space and line/paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Letters that render as nothing: the Hangul fillers and the blank braille pattern, a
# favourite for posting "nothing" past a check that only looks for spaces.
_BLANK_LETTERS = frozenset("\u3164\u2800\u115f\u1160\uffa0")


def is_blank(text: str) -> bool:
    """Whether ``text`` would show nothing at all on the page."""
    return all(
        character.isspace()
        or character in _BLANK_LETTERS
        or unicodedata.category(character) in _INVISIBLE_CATEGORIES
        for character in text
    )
