"""Reading threads, starting them, replying, and editing or deleting one's own posts."""

from flask import Blueprint

bp = Blueprint("threads", __name__)

from . import routes  # noqa: E402,F401
