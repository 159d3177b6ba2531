from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..config import (
    BODY_MAX_LENGTH,
    CONTENT_NOTE_MAX_LENGTH,
    CONTENT_NOTE_SUGGESTIONS,
    TITLE_MAX_LENGTH,
)
from ..forms import CrisisChoice, HarborForm, body_field, choices, refuse_nul, title_field
from ..models import REPORT_REASON_CHOICES
from ..text import clean_line, clean_multiline, is_blank

OWN_WORDS = "other"
NOTE_CHOICES = [
    ("", "No content note"),
    *((note, note) for note in CONTENT_NOTE_SUGGESTIONS),
    (OWN_WORDS, "Other, in my own words"),
]

ANONYMOUS_LABEL = "Post as ‘A member’ (your name is hidden from other members)"


class ContentNoteFields:
    """An optional content note: one of the suggestions, or the author's own words."""

    content_note_choice = SelectField(
        "Content note (optional)",
        choices=choices(NOTE_CHOICES),
        default="",
        description="Readers see the note first and open your post when they're ready.",
    )
    content_note_other = StringField(
        "Your own words for the note",
        filters=[clean_line],
        validators=[
            refuse_nul,
            Length(
                max=CONTENT_NOTE_MAX_LENGTH,
                message=f"A content note can be up to {CONTENT_NOTE_MAX_LENGTH} characters. "
                "Please shorten it a little.",
            ),
        ],
        description="Only if you chose “Other”, for example “Talk of hair loss”.",
    )

    def validate_content_note_other(self, field):
        if self.content_note_choice.data == OWN_WORDS and is_blank(field.data or ""):
            raise ValidationError("Please write a few words for your note, or choose another.")

    @property
    def content_note(self) -> str | None:
        """The note to store, or None for no note."""
        if self.content_note_choice.data == OWN_WORDS:
            return self.content_note_other.data or None
        return self.content_note_choice.data or None

    @staticmethod
    def note_data(note: str | None) -> dict:
        """The fields' values showing ``note``, for a form about an existing post."""
        if not note:
            return {"content_note_choice": ""}
        if note in CONTENT_NOTE_SUGGESTIONS:
            return {"content_note_choice": note}
        return {"content_note_choice": OWN_WORDS, "content_note_other": note}


class NewThreadForm(ContentNoteFields, CrisisChoice, HarborForm):
    title = title_field()
    body = body_field()
    # Only offered, and only honoured, on boards that allow it.
    anonymous = BooleanField(ANONYMOUS_LABEL)
    # The Preview button: show the post as it will look, without sending it.
    preview = SubmitField("Preview")


class ReplyForm(ContentNoteFields, CrisisChoice, HarborForm):
    body = body_field("Your reply")
    anonymous = BooleanField(ANONYMOUS_LABEL)
    preview = SubmitField("Preview")


class EditPostForm(ContentNoteFields, CrisisChoice, HarborForm):
    body = body_field()


class EditOpeningPostForm(EditPostForm):
    title = title_field()


class ReportForm(HarborForm):
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


class DraftForm(HarborForm):
    """What harbor.js sends while a member writes: like the posting forms, but blank is
    allowed (it clears the draft) and nothing else is checked until they send."""

    # Nine digits at most: every id fits, and no number overflows the id column.
    thread_id = StringField(validators=[refuse_nul, Length(max=9)])
    board_slug = StringField(validators=[refuse_nul, Length(max=60)])
    title = StringField(filters=[clean_line], validators=[refuse_nul, Length(max=TITLE_MAX_LENGTH)])
    body = TextAreaField(
        filters=[clean_multiline], validators=[refuse_nul, Length(max=BODY_MAX_LENGTH)]
    )
