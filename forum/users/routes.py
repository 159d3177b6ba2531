from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from .. import models, policy
from ..addresses import site_url
from ..extensions import csrf
from ..forms import ActionForm
from ..headers import noindex_if
from ..models import EmailFrequency
from ..navigation import safe_next
from ..services import accounts, member_data, messaging, moderation
from ..services import notifications as notices
from . import bp
from .forms import (
    DeleteAccountForm,
    EmailChangeForm,
    MentorListingForm,
    PasswordForm,
    ProfileForm,
)

RECENT_POSTS = 20
RECENT_THREADS = 10
NOTIFICATIONS_SHOWN = 100
BOOKMARKS_SHOWN = 200


@bp.get("/u/<username>")
def profile(username: str):
    member = models.member_by_username(username)
    if member is None or member.is_deleted:
        abort(404)
    blocked = models.has_blocked(current_user, member)
    # Members' pages are never for search engines: a name beside an illness is private.
    return noindex_if(
        True,
        render_template(
            "users/profile.html",
            member=member,
            posts=models.recent_posts_by(member, RECENT_POSTS, reader=current_user),
            threads=models.threads_started_by(member, RECENT_THREADS, reader=current_user),
            can_message=not blocked and can_message(member),
            blocked=blocked,
        ),
    )


def can_message(member: models.User) -> bool:
    """Whether to offer "Message": only when sending would be allowed."""
    posts_needed = current_app.config["MESSAGES_AFTER_POSTS"]
    if not policy.can_start_conversation_with(current_user, [member], posts_needed):
        return False
    blocked_by_member = bool(models.blockers_of(current_user, [member.id]))
    return policy.can_message(current_user, member, blocked_by_recipient=blocked_by_member)


@bp.get("/mentors")
def mentors():
    """Peer mentors who offered to be found, so a new member can write to one."""
    if not policy.is_member(current_user):
        return render_template("users/mentors.html", mentors=[], may_message=set())
    listed = models.listed_mentors()
    posts_needed = current_app.config["MESSAGES_AFTER_POSTS"]
    blocked_by = models.blockers_of(current_user, [mentor.id for mentor in listed])
    may_message = {
        mentor.id
        for mentor in listed
        if policy.can_start_conversation_with(current_user, [mentor], posts_needed)
        and policy.can_message(current_user, mentor, mentor.id in blocked_by)
    }
    return render_template("users/mentors.html", mentors=listed, may_message=may_message)


@bp.post("/u/<username>/<any(block, unblock):action>")
@login_required
def block(username: str, action: str):
    """Blocking is private: the blocked member is never told."""
    member = models.member_by_username(username) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if action == "unblock":
        messaging.unblock(current_user, member)
        flash(f"You have unblocked {member.username}.", "success")
    else:
        if not policy.can_block(current_user, member):
            abort(403)
        messaging.block(current_user, member)
        flash(f"You have blocked {member.username}. They can't message you and you won't hear "
              "about their posts; they are not told.", "success")  # fmt: skip
    return redirect(
        safe_next(request.form.get("next"), url_for(".profile", username=member.username))
    )


@bp.get("/settings/blocked")
@login_required
def blocked():
    return render_template(
        "users/blocked.html", blocks=models.blocked_by_member(current_user), form=ActionForm()
    )


@bp.get("/notifications")
@login_required
def notifications():
    items = models.notifications_for(current_user, NOTIFICATIONS_SHOWN)
    return render_template("users/notifications.html", notifications=items, form=ActionForm())


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark one notification read and go to what it is about."""
    notification = models.notification_for(current_user, notification_id) or abort(404)
    if notification.conversation_id is not None:
        return open_conversation_notice(notification)
    if ActionForm().validate_on_submit():
        notices.mark_read(current_user, notification)
    if notification.post_id is None:
        return redirect(url_for(".notifications"))
    return redirect(url_for("threads.post", post_id=notification.post_id))


def open_conversation_notice(notification: models.Notification):
    """A new message: reading it marks the conversation read too (GETs never write)."""
    membership = models.membership_of(current_user, notification.conversation_id)
    if not policy.can_read_conversation(current_user, membership):
        # They left the conversation since: the notice is simply read.
        notices.mark_read(current_user, notification)
        return redirect(url_for("messages.index"))
    messaging.mark_read(membership, current_user)
    return redirect(url_for("messages.conversation", conversation_id=membership.conversation_id))


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    if ActionForm().validate_on_submit():
        notices.mark_all_read(current_user)
        flash("All caught up.", "info")
    return redirect(url_for("users.notifications"))


@bp.post("/warnings/acknowledge")
@login_required
def acknowledge_warnings():
    if ActionForm().validate_on_submit():
        moderation.acknowledge_warnings(current_user)
        flash("Thank you. The message is put away.", "info")
    return redirect(safe_next(request.form.get("next")))


@bp.get("/bookmarks")
@login_required
def bookmarks():
    return render_template(
        "users/bookmarks.html", posts=models.bookmarks_of(current_user, BOOKMARKS_SHOWN)
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    profile = profile_form()
    if profile.validate_on_submit():
        accounts.update_profile(
            current_user,
            profile.display_name.data,
            profile.story.data,
            profile.about.data,
            EmailFrequency(profile.email_frequency.data),
            always_show_noted_posts=profile.always_show_noted_posts.data,
        )
        flash("Your settings are saved.", "success")
        return redirect(url_for(".settings"))
    return settings_page(profile=profile)


@bp.post("/settings/mentor")
@login_required
def mentor_listing():
    if not policy.can_list_as_mentor(current_user):
        abort(403)
    form = MentorListingForm()
    if form.validate_on_submit():
        accounts.set_mentor_listed(current_user, form.listed.data)
        flash("You are listed on the peer mentors page. Thank you." if form.listed.data
              else "You are no longer listed on the peer mentors page.", "success")  # fmt: skip
    return redirect(url_for(".settings"))


@bp.post("/settings/password")
@login_required
def change_password():
    password = PasswordForm()
    if password.validate_on_submit():
        if accounts.change_password(current_user, password.current.data or "", password.new.data):
            stay_logged_in_here()
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for(".settings"))
        password.current.errors.append("That isn't your current password.")
    return settings_page(password=password)


@bp.post("/settings/sessions")
@login_required
def end_other_sessions():
    """Log out every other device, for a phone lost or a library computer left logged in."""
    if ActionForm().validate_on_submit():
        accounts.end_other_sessions(current_user)
        stay_logged_in_here()
        flash("You are logged out on every other device, and still logged in here.", "success")
    return redirect(url_for(".settings"))


def stay_logged_in_here() -> None:
    """After the member's session token changed: this device carries on with the new one,
    remembered again if it was remembered before."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    login_user(current_user._get_current_object(), remember=remembered)


@bp.post("/settings/email")
@login_required
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        if accounts.request_email_change(current_user, form.password.data or "", form.email.data):
            flash(
                f"We've sent a link to {form.email.data}. Your address changes when you open it.",
                "success",
            )
            return redirect(url_for(".settings"))
        form.password.errors.append("That isn't your password.")
    return settings_page(email=form)


def settings_page(profile=None, password=None, email=None):
    return render_template(
        "users/settings.html",
        profile=profile or profile_form(),
        password=password or PasswordForm(formdata=None),
        email=email or EmailChangeForm(formdata=None),
        mentor=MentorListingForm(formdata=None, data={"listed": current_user.mentor_listed}),
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail programs post here with one click (RFC 8058)
def unsubscribe(token: str):
    try:
        member = accounts.member_for_unsubscribe(token)
    except accounts.LinkProblem as problem:
        return render_template("auth/link_problem.html", problem=str(problem)), 400
    if request.method == "POST":
        accounts.stop_emails(member)
        return render_template("users/unsubscribed.html", member=member)
    return render_template("users/unsubscribe.html", member=member)


def profile_form() -> ProfileForm:
    return ProfileForm(
        data={
            "display_name": current_user.display_name,
            "story": current_user.story,
            "about": current_user.about,
            "email_frequency": current_user.email_frequency.value,
            "always_show_noted_posts": current_user.always_show_noted_posts,
        }
    )


@bp.get("/settings/export")
@login_required
def export():
    return render_template("users/export.html")


@bp.get("/settings/export.zip")
@login_required
def export_download():
    """The member's archive, streamed as it is made. A read, so a GET (and a reader's
    transaction on SQLite, which does not hold up anyone posting meanwhile)."""
    archive = member_data.export_archive(current_user, site_url())
    name = f"harbor-{current_user.username}-{models.utcnow():%Y-%m-%d}.zip"
    return Response(
        stream_with_context(archive),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    if not policy.can_delete_own_account(current_user):
        return render_template("users/delete_staff.html"), 403
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data or ""):
            member = current_user._get_current_object()
            member_data.delete_account(member, remove_posts=form.posts.data == "remove", by=member)
            logout_user()
            return render_template("users/deleted.html")
        form.password.errors.append("That isn't your password.")
    return render_template("users/delete.html", form=form)
