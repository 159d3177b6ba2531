from datetime import datetime, timedelta

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..config import CONTENT_NOTE_MAX_LENGTH
from ..forms import HarborForm, NotBlank, body_field, choices, refuse_nul, title_field
from ..models import (
    REPORT_REASON_CHOICES,
    BoardVisibility,
    Resolution,
    Role,
    WordAction,
    utcnow,
)
from ..text import clean_line, clean_multiline

REASON_MAX_LENGTH = 1000
# How long a silence or suspension lasts, in hours; 0 means until lifted.
DURATIONS = [("24", "1 day"), ("72", "3 days"), ("168", "1 week"), ("720", "30 days"),
             ("0", "Until lifted")]  # fmt: skip


def reason_field(
    required: bool = False, label: str = "Reason", id: str | None = None
) -> TextAreaField:
    validators = [refuse_nul, Length(max=REASON_MAX_LENGTH)]
    if required:
        validators.insert(0, NotBlank("Please give a reason: it goes in the log."))
    return TextAreaField(
        label, filters=[clean_multiline], validators=validators, id=id,
        description=None if required else "Optional; kept in the moderation log.",
    )  # fmt: skip


class ReasonForm(HarborForm):
    reason = reason_field()


class RequiredReasonForm(HarborForm):
    reason = reason_field(required=True)


class MoveForm(ReasonForm):
    board = SelectField("Move to board", validators=[InputRequired()])


class RenameForm(ReasonForm):
    title = title_field("New title")


class MergeForm(ReasonForm):
    into = IntegerField(
        "Merge into thread number",
        validators=[InputRequired("Which thread should these posts join?"), NumberRange(min=1)],
    )


class SplitForm(ReasonForm):
    title = title_field("Title of the new thread")
    posts = SelectMultipleField("Replies to move", coerce=int)


class HidePostForm(ReasonForm):
    category = SelectField("Why", choices=choices(REPORT_REASON_CHOICES), default="other")


class StaffEditForm(ReasonForm):
    body = body_field("Post text")


class ContentNoteForm(ReasonForm):
    content_note = StringField(
        "Content note",
        filters=[clean_line],
        validators=[
            refuse_nul,
            Length(max=CONTENT_NOTE_MAX_LENGTH, message=f"A content note can be up to "
                   f"{CONTENT_NOTE_MAX_LENGTH} characters."),
        ],
    )  # fmt: skip


class SitePageForm(ReasonForm):
    body = body_field("Text (Markdown)")


class ResolveForm(HarborForm):
    resolution = SelectField(
        "Decision",
        choices=choices([
            (Resolution.DISMISSED.value, "Dismiss: nothing wrong"),
            (Resolution.HIDDEN.value, "Hide the post"),
            (Resolution.HIDDEN_AND_WARNED.value, "Hide the post and warn the author"),
        ]),
    )  # fmt: skip
    reason = reason_field()


class SanctionForm(HarborForm):
    reason = reason_field(required=True, label="Reason (the member sees this)")
    duration = SelectField("For how long", choices=choices(DURATIONS), default="72")
    until = DateTimeLocalField(
        "Or until a date (UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="Leave empty to use the length above.",
    )

    def validate_until(self, field):
        if field.data is not None and field.data <= utcnow():
            raise ValidationError("Choose a time in the future.")

    def ends_at(self) -> datetime | None:
        """When the sanction ends; None means until a moderator lifts it."""
        if self.until.data is not None:
            return self.until.data
        hours = int(self.duration.data)
        return utcnow() + timedelta(hours=hours) if hours else None


class NoteForm(HarborForm):
    body = TextAreaField(
        "Private staff note",
        filters=[clean_multiline],
        validators=[NotBlank("Write the note first."), refuse_nul, Length(max=REASON_MAX_LENGTH)],
    )


class RoleForm(ReasonForm):
    role = SelectField("Role", choices=choices((role.value, role.value.title()) for role in Role))


class DeleteAccountForm(RequiredReasonForm):
    posts = RadioField(
        "Their posts and messages",
        choices=choices(
            [
                ("remove", "Remove them (placeholders keep others' replies readable)"),
                ("keep", "Keep them, shown as written by “a former member”"),
            ]
        ),
        validators=[InputRequired("Please choose what happens to their posts.")],
    )


class RememberForm(HarborForm):
    remembrance = StringField(
        "A line from the family (shown on the profile)",
        filters=[clean_line],
        validators=[refuse_nul, Length(max=200)],
        description="Optional; for example “Forever loved. Sharing her strength with us.”",
    )
    dates = StringField(
        "Dates, as the family would like them shown",
        filters=[clean_line],
        validators=[refuse_nul, Length(max=60)],
        description="Optional; for example “1961 – 2026”.",
    )
    reason = reason_field(
        required=True,
        label="Why (kept in the log, which every moderator reads: no names or contact details)",
        id="remember-reason",
    )


class MentorForm(ReasonForm):
    is_mentor = BooleanField("Peer mentor")


class WordForm(HarborForm):
    phrase = StringField(
        "Word or phrase",
        filters=[clean_line],
        validators=[NotBlank("Type a word or phrase."), refuse_nul, Length(max=100)],
    )
    action = SelectField(
        "What happens",
        choices=choices([
            (WordAction.BLOCK.value, "Block: refuse the post, keep the text"),
            (WordAction.HOLD.value, "Hold the post for approval"),
            (WordAction.FLAG.value, "Flag: publish, and report it to moderators"),
        ]),
    )  # fmt: skip


class BoardSettingsForm(ReasonForm):
    requires_approval = BooleanField("Every post on this board waits for approval")
    # Left out of a request, the board keeps what it has.
    visibility = SelectField(
        "Who can read it",
        choices=choices([
            (BoardVisibility.PUBLIC.value, "Everyone, without logging in"),
            (BoardVisibility.MEMBERS.value, "Members only"),
            (BoardVisibility.STAFF.value, "Moderators and admins only"),
        ]),
        validators=[Optional()],
    )  # fmt: skip
    noindex = BooleanField("Ask search engines not to list it (members-only boards never are)")
    allows_anonymous = BooleanField("Members may post as ‘A member’, their name hidden")

    def wanted(self) -> dict:
        """The settings as the board's columns hold them."""
        wanted = {
            "requires_approval": self.requires_approval.data,
            "noindex": self.noindex.data,
            "allows_anonymous": self.allows_anonymous.data,
        }
        if self.visibility.data:
            wanted["visibility"] = BoardVisibility(self.visibility.data)
        return wanted


class LogFilterForm(HarborForm):
    class Meta:
        csrf = False

    actor = StringField("Moderator", filters=[clean_line], validators=[Optional()])
    action = SelectField("Action", validators=[Optional()])
    member = StringField("Member", filters=[clean_line], validators=[Optional()])
