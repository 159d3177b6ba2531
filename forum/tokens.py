"""Signed tokens for links we email: confirming an address, resetting a password, unsubscribing.

Each purpose signs with its own salt, so a token made for one can never be used for another.
A token's contents are signed, not secret: anyone holding the link can read them, so
personal details go in as a ``fingerprint``.
"""

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"
UNSUBSCRIBE = "unsubscribe"


class BadToken(Exception):
    """The link was altered, cut short, or made for something else."""


class ExpiredToken(BadToken):
    """The link was genuine but is too old."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"harbor-{purpose}")


def make(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


def fingerprint(purpose: str, text: str) -> str:
    """A keyed digest of ``text`` for a token to carry in its place: the link is bound to
    it without showing it to whoever reads the link (an address, say, in a URL log)."""
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else secret.encode()
    message = f"harbor-{purpose}\n{text}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def read(purpose: str, token: str, max_age_seconds: int | None = None) -> dict:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise ExpiredToken() from error
    except BadSignature as error:
        raise BadToken() from error
    if not isinstance(data, dict):
        raise BadToken()
    return data
