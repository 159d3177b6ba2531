"""What every template can use: the site's name, the policy rules, and date formatting."""

import functools
import hashlib
import os
from datetime import datetime

from flask import Flask, current_app, request
from flask_login import current_user
from werkzeug.security import safe_join

from . import policy
from .config import CONTENT_NOTE_SUGGESTIONS
from .models import REPORT_REASON_LABELS, ReactionKind, ReportReason, pending_warnings_for


def register(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["date"] = human_date
    app.jinja_env.filters["iso"] = iso_date
    app.url_defaults(version_static_files)
    app.jinja_env.globals.update(
        policy=policy,
        here=here,
        reason_label=reason_label,
        pending_warnings=pending_warnings,
        present=present,
        reaction_kinds=list(ReactionKind),
        content_note_suggestions=CONTENT_NOTE_SUGGESTIONS,
    )

    @app.context_processor
    def site():
        return {"site_name": app.config["SITE_NAME"]}


def version_static_files(endpoint: str, values: dict) -> None:
    """Give each static file's address a hash of its contents (``harbor.css?v=…``).

    A proxy in front (deploy/nginx) then lets browsers keep these files for a year, and a
    release that changes one gives it a new address, so nobody is left with last month's
    stylesheet. Flask serves the file whatever ``v`` says.
    """
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = safe_join(current_app.static_folder, values["filename"])
    try:
        modified = os.stat(path).st_mtime_ns if path else None
    except OSError:
        modified = None
    if modified is not None:
        values["v"] = static_file_version(path, modified)


@functools.lru_cache(maxsize=64)
def static_file_version(path: str, modified: int) -> str:
    # Keyed by modification time too, so a file edited while Harbor runs gets a new hash.
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def human_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def iso_date(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds") + "Z"


def here() -> str:
    """This page's path and query: where to come back to after logging in."""
    return request.full_path.rstrip("?")


def reason_label(value: str | None) -> str:
    """The words readers see for why a moderator removed something."""
    try:
        return REPORT_REASON_LABELS[ReportReason(value)]
    except ValueError:
        return REPORT_REASON_LABELS[ReportReason.OTHER]


def pending_warnings():
    """Only called when the member has a warning waiting, so other pages pay nothing."""
    return pending_warnings_for(current_user)


def present(attributes: dict) -> dict:
    """HTML attributes worth writing: WTForms would print None and False as text."""
    return {name: value for name, value in attributes.items() if value not in (None, False, "")}
