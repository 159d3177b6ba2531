from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import models, policy
from ..forms import ActionForm
from ..pagination import page_of_position, requested_page
from ..services import posting
from . import bp
from .forms import EditOpeningPostForm, EditPostForm, NewThreadForm, ReplyForm


def posts_per_page() -> int:
    return current_app.config["POSTS_PER_PAGE"]


def post_url(post: models.Post, thread: models.Thread) -> str:
    return url_for(
        "threads.thread",
        thread_id=thread.id,
        slug=thread.slug,
        page=page_of_position(post.number, posts_per_page()),
        _anchor=f"p{post.id}",
    )


@bp.get("/t/<int:thread_id>")
@bp.get("/t/<int:thread_id>/<slug>")
def thread(thread_id: int, slug: str | None = None):
    thread = models.thread_with_board(thread_id) or abort(404)
    if slug != thread.slug:
        return redirect(
            url_for("threads.thread", thread_id=thread.id, slug=thread.slug, **request.args),
            code=301,
        )
    page = requested_page(posts_per_page(), thread.post_count)
    posts = models.posts_for_thread(thread, page.offset + 1, page.per_page)
    reply_form = (
        ReplyForm() if not page.has_next and policy.can_reply(current_user, thread) else None
    )
    return render_template(
        "threads/thread.html",
        thread=thread,
        posts=posts,
        page=page,
        reply_form=reply_form,
        action_form=ActionForm(),
    )


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str):
    board = models.board_by_slug(slug) or abort(404)
    if not policy.can_start_thread(current_user):
        abort(403)
    form = NewThreadForm()
    if form.validate_on_submit():
        title, body = form.title.data, form.body.data
        post = posting.recent_duplicate_thread(board, current_user, title, body)
        if post is not None:
            flash("You had already started this thread, so we didn't post it twice.", "info")
        else:
            post = posting.start_thread(board, current_user, title, body)
            flash("Your thread is up. Thank you for sharing.", "success")
        return redirect(post_url(post, models.thread_with_board(post.thread_id)))
    return render_template("threads/new.html", board=board, form=form)


@bp.post("/t/<int:thread_id>/reply")
@login_required
def reply(thread_id: int):
    thread = models.thread_with_board(thread_id)
    form = ReplyForm()
    if thread is None:
        # Keep the words even when the thread has gone: they may have taken an hour to write.
        form.body.errors = [
            "This thread no longer exists. Your words are below so you can keep them."
        ]
        return render_template("threads/reply.html", thread=None, form=form), 404
    if not policy.can_reply(current_user, thread):
        form.body.errors = ["This thread has been locked, so replies are closed. "
                            "Your words are below so you can keep them."]  # fmt: skip
        return render_template("threads/reply.html", thread=thread, form=form), 409
    if not form.validate_on_submit():
        return render_template("threads/reply.html", thread=thread, form=form)
    post = posting.recent_duplicate_reply(thread, current_user, form.body.data)
    if post is not None:
        flash("That reply was already posted, so we didn't post it twice.", "info")
    else:
        post = posting.reply(thread, current_user, form.body.data)
        flash("Your reply is posted.", "success")
    return redirect(post_url(post, thread))


@bp.get("/p/<int:post_id>")
def post(post_id: int):
    post = models.post_with_thread(post_id) or abort(404)
    return redirect(post_url(post, post.thread))


def post_allowed_or_abort(post_id: int, rule) -> tuple[models.Post, models.Thread]:
    """The post and its thread, if it exists (404) and ``rule`` lets this member act (403)."""
    post = models.post_with_thread(post_id) or abort(404)
    if not rule(current_user, post, post.thread):
        abort(403)
    return post, post.thread


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post, thread = post_allowed_or_abort(post_id, policy.can_edit_post)
    form_class = EditOpeningPostForm if post.is_opening_post else EditPostForm
    form = form_class(data={"body": post.source, "title": thread.title})
    if form.validate_on_submit():
        title = form.title.data if post.is_opening_post else None
        posting.edit_post(post, current_user, form.body.data, title=title)
        flash("Your changes are saved.", "success")
        return redirect(post_url(post, thread))
    return render_template("threads/edit.html", post=post, thread=thread, form=form)


@bp.route("/p/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id: int):
    """GET asks "are you sure?"; the POST from that page deletes."""
    post, thread = post_allowed_or_abort(post_id, policy.can_delete_post)
    form = ActionForm()
    if form.validate_on_submit():
        posting.delete_post(post)
        flash("Your post is deleted. A short note shows where it was.", "info")
        return redirect(post_url(post, thread))
    return render_template("threads/delete.html", post=post, thread=thread, form=form)
