from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import policy
from ..forms import ActionForm
from ..navigation import safe_next
from ..services import accounts
from . import bp
from .forms import LoginForm, NewPasswordForm, RegisterForm, ResetRequestForm

LOGIN_FAILED = (
    "That username or email and password don't match our records. Please check them and try again."
)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("boards.index"))
    form = RegisterForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = accounts.register_member(form.username.data, form.email.data, form.password.data)
        except accounts.UsernameTaken:
            form.username.errors.append("That username is taken. Please choose another.")
        else:
            login_user(user)
            flash(
                f"Welcome to Harbor, {user.username}. We're glad you found us. We've sent a "
                f"link to {form.email.data} to confirm your address.",
                "success",
            )
            return redirect(safe_next(form.next.data))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(LOGIN_FAILED)
        elif policy.is_suspended(user):
            # Only the account's owner knows the password, so telling them why is safe.
            return render_template(
                "auth/suspended.html", suspension=accounts.current_suspension(user)
            ), 403
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user, form.password.data)
            flash(f"Welcome back, {user.username}.", "success")
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You have logged out. Take care.", "info")
    return redirect(url_for("boards.index"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Confirm an address from the emailed link.

    The link opens a page with a button rather than confirming at once: mail scanners
    open links in emails too, and a GET must never change anything.
    """
    try:
        user, address = accounts.address_to_confirm(token)
    except accounts.LinkProblem as problem:
        return render_template("auth/link_problem.html", problem=str(problem)), 400
    form = ActionForm()
    if form.validate_on_submit():
        try:
            accounts.confirm_email(user, address)
        except accounts.LinkProblem as problem:
            return render_template("auth/link_problem.html", problem=str(problem)), 409
        flash(f"Thank you. {address} is confirmed.", "success")
        return redirect(url_for("boards.index"))
    return render_template("auth/confirm_email.html", form=form, member=user, address=address)


@bp.post("/confirm/resend")
@login_required
def resend_confirmation():
    if ActionForm().validate_on_submit():
        accounts.resend_confirmation(current_user)
        flash("We've sent the link again. It can take a few minutes to arrive.", "info")
    return redirect(safe_next(request.form.get("next"), url_for("users.settings")))


@bp.route("/reset", methods=["GET", "POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        # The same page whether or not an account has the address.
        return render_template("auth/reset_sent.html", address=form.email.data)
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = accounts.member_for_reset(token)
    except accounts.LinkProblem as problem:
        return render_template("auth/link_problem.html", problem=str(problem), reset=True), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        if policy.is_suspended(user):
            return render_template(
                "auth/suspended.html", suspension=accounts.current_suspension(user)
            ), 403
        login_user(user)
        flash("Your new password is set, and you are logged in.", "success")
        return redirect(url_for("boards.index"))
    return render_template("auth/reset_password.html", form=form, member=user)
