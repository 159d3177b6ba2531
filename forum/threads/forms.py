from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..config import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from ..forms import body_field, choices, refuse_nul, title_field
from ..models import REPORT_REASON_CHOICES
from ..text import clean_line, clean_multiline

ANONYMOUS_LABEL = "Post as ‘A member’ (your name is hidden from other members)"


class NewThreadForm(FlaskForm):
    title = title_field()
    body = body_field()
    # Only offered, and only honoured, on boards that allow it.
    anonymous = BooleanField(ANONYMOUS_LABEL)
    # The Preview button: show the post as it will look, without sending it.
    preview = SubmitField("Preview")


class ReplyForm(FlaskForm):
    body = body_field("Your reply")
    anonymous = BooleanField(ANONYMOUS_LABEL)
    preview = SubmitField("Preview")


class EditPostForm(FlaskForm):
    body = body_field()


class EditOpeningPostForm(EditPostForm):
    title = title_field()


class ReportForm(FlaskForm):
    reason = RadioField(
        "What's wrong?",
        choices=choices(REPORT_REASON_CHOICES),
        validators=[InputRequired("Please choose what's wrong.")],
    )
    note = TextAreaField(
        "Anything a moderator should know (optional)",
        filters=[clean_multiline],
        validators=[refuse_nul, Length(max=1000)],
    )


class DraftForm(FlaskForm):
    """What harbor.js sends while a member writes: like the posting forms, but blank is
    allowed (it clears the draft) and nothing else is checked until they send."""

    # Nine digits at most: every id fits, and no number overflows the id column.
    thread_id = StringField(validators=[refuse_nul, Length(max=9)])
    board_slug = StringField(validators=[refuse_nul, Length(max=60)])
    title = StringField(filters=[clean_line], validators=[refuse_nul, Length(max=TITLE_MAX_LENGTH)])
    body = TextAreaField(
        filters=[clean_multiline], validators=[refuse_nul, Length(max=BODY_MAX_LENGTH)]
    )
