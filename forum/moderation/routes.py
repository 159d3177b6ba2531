from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import models, policy
from ..forms import choices
from ..models import REPORT_REASON_CHOICES, ReportReason, Resolution, Role, WordAction, utcnow
from ..pagination import requested_page
from ..services import member_data, moderation, site_pages
from ..services.moderation import AlreadyHandled
from ..threads import post_html
from . import bp
from .forms import (
    BoardSettingsForm,
    ContentNoteForm,
    DeleteAccountForm,
    HidePostForm,
    LogFilterForm,
    MentorForm,
    MergeForm,
    MoveForm,
    NoteForm,
    ReasonForm,
    RememberForm,
    RenameForm,
    RequiredReasonForm,
    ResolveForm,
    RoleForm,
    SanctionForm,
    SitePageForm,
    SplitForm,
    StaffEditForm,
    WordForm,
)

QUEUE_PAGE_SIZE = 25
LOG_PAGE_SIZE = 50
MEMBER_RECENT = 30
# Beside an urgent case, the member's latest posts: how they have been lately.
URGENT_RECENT_POSTS = 10
ALREADY_HANDLED = "Another moderator has already dealt with this. Nothing more was changed."
THREAD_UNCHANGED = (
    "Nothing was changed: only a visible thread can be hidden and only a hidden one "
    "restored (a thread waiting for approval is approved from the queue)."
)


def thread_or_404(thread_id: int) -> models.Thread:
    return models.thread_with_board(thread_id) or abort(404)


def post_or_404(post_id: int) -> models.Post:
    return models.post_with_thread(post_id) or abort(404)


def back_to_thread(thread: models.Thread):
    return redirect(url_for("threads.thread", thread_id=thread.id, slug=thread.slug))


def back_to_post(post: models.Post):
    return redirect(url_for("threads.post", post_id=post.id))


def refused(form, fallback):
    """A moderator form that did not validate: say why, and go back where they were."""
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    return fallback


@bp.get("")
def home():
    counts = {
        "urgent": models.count_open_cases(urgent_only=True),
        "reports": models.count_open_cases(),
        "held": models.count_held_posts(),
        "auto_hidden": models.count_open_cases(auto_hidden_only=True),
    }
    return render_template("moderation/home.html", counts=counts)


# Reports


@bp.get("/reports")
def reports():
    page = requested_page(QUEUE_PAGE_SIZE, models.count_open_cases())
    cases = models.open_cases(page.offset, page.per_page)
    # Not for an anonymous post: a list under the author's name would reveal who wrote it.
    at_risk = [case.subject_id for case in cases if case.is_urgent and not is_anonymous(case)]
    return render_template(
        "moderation/reports.html", cases=cases, page=page, form=ResolveForm(),
        recent_posts=models.recent_posts_of(at_risk, URGENT_RECENT_POSTS),
    )  # fmt: skip


def is_anonymous(case) -> bool:
    return not case.is_about_message and case.post.is_anonymous


@bp.post("/cases/<int:case_id>/resolve")
def resolve_case(case_id: int):
    models.case_by_id(case_id) or abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".reports")))
    try:
        moderation.resolve_case(case_id, current_user, Resolution(form.resolution.data),
                                form.reason.data)  # fmt: skip
    except AlreadyHandled:
        flash(ALREADY_HANDLED, "info")
    else:
        flash("Done. The report is closed.", "success")
    return redirect(url_for(".reports"))


# First posts waiting for approval


@bp.get("/queue")
def queue():
    page = requested_page(QUEUE_PAGE_SIZE, models.count_held_posts())
    posts = models.held_posts(page.offset, page.per_page)
    return render_template("moderation/queue.html", posts=posts, page=page, form=ReasonForm())


@bp.post("/p/<int:post_id>/<any(approve, reject):decision>")
def decide(post_id: int, decision: str):
    post = post_or_404(post_id)
    form = RequiredReasonForm() if decision == "reject" else ReasonForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".queue")))
    action = moderation.approve_post if decision == "approve" else moderation.reject_post
    try:
        action(post, current_user, form.reason.data)
    except AlreadyHandled:
        flash(ALREADY_HANDLED, "info")
    else:
        flash("Approved: the post is now public." if decision == "approve"
              else "Rejected. The author has been told why.", "success")  # fmt: skip
    return redirect(url_for(".queue"))


# Curating threads


THREAD_TOGGLES = {
    "pin": (moderation.set_pinned, True, "Pinned to the top of its board."),
    "unpin": (moderation.set_pinned, False, "Unpinned."),
    "lock": (moderation.set_locked, True, "Locked: no more replies."),
    "unlock": (moderation.set_locked, False, "Unlocked: replies are open again."),
    "hide": (moderation.set_thread_hidden, True, "Hidden from everyone but staff and its author."),
    "restore": (moderation.set_thread_hidden, False, "Restored: everyone can see it again."),
}


@bp.post("/t/<int:thread_id>/<any(pin, unpin, lock, unlock, hide, restore):action>")
def toggle_thread(thread_id: int, action: str):
    thread = thread_or_404(thread_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return refused(form, back_to_thread(thread))
    change, value, message = THREAD_TOGGLES[action]
    try:
        change(thread, current_user, value, form.reason.data)
    except AlreadyHandled:
        flash(THREAD_UNCHANGED, "info")
    else:
        flash(message, "success")
    return back_to_thread(thread)


@bp.post("/t/<int:thread_id>/move")
def move(thread_id: int):
    thread = thread_or_404(thread_id)
    form = MoveForm()
    form.board.choices = choices((board.slug, board.name) for board in models.all_boards())
    if not form.validate_on_submit():
        return refused(form, back_to_thread(thread))
    board = models.board_by_slug(form.board.data)
    moderation.move_thread(thread, current_user, board, form.reason.data)
    flash(f"Moved to {board.name}.", "success")
    return back_to_thread(thread)


@bp.post("/t/<int:thread_id>/rename")
def rename(thread_id: int):
    thread = thread_or_404(thread_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return refused(form, back_to_thread(thread))
    moderation.rename_thread(thread, current_user, form.title.data, form.reason.data)
    flash("Renamed.", "success")
    return back_to_thread(thread)


@bp.post("/t/<int:thread_id>/merge")
def merge(thread_id: int):
    thread = thread_or_404(thread_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return refused(form, back_to_thread(thread))
    into = models.thread_with_board(form.into.data)
    if into is None or into.id == thread.id or not into.is_visible:
        flash("There is no other visible thread with that number to merge into.", "error")
        return back_to_thread(thread)
    moderation.merge_threads(thread, into, current_user, form.reason.data)
    flash(f"Merged into “{into.title}”. The old address now leads here.", "success")
    return back_to_thread(into)


@bp.route("/t/<int:thread_id>/split", methods=["GET", "POST"])
def split(thread_id: int):
    thread = thread_or_404(thread_id)
    posts = models.posts_for_thread(thread, 1, thread.post_count)
    form = SplitForm()
    form.posts.choices = choices(
        (post.id, f"#{post.number}") for post in posts if post.id != thread.first_post_id
    )
    if form.validate_on_submit():
        if not form.posts.data:
            form.posts.errors.append("Choose at least one reply to move.")
        else:
            new = moderation.split_thread(
                thread, current_user, form.posts.data, form.title.data, form.reason.data
            )
            flash(f"Moved {len(form.posts.data)} replies into a new thread.", "success")
            return back_to_thread(new)
    return render_template("moderation/split.html", thread=thread, posts=posts, form=form)


# Curating posts


@bp.get("/p/<int:post_id>")
def moderate_post(post_id: int):
    """One post with every moderation form for it, linked from the post in its thread."""
    post = post_or_404(post_id)
    return render_template(
        "moderation/post.html",
        post=post,
        thread=post.thread,
        view=post_html.viewing(current_user, post, post.thread),
        categories=REPORT_REASON_CHOICES,
    )


@bp.post("/p/<int:post_id>/hide")
def hide_post(post_id: int):
    post = post_or_404(post_id)
    form = HidePostForm()
    if not form.validate_on_submit():
        return refused(form, back_to_post(post))
    moderation.hide_post(post, current_user, ReportReason(form.category.data), form.reason.data)
    flash("Hidden. Readers see that a moderator removed it, and why.", "success")
    return back_to_post(post)


@bp.post("/p/<int:post_id>/restore")
def restore_post(post_id: int):
    post = post_or_404(post_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return refused(form, back_to_post(post))
    try:
        moderation.restore_post(post, current_user, form.reason.data)
    except moderation.NotRestorable:
        flash("Only a hidden post can be restored: a post its author deleted stays deleted, "
              "and a waiting one is approved from the queue.", "error")  # fmt: skip
    else:
        flash("Restored: everyone can read it again.", "success")
    return back_to_post(post)


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    post = post_or_404(post_id)
    form = StaffEditForm(data={"body": post.source})
    if form.validate_on_submit():
        moderation.staff_edit_post(post, current_user, form.body.data, form.reason.data)
        flash("Saved. The post is marked as edited by staff.", "success")
        return back_to_post(post)
    return render_template("moderation/edit_post.html", post=post, form=form)


@bp.post("/p/<int:post_id>/note")
def content_note(post_id: int):
    post = post_or_404(post_id)
    form = ContentNoteForm()
    if not form.validate_on_submit():
        return refused(form, back_to_post(post))
    note = form.content_note.data or None
    if moderation.set_content_note(post, current_user, note, form.reason.data):
        flash(f"Content note set: {note}." if note else "Content note removed.", "success")
    return back_to_post(post)


@bp.post("/p/<int:post_id>/reveal")
def reveal_author(post_id: int):
    """Name an anonymous post's author to this moderator alone, on this response only."""
    post = post_or_404(post_id)
    if not policy.can_reveal_author(current_user, post):
        abort(404)
    form = RequiredReasonForm()
    if not form.validate_on_submit():
        return refused(form, back_to_post(post))
    author = moderation.reveal_author(post, current_user, form.reason.data)
    page = render_template("moderation/revealed.html", post=post, author=author)
    # Not kept by the browser or anything between: going back must not show it again.
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/p/<int:post_id>/history")
def post_history(post_id: int):
    post = post_or_404(post_id)
    return render_template(
        "moderation/history.html",
        post=post,
        revisions=models.revisions_of(post),
        log=models.log_entries_for_post(post),
    )


# Members in trouble


def member_or_404(username: str) -> models.User:
    member = models.member_by_username(username)
    if member is None or member.is_system:
        abort(404)
    return member


@bp.get("/u/<username>")
def member(username: str):
    member = member_or_404(username)
    return render_template(
        "moderation/member.html",
        member=member,
        posts=models.posts_by_member_for_staff(member, MEMBER_RECENT),
        cases=models.cases_about(member, MEMBER_RECENT),
        sanctions=models.sanctions_of(member),
        notes=models.staff_notes_about(member),
        sanction_form=SanctionForm(),
        note_form=NoteForm(),
        reason_form=RequiredReasonForm(),
        role_form=RoleForm(role=member.role.value),
        delete_form=DeleteAccountForm(),
        remember_form=RememberForm(formdata=None),
        mentor_form=MentorForm(formdata=None),
        now=utcnow(),
    )


@bp.post("/u/<username>/<any(warn, silence, suspend, lift):action>")
def sanction(username: str, action: str):
    member = member_or_404(username)
    if not policy.can_sanction(current_user, member):
        # Staff can't sanction admins, and moderators can't sanction other moderators.
        abort(403)
    form = SanctionForm() if action in ("silence", "suspend") else RequiredReasonForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    reason = form.reason.data
    if action == "warn":
        moderation.warn(member, current_user, reason)
        flash(f"{member.username} will see your warning on their next page.", "success")
    elif action == "lift":
        lifted = moderation.lift(member, current_user, reason)
        flash(f"Lifted {lifted} active restriction(s).", "success")
    else:
        until = form.ends_at()
        if action == "silence":
            moderation.silence(member, current_user, reason, until or models.FOREVER)
        else:
            moderation.suspend(member, current_user, reason, until)
        flash(f"{member.username}: {action}d.", "success")
    return redirect(url_for(".member", username=member.username))


@bp.post("/u/<username>/note")
def note(username: str):
    member = member_or_404(username)
    form = NoteForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    moderation.add_staff_note(member, current_user, form.body.data)
    flash("Note saved. Only staff can see it.", "success")
    return redirect(url_for(".member", username=member.username))


@bp.post("/u/<username>/role")
def role(username: str):
    member = member_or_404(username)
    if not policy.can_change_role(current_user, member):
        abort(403)
    form = RoleForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    moderation.set_role(member, current_user, Role(form.role.data), form.reason.data)
    flash(f"{member.username} is now {form.role.data}.", "success")
    return redirect(url_for(".member", username=member.username))


@bp.post("/u/<username>/delete")
def delete_account(username: str):
    """Delete an account on the member's verified request, with the reason in the log."""
    member = member_or_404(username)
    if not policy.can_delete_account_of(current_user, member):
        abort(403)
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    member_data.delete_account(
        member, remove_posts=form.posts.data == "remove", by=current_user, reason=form.reason.data
    )
    flash("The account is deleted.", "success")
    return redirect(url_for(".home"))


@bp.post("/u/<username>/remember")
def remember(username: str):
    """Mark a member as remembered, when their family asks (admins only)."""
    member = member_or_404(username)
    if not policy.can_mark_remembered(current_user, member):
        abort(403)
    form = RememberForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    moderation.mark_remembered(member, current_user, form.remembrance.data, form.dates.data,
                               form.reason.data)  # fmt: skip
    flash(f"{member.username} is remembered. Their account is closed; their posts stay.",
          "success")  # fmt: skip
    return redirect(url_for(".member", username=member.username))


@bp.post("/u/<username>/unremember")
def unremember(username: str):
    member = member_or_404(username)
    if not policy.can_undo_remembered(current_user, member):
        abort(403)
    form = RequiredReasonForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    moderation.undo_remembered(member, current_user, form.reason.data)
    flash(f"{member.username}'s account is open again.", "success")
    return redirect(url_for(".member", username=member.username))


@bp.post("/u/<username>/mentor")
def mentor(username: str):
    member = member_or_404(username)
    if not policy.can_grant_mentor(current_user, member):
        abort(403)
    form = MentorForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".member", username=member.username)))
    moderation.set_mentor(member, current_user, form.is_mentor.data, form.reason.data)
    flash(f"{member.username} is {'now' if form.is_mentor.data else 'no longer'} a peer mentor.",
          "success")  # fmt: skip
    return redirect(url_for(".member", username=member.username))


# The log


@bp.get("/log")
def log():
    form = LogFilterForm(request.args)
    form.action.choices = choices([("", "Any action"), *((a, a) for a in moderation.LOG_ACTIONS)])
    form.validate()
    actor = models.member_by_username(form.actor.data) if form.actor.data else None
    subject = models.member_by_username(form.member.data) if form.member.data else None
    unknown = (form.actor.data and actor is None) or (form.member.data and subject is None)
    action = form.action.data if form.action.data in moderation.LOG_ACTIONS else None
    if unknown:
        entries, total = [], 0
    else:
        _, total = models.log_entries(0, 0, actor, action, subject)
    page = requested_page(LOG_PAGE_SIZE, total)
    if not unknown:
        entries, _ = models.log_entries(page.offset, page.per_page, actor, action, subject)
    filters = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template(
        "moderation/log.html", entries=entries, page=page, form=form, filters=filters,
        unknown=unknown,
    )  # fmt: skip


# Site settings, for admins


@bp.route("/words", methods=["GET", "POST"])
def words():
    if not policy.can_manage_site(current_user):
        abort(403)
    form = WordForm()
    if form.validate_on_submit():
        moderation.add_watched_word(form.phrase.data, WordAction(form.action.data), current_user)
        flash(f"Now watching “{form.phrase.data}”.", "success")
        return redirect(url_for(".words"))
    return render_template("moderation/words.html", form=form, words=models.watched_words())


@bp.post("/words/<int:word_id>/delete")
def delete_word(word_id: int):
    if not policy.can_manage_site(current_user):
        abort(403)
    word = models.watched_word_by_id(word_id) or abort(404)
    moderation.remove_watched_word(word, current_user)
    flash(f"No longer watching “{word.phrase}”.", "success")
    return redirect(url_for(".words"))


# Help for moderators


@bp.get("/help/crisis")
def crisis_protocol():
    return render_template(
        "moderation/crisis_protocol.html", page=site_pages.current(site_pages.CRISIS_PROTOCOL)
    )


@bp.route("/help/crisis/edit", methods=["GET", "POST"])
def edit_crisis_protocol():
    if not policy.can_manage_site(current_user):
        abort(403)
    page = site_pages.current(site_pages.CRISIS_PROTOCOL)
    form = SitePageForm(data={"body": page.source})
    if form.validate_on_submit():
        moderation.edit_site_page(page.name, form.body.data, current_user, form.reason.data)
        flash("Saved. Moderators see the new protocol now.", "success")
        return redirect(url_for(".crisis_protocol"))
    return render_template("moderation/edit_page.html", page=page, form=form)


@bp.get("/boards")
def boards():
    if not policy.can_manage_site(current_user):
        abort(403)
    return render_template(
        "moderation/boards.html", boards=models.all_boards(), form=BoardSettingsForm()
    )


@bp.post("/boards/<slug>")
def board_settings(slug: str):
    if not policy.can_manage_site(current_user):
        abort(403)
    board = models.board_by_slug(slug) or abort(404)
    form = BoardSettingsForm()
    if not form.validate_on_submit():
        return refused(form, redirect(url_for(".boards")))
    moderation.change_board_settings(board, current_user, form.wanted(), form.reason.data)
    flash(f"Saved settings for {board.name}.", "success")
    return redirect(url_for(".boards"))
