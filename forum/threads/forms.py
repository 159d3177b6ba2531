from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..forms import body_field, choices, refuse_nul, title_field
from ..models import REPORT_REASON_CHOICES
from ..text import clean_multiline


class NewThreadForm(FlaskForm):
    title = title_field()
    body = body_field()
    # The Preview button: show the post as it will look, without sending it.
    preview = SubmitField("Preview")


class ReplyForm(FlaskForm):
    body = body_field("Your reply")
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
