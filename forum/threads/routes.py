from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import models, policy, sharing
from ..errors import board_refusal, words_kept_page
from ..forms import ActionForm
from ..headers import noindex_if
from ..markup import render_markdown
from ..models import PostState, ReactionKind, ReportReason, ThreadState
from ..pagination import page_of_position, requested_page
from ..services import community, crisis, moderation, posting, reading
from ..services.posting import BlockedWords
from . import bp, post_html
from .forms import (
    DraftForm,
    EditOpeningPostForm,
    EditPostForm,
    NewThreadForm,
    ReplyForm,
    ReportForm,
)

HELD_MESSAGE = (
    "Thank you. A moderator will look at your post shortly (we do this for new members' "
    "first posts, to keep scams out). Until then, only you can see it."
)
EDIT_HELD_MESSAGE = (
    "Your changes are saved. A moderator will look at your post before others can see it "
    "(we check some changes, to keep scams out). Until then, only you can see it."
)


def blocked_message(error: BlockedWords) -> str:
    return (
        f"Your post uses words this community doesn't allow ({error}). "
        "Please change them and send again; your text is kept below."
    )


def silenced_or_forbidden():
    """Explain a silence rather than showing a bare 403."""
    if policy.is_member(current_user) and not policy.can_speak(current_user):
        return render_template("threads/silenced.html"), 403
    abort(403)


def visible_thread_or_404(thread_id: int) -> models.Thread:
    thread = models.thread_with_board(thread_id)
    if thread is None or not policy.can_see_thread(current_user, thread):
        abort(404)
    return thread


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
    reading = models.thread_for_reader(thread_id, current_user)
    thread = reading.thread or abort(404)
    if thread.state is ThreadState.MERGED:
        merged = visible_thread_or_404(thread.merged_into_id)
        return redirect(url_for("threads.thread", thread_id=merged.id, slug=merged.slug), 301)
    if not policy.can_read_board(current_user, thread.board):
        return board_refusal(thread.board)
    if not policy.can_see_thread(current_user, thread):
        abort(404)
    if slug != thread.slug:
        # Only the page number carries over: any other argument could steer url_for itself.
        page_number = request.args.get("page", "")
        kept = {"page": page_number} if page_number.isascii() and page_number.isdigit() else {}
        return redirect(
            url_for("threads.thread", thread_id=thread.id, slug=thread.slug, **kept), code=301
        )
    page = requested_page(posts_per_page(), thread.post_count)
    posts = models.posts_for_thread(thread, page.offset + 1, page.per_page)
    reply_box = None
    if not page.has_next and policy.can_reply(current_user, thread):
        # A quote the member asked for; otherwise whatever they left unsent last time.
        start = quoted_text(request.args.get("quote"), thread) or reading.draft
        anonymous = policy.can_post_anonymously(current_user, thread.board)
        reply_box = post_html.reply_box(thread, anonymous, start)
    rendered = post_html.rendered_posts(
        posts,
        thread,
        current_user,
        reading.generation,
        reactions=models.reactions_for(posts, current_user),
        bookmarked=models.bookmarked_among(posts, current_user),
        quote_page=page.count,
    )
    shown_upto = highest_shown(posts, rendered)
    page_html = render_template(
        "threads/thread.html",
        thread=thread,
        posts=posts,
        rendered=rendered,
        page=page,
        reply_box=reply_box,
        watching=reading.watching,
        read_upto=reading.read_upto,
        shown_upto=shown_upto,
        unread_on_page=policy.can_keep_reading_place(current_user)
        and shown_upto > (reading.read_upto or 0),
        hidden_for_review=hidden_for_review(thread, posts),
        mod_tools=moderator_tools() if policy.can_moderate(current_user, thread.board) else None,
        summary=sharing.for_thread(thread, posts, page.number),
    )
    return noindex_if(
        policy.is_hidden_from_search_engines(thread.board), post_html.fill_csrf_slots(page_html)
    )


def hidden_for_review(thread: models.Thread, posts: list[models.Post]) -> bool:
    """A thread hidden with its opening post by members' reports: no moderator hid it."""
    if not thread.is_hidden:
        return False
    opening = next((post for post in posts if post.id == thread.first_post_id), None)
    opening = opening or models.post_with_thread(thread.first_post_id)
    return opening is not None and opening.awaits_review


def highest_shown(posts: list[models.Post], rendered: dict[int, str]) -> int:
    """The number of the last post on the page this reader sees (words or placeholder).

    Posts hidden from them entirely (someone else's held post) are not rendered, so not
    "read": they show as new once a moderator lets them through.
    """
    return max((post.number for post in posts if post.id in rendered), default=0)


def is_script_request() -> bool:
    """Sent by our script (fetch), which wants a status, not a page to show."""
    return (
        request.headers.get("X-Requested-With") == "fetch"
        or request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
    )


@bp.post("/t/<int:thread_id>/read")
@login_required
def mark_read(thread_id: int):
    """The thread page says how far the member has read (on its own with JavaScript, or
    with the "Mark as read" button). Pages themselves never write."""
    thread = visible_thread_or_404(thread_id)
    if not policy.can_keep_reading_place(current_user):
        abort(403)
    number = request.form.get("number", "")
    if not (number.isascii() and number.isdigit() and len(number) <= 9):
        abort(400)
    if not 1 <= int(number) <= thread.post_count:
        abort(400)
    if ActionForm().validate_on_submit():
        reading.mark_read_upto(current_user, thread, int(number))
    if is_script_request():
        return "", 204
    flash("Marked as read.", "info")
    return redirect(
        url_for(
            "threads.thread",
            thread_id=thread.id,
            slug=thread.slug,
            page=page_of_position(int(number), posts_per_page()),
        )
    )


@bp.get("/t/<int:thread_id>/unread")
def first_unread(thread_id: int):
    """Where to start reading: the first post after the member's marker, or the latest."""
    place = models.thread_for_reader(thread_id, current_user)
    thread = place.thread or abort(404)
    if not policy.can_read_board(current_user, thread.board):
        return board_refusal(thread.board)
    if not policy.can_see_thread(current_user, thread):
        abort(404)
    post = models.first_post_after(thread, place.read_upto or 0)
    if post is not None:
        return redirect(post_url(post, thread))
    page_count = page_of_position(max(thread.post_count, 1), posts_per_page())
    return redirect(
        url_for("threads.thread", thread_id=thread.id, slug=thread.slug, page=page_count)
    )


def quoted_text(post_id: str | None, thread: models.Thread) -> str | None:
    """The reply box's opening when a member follows a post's "Quote" link."""
    if not post_id or not post_id.isascii() or not post_id.isdigit() or len(post_id) > 9:
        return None
    post = models.post_with_thread(int(post_id))
    if post is None or post.thread_id != thread.id or not policy.can_read_post(current_user, post):
        return None
    return quotation(post)


def quotation(post: models.Post) -> str:
    """A post quoted in a reply; notifications.QUOTE recognises it (harbor.js writes the
    same for a selection).

    An anonymous post is quoted as "A member wrote:", which names nobody, so quoting it
    notifies no one: not even its author, since telling them would tell the quoter too
    little to matter and risk much if the line were edited to a name.
    """
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.source.splitlines())
    return f"{post.quoted_as} wrote:\n{quoted}\n\n"


@bp.get("/p/<int:post_id>/quote")
def quote(post_id: int):
    """The text "Quote" puts in the reply box, for harbor.js to insert without a reload."""
    return {"text": quotation(readable_post_or_404(post_id))}


@bp.post("/drafts/save")
@login_required
def save_draft():
    """Autosave from harbor.js: keep what the member is typing, answer 204 and nothing more.

    Checked like the forms it mirrors; drafts are restored when the form loads again.
    """
    form = DraftForm()
    if not form.validate_on_submit():
        abort(400)
    thread_id, slug = form.thread_id.data or "", form.board_slug.data or ""
    if bool(thread_id) == bool(slug):
        abort(400)
    if thread_id:
        if not (thread_id.isascii() and thread_id.isdigit()):
            abort(400)
        thread = models.thread_with_board(int(thread_id))
        if thread is None or not policy.can_see_thread(current_user, thread):
            abort(404)
        if not policy.can_reply(current_user, thread):
            abort(403)
        community.autosave_draft(current_user, form.body.data or "", thread=thread)
    else:
        board = models.board_by_slug(slug)
        if board is None or not policy.can_read_board(current_user, board):
            abort(404)
        if not policy.can_start_thread(current_user, board):
            abort(403)
        community.autosave_draft(
            current_user, form.body.data or "", board=board, title=form.title.data or None
        )
    return "", 204


@bp.post("/p/<int:post_id>/react")
@login_required
def react(post_id: int):
    post, thread = post_allowed_or_abort(post_id, policy.can_react)
    kind = request.form.get("kind", "")
    offered = {kind.value for kind in policy.reaction_kinds(thread.board)}
    if ActionForm().validate_on_submit() and kind in offered:
        community.toggle_reaction(post, current_user, ReactionKind(kind))
    return redirect(post_url(post, thread))


@bp.post("/p/<int:post_id>/bookmark")
@login_required
def bookmark(post_id: int):
    post, thread = post_allowed_or_abort(
        post_id, lambda user, post, thread: policy.can_bookmark(user, post, thread)
    )
    if ActionForm().validate_on_submit():
        saved = community.toggle_bookmark(post, current_user)
        flash("Saved to your bookmarks." if saved else "Removed from your bookmarks.", "info")
    return redirect(post_url(post, thread))


@bp.get("/p/<int:post_id>/reactions")
def reactions(post_id: int):
    post = readable_post_or_404(post_id)
    return render_template(
        "threads/reactions.html", post=post, thread=post.thread, reactors=models.reactors_of(post)
    )


@bp.post("/t/<int:thread_id>/<any(watch, unwatch):choice>")
@login_required
def watch(thread_id: int, choice: str):
    thread = visible_thread_or_404(thread_id)
    if ActionForm().validate_on_submit():
        community.set_thread_watch(thread, current_user, watching=choice == "watch")
        flash("You'll be told about new replies here." if choice == "watch"
              else "You won't be told about new replies here.", "info")  # fmt: skip
    return redirect(url_for("threads.thread", thread_id=thread.id, slug=thread.slug))


def moderator_tools() -> dict:
    """What the moderator menu on a thread offers: where to move it. Each post's own forms
    are on its moderation page, so a long thread stays light."""
    return {"boards": models.all_boards()}


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str):
    board = models.board_by_slug(slug)
    if board is None:
        return board_gone()
    if not policy.can_read_board(current_user, board):
        abort(404)
    if not policy.can_start_thread(current_user, board):
        return silenced_or_forbidden()
    form = NewThreadForm()
    if form.validate_on_submit() and (form.preview.data or form.edit_words.data):
        community.save_draft(current_user, form.body.data, board=board, title=form.title.data)
        preview = render_markdown(form.body.data) if form.preview.data else None
        return render_template("threads/new.html", board=board, form=form, preview=preview)
    if not form.is_submitted():
        draft = community.draft_for(current_user, board)
        if draft is not None:
            form.title.data, form.body.data = draft.title, draft.body
    if form.validate_on_submit():
        title, body = form.title.data, form.body.data
        post = posting.recent_duplicate_thread(board, current_user, title, body)
        words = posting.words_of(body, title, form.content_note)
        if post is None and form.pauses_for(posting.crisis_words(current_user, words)):
            community.save_draft(current_user, body, board=board, title=title)
            return render_template(
                "threads/new.html", board=board, form=form, crisis_lines=crisis.lines()
            )
        try:
            if post is not None:
                flash("You had already started this thread, so we didn't post it twice.", "info")
            else:
                anonymous = form.anonymous.data and policy.can_post_anonymously(current_user, board)
                post = posting.start_thread(
                    board, current_user, title, body,
                    content_note=form.content_note, anonymous=anonymous,
                )  # fmt: skip
                flash(HELD_MESSAGE if post.is_held else "Your thread is up. Thank you for sharing.",
                      "success")  # fmt: skip
            return redirect(post_url(post, models.thread_with_board(post.thread_id)))
        except BlockedWords as error:
            form.body.errors.append(blocked_message(error))
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
        form.body.errors = [reply_refusal(thread)]
        return render_template("threads/reply.html", thread=thread, form=form), 409
    if not form.validate_on_submit():
        return render_template("threads/reply.html", thread=thread, form=form)
    if form.preview.data or form.edit_words.data:
        community.save_draft(current_user, form.body.data, thread=thread)
        preview = render_markdown(form.body.data) if form.preview.data else None
        return render_template("threads/reply.html", thread=thread, form=form, preview=preview)
    post = posting.recent_duplicate_reply(thread, current_user, form.body.data)
    if post is not None:
        flash("That reply was already posted, so we didn't post it twice.", "info")
        return redirect(post_url(post, thread))
    words = posting.words_of(form.body.data, content_note=form.content_note)
    if form.pauses_for(posting.crisis_words(current_user, words)):
        community.save_draft(current_user, form.body.data, thread=thread)
        return render_template(
            "threads/reply.html", thread=thread, form=form, crisis_lines=crisis.lines()
        )
    try:
        anonymous = form.anonymous.data and policy.can_post_anonymously(current_user, thread.board)
        post = posting.reply(
            thread, current_user, form.body.data,
            content_note=form.content_note, anonymous=anonymous,
        )  # fmt: skip
    except BlockedWords as error:
        form.body.errors.append(blocked_message(error))
        return render_template("threads/reply.html", thread=thread, form=form)
    flash(HELD_MESSAGE if post.is_held else "Your reply is posted.", "success")
    return redirect(post_url(post, thread))


def board_gone():
    if request.method != "POST":
        abort(404)
    return words_kept_page(
        "That board is no longer here",
        "The board was moved or removed while you were writing, so your thread wasn't started.",
        url_for("boards.index"),
        "Choose a board",
        404,
    )


def reply_refusal(thread: models.Thread) -> str:
    keep = " Your words are below so you can keep them."
    if not policy.can_speak(current_user):
        return "Your account can't post at the moment." + keep
    if not policy.can_see_thread(current_user, thread):
        return "This thread is no longer available." + keep
    return "This thread has been locked, so replies are closed." + keep


@bp.get("/p/<int:post_id>")
def post(post_id: int):
    post = models.post_with_thread(post_id) or abort(404)
    if not policy.can_read_board(current_user, post.thread.board):
        return board_refusal(post.thread.board)
    visible = policy.can_read_post(current_user, post) or policy.shows_placeholder(
        current_user, post
    )
    if not visible or not policy.can_see_thread(current_user, post.thread):
        abort(404)
    return redirect(post_url(post, post.thread))


@bp.route("/p/<int:post_id>/report", methods=["GET", "POST"])
@login_required
def report(post_id: int):
    post, thread = post_allowed_or_abort(
        post_id, lambda user, post, _: policy.can_report(user, post)
    )
    form = ReportForm()
    if form.validate_on_submit():
        filed = moderation.report_post(
            post, current_user, ReportReason(form.reason.data), form.note.data or ""
        )
        flash("Thank you for telling us. A moderator will look at it soon." if filed
              else "You've already reported this post. A moderator will look at it soon.",
              "success")  # fmt: skip
        return redirect(post_url(post, thread))
    return render_template("threads/report.html", post=post, thread=thread, form=form)


def readable_post_or_404(post_id: int) -> models.Post:
    """The post (with its thread), if this reader may read its words where it stands.

    A post they may not read answers 404 on every route, as one that does not exist: a
    403 would tell them that a held post, or one in a hidden thread, is there.
    """
    post = models.post_with_thread(post_id) or abort(404)
    if not (
        policy.can_read_post(current_user, post)
        and policy.can_see_thread(current_user, post.thread)
    ):
        abort(404)
    return post


def post_allowed_or_abort(post_id: int, rule) -> tuple[models.Post, models.Thread]:
    """The post and its thread, if this member may read it (404) and ``rule`` lets them
    act (403)."""
    post = readable_post_or_404(post_id)
    if not rule(current_user, post, post.thread):
        abort(403)
    return post, post.thread


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post, thread = post_allowed_or_abort(post_id, policy.can_edit_post)
    form_class = EditOpeningPostForm if post.is_opening_post else EditPostForm
    form = form_class(
        data={"body": post.source, "title": thread.title, **form_class.note_data(post.content_note)}
    )
    if form.validate_on_submit() and not form.edit_words.data:
        title = form.title.data if post.is_opening_post else None
        new_words = posting.crisis_words_in_edit(
            post, current_user, form.body.data, title, form.content_note
        )
        if form.pauses_for(new_words):
            return render_template(
                "threads/edit.html", post=post, thread=thread, form=form,
                crisis_lines=crisis.lines(),
            )  # fmt: skip
        try:
            posting.edit_post(
                post, current_user, form.body.data, title=title, content_note=form.content_note
            )
        except BlockedWords as error:
            form.body.errors.append(blocked_message(error))
        else:
            flash(EDIT_HELD_MESSAGE if post.is_held else "Your changes are saved.", "success")
            return redirect(post_url(post, thread))
    return render_template("threads/edit.html", post=post, thread=thread, form=form)


@bp.route("/p/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id: int):
    """GET asks "are you sure?"; the POST from that page deletes."""
    post = models.post_with_thread(post_id) or abort(404)
    if post.state is PostState.DELETED and post.author_id == current_user.id:
        # A second click on "Yes, delete it": the first one already did.
        flash("That post is already deleted.", "info")
        return redirect(post_url(post, post.thread))
    post, thread = post_allowed_or_abort(post_id, policy.can_delete_post)
    form = ActionForm()
    if form.validate_on_submit():
        posting.delete_post(post)
        flash("Your post is deleted. A short note shows where it was.", "info")
        return redirect(post_url(post, thread))
    return render_template("threads/delete.html", post=post, thread=thread, form=form)
