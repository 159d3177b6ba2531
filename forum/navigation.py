"""Where to send people next, safely."""

from urllib.parse import urlsplit

from flask import url_for


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
