from flask import abort, render_template

from .. import models
from . import bp

RECENT_POSTS = 20


@bp.get("/u/<username>")
def profile(username: str):
    member = models.member_by_username(username) or abort(404)
    posts = models.recent_posts_by(member, RECENT_POSTS)
    return render_template("users/profile.html", member=member, posts=posts)
