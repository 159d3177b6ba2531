"""What every template can use: the site's name, the policy rules, and date formatting."""

from datetime import datetime

from flask import Flask, request
from flask_login import current_user

from . import assets, policy
from .addresses import absolute_url
from .config import CONTENT_NOTE_SUGGESTIONS
from .models import REPORT_REASON_LABELS, ReactionKind, ReportReason, pending_warnings_for


def register(app: Flask) -> None:
    # Pages link the stylesheet and script under content-hashed names (forum/assets.py).
    assets.register(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["date"] = human_date
    app.jinja_env.filters["iso"] = iso_date
    app.jinja_env.globals.update(
        policy=policy,
        # Feeds write full links; they come from the configured address (addresses.py).
        absolute_url=absolute_url,
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
