from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import policy
from ..forms import ActionForm
from ..navigation import safe_next
from ..services import accounts
from . import bp
from .forms import LoginForm, RegisterForm

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
            flash(f"Welcome to Harbor, {user.username}. We're glad you found us.", "success")
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
            accounts.record_login(user)
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
