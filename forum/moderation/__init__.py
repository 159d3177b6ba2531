"""The moderators' area under /mod: queues, curation, members in trouble, the log.

The whole blueprint is guarded once, in ``before_request``: visitors are sent to log in
and members get a 403, whichever route they try.
"""

from flask import Blueprint, abort
from flask_login import current_user

from .. import policy
from ..extensions import login_manager

bp = Blueprint("moderation", __name__, url_prefix="/mod")


@bp.before_request
def staff_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.can_moderate(current_user):
        abort(403)
    return None


from . import routes  # noqa: E402,F401
