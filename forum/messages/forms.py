import re

from wtforms import StringField
from wtforms.validators import Length, ValidationError

from ..config import TITLE_MAX_LENGTH
from ..forms import CrisisChoice, HarborForm, NotBlank, body_field, refuse_nul
from ..text import clean_line

MOST_RECIPIENTS = 10
# Names are separated by commas or spaces; "@rosa" is fine too.
_SEPARATORS = re.compile(r"[,;\s]+")


def recipient_names(text: str | None) -> list[str]:
    """The usernames typed in the "To" box, in order, each once, without any "@"."""
    found: dict[str, str] = {}
    for name in _SEPARATORS.split(text or ""):
        name = name.lstrip("@")
        if name and name.lower() not in found:
            found[name.lower()] = name
    return list(found.values())


def not_too_many(form, field):
    if not recipient_names(field.data):
        # "," or "@" alone gets past NotBlank but names nobody.
        raise ValidationError("Please type the username of the member you'd like to write to.")
    if len(recipient_names(field.data)) > MOST_RECIPIENTS:
        raise ValidationError(
            f"A conversation can include up to {MOST_RECIPIENTS} other members. "
            "Please remove a few names."
        )


class NewConversationForm(CrisisChoice, HarborForm):
    to = StringField(
        "To",
        filters=[clean_line],
        validators=[
            NotBlank("Who is this message for? Type their username."),
            refuse_nul,
            Length(max=400),
            not_too_many,
        ],
        description=f"Usernames, separated by commas or spaces (up to {MOST_RECIPIENTS}).",
    )
    subject = StringField(
        "Subject",
        filters=[clean_line],
        validators=[
            NotBlank("Please give your message a subject."),
            refuse_nul,
            Length(
                max=TITLE_MAX_LENGTH,
                message=f"A subject can be up to {TITLE_MAX_LENGTH} characters. "
                "Please shorten it a little.",
            ),
        ],
    )
    body = body_field("Message")


class MessageReplyForm(CrisisChoice, HarborForm):
    body = body_field("Your reply")
