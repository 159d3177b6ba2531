"""Finding a phrase in what members write, however it is spelt: the watched words and the
crisis phrases both look for theirs this way.

Phrase and text are folded alike before they are compared: invisible characters dropped,
compatibility forms (fullwidth, mathematical letters), case and accents folded, letters from other
scripts that pass for Latin read as Latin, and punctuation read as a space. The text is
read twice, as typed and as it reads once its Markdown is rendered, so "**bit**coin"
is "bitcoin". A phrase matches whole words only: "cure" is not found in "secure", nor
"bitcoin" in "bitcoins" (admins add the plural if they want it).
"""

import re
import unicodedata
from functools import lru_cache

from .markup import rendered_text

# Invisible in the middle of a word: every format character (Unicode's Cf: zero-width
# spaces and joiners, the soft hyphen, bidi marks, the byte order mark), plus the
# combining grapheme joiner and the variation selectors, which draw nothing either.
_ALSO_INVISIBLE = frozenset("\u034f") | frozenset(map(chr, range(0xFE00, 0xFE10)))

# Deliberately small: the everyday Cyrillic, Greek and Armenian letters that pass for
# Latin ones in ordinary fonts, not Unicode's whole table of confusables (which would
# also fold letters no one mistakes). Keyed by lower case, since folding comes after
# case folding; capitals that look Latin in upper case only (В, Н, Т, М) are read by
# their capital's look, so "ВІТСОІN" reads "bitcoin" and "кредит" still matches "КРЕДИТ".
_LOOKS_LATIN = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "і": "i", "ј": "j", "к": "k",
        "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x",
        "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
        # Greek
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x",
        # Armenian, and Latin letters that are not the usual ones
        "ո": "n", "ս": "u", "օ": "o", "ı": "i", "ɡ": "g",
        # The apostrophe phones type as a letter; punctuation becomes a space below.
        "\u02bc": "'",
    }
)  # fmt: skip
_NEVER = re.compile(r"(?!)")


def fold(text: str) -> str:
    """``text`` as phrases are compared: "Bitcoin" with a zero-width space inside, or with
    a Cyrillic "і", folds to "bitcoin"; "MIRACLE-CURE" folds to "miracle cure"."""
    visible = "".join(
        character
        for character in text
        if unicodedata.category(character) != "Cf" and character not in _ALSO_INVISIBLE
    )
    # Case folding can leave text that NFKC would change again ("ǰ"), so NFKC twice.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    # Accents and other marks set on a letter ("mïracle", "curé", or a combining accent
    # typed after the letter) do not make it another word.
    folded = "".join(
        character
        for character in unicodedata.normalize("NFD", folded)
        if unicodedata.category(character) != "Mn"
    )
    return "".join(
        " " if unicodedata.category(character).startswith("P") else character
        for character in folded.translate(_LOOKS_LATIN)
    )


def pattern_for(phrase: str) -> re.Pattern:
    """A pattern that finds ``phrase`` as whole words in folded text."""
    words = [re.escape(word) for word in fold(phrase).split()]
    if not words:
        return _NEVER  # a phrase of punctuation alone would otherwise match everywhere
    # Lookarounds, not \b: a phrase may begin or end with a symbol ("$$$").
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


# A post is read by the watched words and the crisis phrases alike: remember the last few.
@lru_cache(maxsize=16)
def readings(text: str) -> tuple[str, ...]:
    """``text`` folded as typed and as it reads rendered: search each for a phrase."""
    return tuple(dict.fromkeys((fold(text), fold(rendered_text(text)))))


def occurs(pattern: re.Pattern, texts: tuple[str, ...]) -> bool:
    return any(pattern.search(text) for text in texts)
