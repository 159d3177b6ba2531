"""Private conversations between members, at /messages.

Only the members of a conversation ever see it: staff included, everyone else gets a 404.
"""

from flask import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/messages")

from . import routes  # noqa: E402,F401
