"""Atom feeds of new threads in a board and new posts in a thread."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from . import routes  # noqa: E402,F401
