from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from ..auth.forms import usable_email
from ..forms import HarborForm, NotBlank, choices, refuse_nul
from ..models import EmailFrequency
from ..services.accounts import PASSWORD_MIN_LENGTH, password_problem
from ..text import clean_line, clean_multiline

EMAIL_CHOICES = [
    (EmailFrequency.EVERY_EVENT.value, "Each time something happens"),
    (EmailFrequency.DAILY_DIGEST.value, "One daily summary"),
    (EmailFrequency.NEVER.value, "No email; I'll check Harbor myself"),
]


def usable_new_password(form, field):
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ProfileForm(HarborForm):
    display_name = StringField(
        "Display name",
        filters=[clean_line],
        validators=[refuse_nul, Length(max=50)],
        description="Shown with your username. Leave empty to use just your username.",
    )
    story = StringField(
        "My story, in one line",
        filters=[clean_line],
        validators=[refuse_nul, Length(max=120)],
        description="Shown beside your posts, for example “Stage IV since 2021, ER+”.",
    )
    about = TextAreaField(
        "About me",
        filters=[clean_multiline],
        validators=[refuse_nul, Length(max=2000)],
    )
    always_show_noted_posts = BooleanField(
        "Always show posts with content notes",
        description="Otherwise they stay folded until you choose to open them.",
    )
    email_frequency = RadioField(
        "Email me about replies and messages",
        choices=choices(EMAIL_CHOICES),
        validators=[InputRequired("Please choose how often we may email you.")],
    )


class PasswordForm(HarborForm):
    current = PasswordField("Current password")
    new = PasswordField(
        "New password",
        validators=[usable_new_password],
        description=f"At least {PASSWORD_MIN_LENGTH} characters. Any characters you like.",
    )
    confirm = PasswordField(
        "New password again", validators=[EqualTo("new", message="The two passwords don't match.")]
    )


class EmailChangeForm(HarborForm):
    email = EmailField(
        "New email address",
        filters=[clean_line],
        validators=[NotBlank("Please enter the new address."), refuse_nul, usable_email],
        description="We'll send a link to confirm it, and tell your current address.",
    )
    password = PasswordField("Your password")


WHAT_HAPPENS_TO_POSTS = [
    ("remove", "Remove my posts and messages. Threads I started keep other members' replies."),
    ("keep", "Keep my posts, shown as written by “a former member”."),
]


class DeleteAccountForm(HarborForm):
    posts = RadioField(
        "What should happen to what you wrote?",
        choices=choices(WHAT_HAPPENS_TO_POSTS),
        validators=[InputRequired("Please choose what happens to your posts.")],
    )
    password = PasswordField("Your password")
    understood = BooleanField(
        "I understand that this cannot be undone",
        validators=[InputRequired("Please tick this box to confirm.")],
    )


class MentorListingForm(HarborForm):
    listed = BooleanField("List me on the peer mentors page, so new members can write to me")
