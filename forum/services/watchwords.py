"""Finding watched words and phrases in what members write.

Matching is whole-word, in any case or script, and sees through the usual disguises
(forum/phrase_matching.py): "scam" matches "Scam!", "S\u200bcam" and "**sc**am" but not
"scampi", and a phrase matches across spaces, line breaks, hyphens or punctuation.
"""

import unicodedata
from collections import defaultdict

from sqlalchemy import select

from .. import phrase_matching
from ..extensions import db
from ..models import WatchedWord, WordAction


def phrase_key(phrase: str) -> str:
    """The phrase as stored to tell one watched word from another (not how it matches)."""
    return " ".join(unicodedata.normalize("NFKC", phrase).casefold().split())


def find(text: str) -> dict[WordAction, list[str]]:
    """Every watched phrase found in ``text``, grouped by what should happen."""
    words = db.session.scalars(select(WatchedWord)).all()
    if not words:
        return {}
    readings = phrase_matching.readings(text)
    found: dict[WordAction, list[str]] = defaultdict(list)
    for word in words:
        if phrase_matching.occurs(phrase_matching.pattern_for(word.phrase), readings):
            found[word.action].append(word.phrase)
    return dict(found)
