"""Members' public profiles, notifications and moderators' messages to them."""

from flask import Blueprint

bp = Blueprint("users", __name__)

from . import routes  # noqa: E402,F401
