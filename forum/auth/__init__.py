"""Registering, logging in and out."""

from flask import Blueprint
from sqlalchemy import select

from .. import policy
from ..extensions import db
from ..models import User

bp = Blueprint("auth", __name__)


def init_login(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue. It only takes a moment."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        user = db.session.scalar(select(User).where(User.session_token == session_token))
        # A suspension also ends sessions that began before it.
        if user is None or policy.is_suspended(user) or not policy.can_log_in(user):
            return None
        return user


from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
