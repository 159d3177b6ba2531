"""Where to send people next, safely."""

from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only ever a path on this site."""
    if not target:
        return url_for("boards.index")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return url_for("boards.index")
    return target


def referring_path() -> str:
    """The page a form was sent from, if it was one of ours."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("boards.index")
