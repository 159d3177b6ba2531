"""Where to send people next, safely.

Every redirect target that comes from a request (a ``next`` field or argument, the
Referer) passes through ``safe_next``: it is the one place that decides what counts as
a page on this site.
"""

from urllib.parse import urlsplit

from flask import request, url_for

# Refused besides the C0 controls: DEL and the Unicode line breaks, which a proxy or a
# log reader may take for the end of a line. Among the C0 controls, CR and LF would split
# the Location header (Werkzeug raises: a 500), and browsers drop tab and newline from a
# URL before reading it, which turns "/\t/evil.example" into "//evil.example".
_LINE_BREAKING = frozenset("\x7f\x85\u2028\u2029")


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """``target`` if it is a path on this site, else ``fallback`` (the boards if not given).

    A path here starts with one "/" and holds no control character and no backslash:
    browsers read "\\" as "/", so "/\\evil.example" is another host to them. Anything
    with a scheme ("https:", "javascript:") or a host fails the first rule already.
    """
    if target and _is_path_on_this_site(target):
        return target
    return fallback or url_for("boards.index")


def _is_path_on_this_site(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    return not any(ord(character) < 0x20 or character in _LINE_BREAKING for character in target)


def referring_path() -> str:
    """The page a form was sent from, if it was one of ours; else the boards."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return url_for("boards.index")
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
