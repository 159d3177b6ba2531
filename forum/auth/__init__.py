"""Registering, logging in and out."""

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy import select

from .. import policy
from ..errors import words_kept_page
from ..extensions import db
from ..models import User
from ..navigation import referring_path

bp = Blueprint("auth", __name__)


def init_login(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue. It only takes a moment."
    login_manager.login_message_category = "info"

    @login_manager.unauthorized_handler
    def ask_to_log_in():
        if request.method == "POST" and (request.form.get("body") or request.form.get("title")):
            # Logged out while writing (another tab, an expired session): keep the words.
            return words_kept_page(
                "Please log in again",
                "You were logged out before this could be sent, so it hasn't been posted.",
                url_for("auth.login", next=referring_path()),
                "Log in and go back",
                401,
            )
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        user = db.session.scalar(select(User).where(User.session_token == session_token))
        # A suspension also ends sessions that began before it.
        if user is None or policy.is_suspended(user) or not policy.can_log_in(user):
            return None
        return user


from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
