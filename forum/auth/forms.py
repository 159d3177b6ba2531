from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, ValidationError

from ..forms import HarborForm, NotBlank, refuse_nul
from ..services.accounts import (
    PASSWORD_MIN_LENGTH,
    normalise_email,
    password_problem,
    username_problem,
)
from ..text import clean_line


def usable_username(form, field):
    problem = field.data and username_problem(field.data)
    if problem:
        raise ValidationError(problem)


class Entered:
    """Refuses only an empty field: a password may be any characters, spaces included."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise ValidationError(self.message)


def usable_password(form, field):
    problem = field.data and password_problem(field.data)
    if problem:
        raise ValidationError(problem)


def usable_email(form, field):
    try:
        normalise_email(field.data or "")
    except ValueError as error:
        raise ValidationError(
            f"That doesn't look like an email address we can use. {error}"
        ) from error


class RegisterForm(HarborForm):
    username = StringField(
        "Username",
        filters=[clean_line],
        validators=[NotBlank("Please choose a username."), usable_username],
        description="Shown beside your posts: 3–30 letters, numbers, “_” or “-”.",
    )
    email = EmailField(
        "Email",
        filters=[clean_line],
        validators=[NotBlank("Please enter your email address."), refuse_nul, usable_email],
        description="Never shown to other members.",
    )
    password = PasswordField(
        "Password",
        validators=[Entered("Please choose a password."), usable_password],
        description=f"At least {PASSWORD_MIN_LENGTH} characters. Any characters you like.",
    )
    confirm = PasswordField(
        "Password again",
        validators=[EqualTo("password", message="The two passwords don't match.")],
    )
    next = HiddenField()


class LoginForm(HarborForm):
    username = StringField(
        "Username or email",
        filters=[clean_line],
        validators=[NotBlank("Please enter your username or email address.")],
    )
    password = PasswordField("Password", validators=[Entered("Please enter your password.")])
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class ResetRequestForm(HarborForm):
    email = EmailField(
        "Your email address",
        filters=[clean_line],
        validators=[NotBlank("Please enter your email address."), refuse_nul, usable_email],
    )


class NewPasswordForm(HarborForm):
    password = PasswordField(
        "New password",
        validators=[Entered("Please choose a password."), usable_password],
        description=f"At least {PASSWORD_MIN_LENGTH} characters. Any characters you like.",
    )
    confirm = PasswordField(
        "New password again",
        validators=[EqualTo("password", message="The two passwords don't match.")],
    )
