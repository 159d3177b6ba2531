"""Error pages in the site's own layout, each saying what to do next."""

import logging

from flask import Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import limits, policy
from .extensions import db
from .navigation import referring_path
from .request_log import loggable_path

log = logging.getLogger(__name__)

# Fields never written back into a page, even to the person who typed them (the password
# forms' fields: register and reset, then the password change in settings).
SECRET_FIELDS = frozenset({"csrf_token", "password", "confirm", "current", "new"})


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, resubmit_page)
    app.register_error_handler(RateLimitExceeded, wait_page)
    app.register_error_handler(HTTPException, http_error_page)
    app.register_error_handler(Exception, unexpected_error_page)


def resubmit_page(error: CSRFError):
    """An expired or missing form token: offer the typed words back with a fresh token.

    A long reply written over an hour must not be lost to a timeout, so rather than a bare
    error the person gets their text in a form they can send again. That form carries a
    valid token, so it is only offered to what is plausibly the member's own request:
    otherwise another site could post words of its choosing and have us dress them up as
    a one-click form.
    """
    if not is_plausibly_own_request():
        # Echoes nothing and, for someone without a session, starts none.
        return render_template("errors/400.html"), 400
    kept = [
        (name, value) for name, value in request.form.items(multi=True) if name not in SECRET_FIELDS
    ]
    return render_template("errors/resubmit.html", fields=kept, action=request.path), 400


def is_plausibly_own_request() -> bool:
    """The request came with our session cookie, from a page on this site.

    Browsers that send neither Origin nor Referer (privacy settings, some extensions)
    are given the benefit of the doubt: the session cookie, which is SameSite=Lax, is
    then what keeps other sites out.
    """
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    referer = request.headers.get("Referer")
    if referer is not None:
        return referer.startswith(request.host_url)
    return True


def wait_page(error: RateLimitExceeded):
    """A form sent too often (forum/limits.py): say why and for how long, keep the words.

    The limit is checked after CSRFProtect, so the words came with this session's own form
    token: offering them back in a form to send again is as safe as the form they came from.
    """
    seconds = limits.seconds_to_wait()
    words = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in SECRET_FIELDS and name in limits.KEPT_WORDS and value.strip()
    ]
    page = render_template(
        "errors/429.html",
        why=error.description,
        wait=limits.wait_in_words(seconds),
        fields=_fields_to_send_again() if words else [],
        action=request.path,
        back=referring_path(),
        # Someone locked out of logging in may simply have forgotten their password.
        offer_reset=request.endpoint == "auth.login",
    )
    return page, 429, {"Retry-After": str(seconds)}


def _fields_to_send_again() -> list[tuple[str, str]]:
    # Everything but the secrets and the buttons that only showed a preview.
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in SECRET_FIELDS and name not in {"preview", "edit_words"}
    ]


def http_error_page(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    template = f"errors/{error.code}.html"
    return render_template([template, "errors/generic.html"], error=error), error.code


def unexpected_error_page(error: Exception):
    log.exception("Unhandled error on %s %s", request.method, loggable_path())
    # Nothing of the failed request is kept, and the page below may need to read: on
    # PostgreSQL a failed transaction refuses every statement until it is rolled back.
    try:
        db.session.rollback()
    except Exception:
        log.exception("Could not roll back after the error above")
    if request.method == "POST" and (request.form.get("body") or request.form.get("title")):
        return words_kept_page(
            "Something went wrong on our side",
            "Sorry: nothing you did caused this, and what you wrote was not saved.",
            url_for("boards.index"),
            "Go back to the boards",
            500,
        )
    return http_error_page(InternalServerError())


def words_kept_page(heading: str, explanation: str, next_url: str, next_label: str, status: int):
    """Something a member wrote could not be sent: show it back so nothing is lost."""
    return render_template(
        "kept_words.html",
        heading=heading,
        explanation=explanation,
        title=request.form.get("title", ""),
        body=request.form.get("body", ""),
        next_url=next_url,
        next_label=next_label,
    ), status


MEMBERS_ONLY = (
    "That board is for members only, so that people can talk more freely. "
    "Please log in (or join) to read it."
)


def board_refusal(board):
    """Someone may not read this board: a visitor at a members' board is asked, gently,
    to log in; anyone else finds nothing there, as if it did not exist."""
    if policy.may_log_in_to_read(current_user, board):
        flash(MEMBERS_ONLY, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(404)
