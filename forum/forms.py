"""Form pieces every area shares: the button form and validators for what people type."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, ValidationError

from .config import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from .markup import render_markdown, visible_text
from .text import NUL, clean_line, clean_multiline, is_blank


class HarborForm(FlaskForm):
    """Every form's base. Its hidden token field is rendered without an id: a page often
    holds several forms (settings has four), and each would bring its own
    ``id="csrf_token"``, where HTML allows an id once a page."""

    class Meta:
        def render_field(self, field, render_kw):
            if field.short_name == self.csrf_field_name:
                render_kw = {**render_kw, "id": False}  # False: WTForms leaves it out
            return super().render_field(field, render_kw)


class ActionForm(HarborForm):
    """A form with nothing but its CSRF token, for POST buttons (log out, delete, ...)."""


class CrisisChoice:
    """For forms whose words may pause on the crisis lines before they are published.

    The pause re-renders the form with the words kept and ``crisis_acknowledged`` set,
    so "Post anyway" publishes them; "Edit my words" shows the ordinary form again.
    """

    crisis_acknowledged = HiddenField()
    edit_words = SubmitField("Edit my words")

    def pauses_for(self, crisis_words: list[str]) -> bool:
        """Whether to show the crisis lines first: once, and only if there are such words."""
        return bool(crisis_words) and self.crisis_acknowledged.data != "1"


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


class NotBlank:
    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data is None or is_blank(field.data):
            raise ValidationError(self.message)


class ShowsSomething:
    """Refuses Markdown that renders to nothing visible, such as a lone link definition."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data is None or is_blank(field.data):
            return  # NotBlank has said so already
        if is_blank(visible_text(render_markdown(field.data))):
            raise ValidationError(self.message)


def refuse_nul(form, field):
    if field.data and NUL in field.data:
        raise ValidationError(
            "This contains an invisible “null” character that we can't store. "
            "It usually comes from copying text out of another program: "
            "please retype the part you pasted and send again."
        )


def title_field(label: str = "Title") -> StringField:
    return StringField(
        label,
        filters=[clean_line],
        validators=[
            NotBlank("Please give your thread a title."),
            refuse_nul,
            Length(
                max=TITLE_MAX_LENGTH,
                message=f"Titles can be up to {TITLE_MAX_LENGTH} characters. "
                "Please shorten it a little.",
            ),
        ],
    )


def body_field(label: str = "Message") -> TextAreaField:
    return TextAreaField(
        label,
        filters=[clean_multiline],
        validators=[
            NotBlank("Please write something before sending."),
            refuse_nul,
            ShowsSomething("Please write something before sending."),
            Length(
                max=BODY_MAX_LENGTH,
                message=f"Posts can be up to {BODY_MAX_LENGTH:,} characters "
                "(yours has %(length)s). You could split it into two posts.",
            ),
        ],
    )
