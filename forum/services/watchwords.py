"""Finding watched words and phrases in what members write.

Matching is whole-word and case-insensitive in any script: "scam" matches "Scam!" but
not "scampi", and a phrase matches across any run of spaces or line breaks.
"""

import re
import unicodedata
from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..models import WatchedWord, WordAction


def phrase_key(phrase: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", phrase).casefold().split())


def pattern_for(phrase: str) -> str:
    words = [re.escape(word) for word in phrase_key(phrase).split()]
    # Lookarounds, not \b: a phrase may begin or end with punctuation ("c.o.d.", "$$$").
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


def find(text: str) -> dict[WordAction, list[str]]:
    """Every watched phrase found in ``text``, grouped by what should happen."""
    words = db.session.scalars(select(WatchedWord)).all()
    if not words:
        return {}
    folded = unicodedata.normalize("NFKC", text).casefold()
    found: dict[WordAction, list[str]] = defaultdict(list)
    for word in words:
        if re.search(pattern_for(word.phrase), folded):
            found[word.action].append(word.phrase)
    return dict(found)
