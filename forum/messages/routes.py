from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import models, policy
from ..forms import ActionForm
from ..models import ReportReason
from ..pagination import Page, requested_page
from ..services import crisis, messaging, moderation, posting
from ..services.posting import BlockedWords
from ..text import NUL, clean_line
from ..threads.forms import ReportForm
from . import bp
from .forms import MOST_RECIPIENTS, MessageReplyForm, NewConversationForm, recipient_names

CONVERSATIONS_PER_PAGE = 30
MESSAGES_PER_PAGE = 50


def posts_needed() -> int:
    return current_app.config["MESSAGES_AFTER_POSTS"]


def membership_or_404(conversation_id: int) -> models.ConversationMember:
    """The reader's place in the conversation. Anyone else, staff too, finds nothing here."""
    membership = models.membership_of(current_user, conversation_id)
    if not policy.can_read_conversation(current_user, membership):
        abort(404)
    return membership


def conversation_url(conversation_id: int, anchor: str | None = None) -> str:
    # Without a page number, a conversation opens at its newest messages.
    return url_for("messages.conversation", conversation_id=conversation_id, _anchor=anchor)


def blocked_message(error: BlockedWords) -> str:
    return (
        f"Your message uses words this community doesn't allow ({error}). "
        "Please change them and send again; your text is kept below."
    )


@bp.get("")
@login_required
def index():
    page = requested_page(CONVERSATIONS_PER_PAGE, models.count_conversations_of(current_user))
    return render_template(
        "messages/index.html",
        memberships=models.conversations_of(current_user, page.offset, page.per_page),
        page=page,
        can_start=policy.can_start_conversation(current_user, posts_needed()),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = NewConversationForm()
    if not form.is_submitted() and request.args.get("to"):
        form.to.data = clean_line(request.args["to"].replace(NUL, ""))[:400]
    if not may_offer_form(recipient_names(form.to.data), form.is_submitted()):
        silenced = not policy.can_speak(current_user)
        return render_template(
            "messages/not_yet.html",
            posts_needed=posts_needed(),
            posts_to_go=policy.posts_still_needed(current_user, posts_needed()),
            silenced=silenced,
        ), 403
    if form.validate_on_submit() and not form.edit_words.data:
        recipients, problems = recipients_for(recipient_names(form.to.data))
        form.to.errors = problems
        text = f"{form.subject.data}\n{form.body.data}"
        if not problems and not policy.can_start_conversation_with(
            current_user, recipients, posts_needed()
        ):
            form.to.errors.append(MENTORS_ONLY)
        elif not problems and form.pauses_for(posting.crisis_words(current_user, text)):
            return render_template("messages/new.html", form=form, crisis_lines=crisis.lines())
        elif not problems:
            try:
                conversation = messaging.start_conversation(
                    current_user, recipients, form.subject.data, form.body.data
                )
            except BlockedWords as error:
                form.body.errors.append(blocked_message(error))
            else:
                flash("Your message is sent.", "success")
                return redirect(conversation_url(conversation.id))
    return render_template("messages/new.html", form=form)


MENTORS_ONLY = (
    "Until you have shared a few posts on the boards, you can write to one peer mentor at "
    "a time. Please leave just their name here."
)


def may_offer_form(names: list[str], submitted: bool) -> bool:
    """Whether to offer the form at all: to members who have earned messages, and to a new
    member writing to a peer mentor. If such a member adds other names to the mentor's,
    the form comes back with their words kept and says why it can't go."""
    if policy.can_start_conversation(current_user, posts_needed()):
        return True
    named = models.members_named(names[:MOST_RECIPIENTS])
    if submitted and policy.can_speak(current_user):
        return any(policy.is_listed_mentor(member) for member in named)
    return policy.can_start_conversation_with(current_user, named, posts_needed())


def recipients_for(names: list[str]) -> tuple[list[models.User], list[str]]:
    """The members these names belong to, or what stops each one receiving the message.

    A block is never named as such: the sender only learns the member can't receive
    messages from them, just as for a suspended account.
    """
    found = {member.username_key: member for member in models.members_named(names)}
    ids = [member.id for member in found.values()]
    they_blocked = models.blockers_of(current_user, ids)
    recipients, problems = [], []
    for name in names:
        member = found.get(name.lower())
        if member is None:
            problems.append(f"There is no member called “{name}”. Please check the spelling.")
        elif member.is_system:
            problems.append(f"“{member.username}” is the site's own account, which no one "
                            "reads. To reach the moderators, report a post or write to one "
                            "of them.")  # fmt: skip
        elif member.id == current_user.id:
            problems.append("You don't need to add yourself: you are in the conversation already.")
        elif models.has_blocked(current_user, member):
            problems.append(f"You have blocked {member.username}. Unblock them on their "
                            "profile first if you want to write to them.")  # fmt: skip
        elif policy.is_remembered(member):
            problems.append(f"{member.username} is remembered with love here, and can't "
                            "receive messages.")  # fmt: skip
        elif not policy.can_message(current_user, member, member.id in they_blocked):
            problems.append(f"{member.username} can't receive messages from you.")
        else:
            recipients.append(member)
    return recipients, problems


@bp.get("/<int:conversation_id>")
@login_required
def conversation(conversation_id: int):
    membership = membership_or_404(conversation_id)
    return show_conversation(membership, MessageReplyForm(), last_page="page" not in request.args)


def show_conversation(membership: models.ConversationMember, form: MessageReplyForm,
                      last_page: bool = False):  # fmt: skip
    conversation = membership.conversation
    if last_page:
        page = Page(1, MESSAGES_PER_PAGE, conversation.message_count)
        page = Page(page.count, MESSAGES_PER_PAGE, conversation.message_count)
    else:
        page = requested_page(MESSAGES_PER_PAGE, conversation.message_count)
    members = models.members_of(conversation)
    others = others_in(members)
    return render_template(
        "messages/conversation.html",
        conversation=conversation,
        membership=membership,
        others=others,
        messages=models.messages_in(conversation, page.offset, page.per_page),
        page=page,
        form=form,
        can_write=may_write(membership, others),
        # In a group, what someone the reader blocked writes stays folded away.
        i_blocked=models.blocked_among(current_user, [row.user_id for row in members]),
    )


def others_in(members: list[models.ConversationMember]) -> list[models.User]:
    """Everyone still in the conversation but the reader."""
    return [row.user for row in members if row.user_id != current_user.id and not row.has_left]


def may_write(membership: models.ConversationMember, others: list[models.User]) -> bool:
    blocked_by = models.blockers_of(current_user, [user.id for user in others])
    return policy.can_write_in_conversation(current_user, membership, others, blocked_by)


@bp.post("/<int:conversation_id>/reply")
@login_required
def reply(conversation_id: int):
    membership = membership_or_404(conversation_id)
    form = MessageReplyForm()
    if form.validate_on_submit() and form.edit_words.data:
        return show_conversation(membership, form, last_page=True)
    if form.validate_on_submit():
        conversation = membership.conversation
        if not may_write(membership, others_in(models.members_of(conversation))):
            abort(403)
        if form.pauses_for(posting.crisis_words(current_user, form.body.data)):
            return render_template(
                "messages/crisis_reply.html", conversation=conversation, form=form,
                crisis_lines=crisis.lines(),
            )  # fmt: skip
        try:
            message = messaging.reply(conversation, current_user, form.body.data)
        except BlockedWords as error:
            form.body.errors.append(blocked_message(error))
        else:
            return redirect(conversation_url(conversation.id, anchor=f"m{message.id}"))
    # The last page again, where the reply box is, with the words kept.
    return show_conversation(membership, form, last_page=True), 400


@bp.post("/<int:conversation_id>/read")
@login_required
def mark_read(conversation_id: int):
    membership = membership_or_404(conversation_id)
    if ActionForm().validate_on_submit():
        messaging.mark_read(membership, current_user)
    return redirect(conversation_url(conversation_id))


@bp.post("/<int:conversation_id>/leave")
@login_required
def leave(conversation_id: int):
    membership = membership_or_404(conversation_id)
    if ActionForm().validate_on_submit():
        messaging.leave(membership, current_user)
        flash(f"You have left “{membership.conversation.subject}”.", "success")
    return redirect(url_for(".index"))


@bp.route("/m/<int:message_id>/report", methods=["GET", "POST"])
@login_required
def report(message_id: int):
    message = models.message_with_conversation(message_id) or abort(404)
    membership_or_404(message.conversation_id)
    if not policy.can_report_message(current_user, message):
        abort(403)
    form = ReportForm()
    if form.validate_on_submit():
        filed = moderation.report_message(
            message, current_user, ReportReason(form.reason.data), form.note.data or ""
        )
        flash("Thank you for telling us. A moderator will look at this message soon." if filed
              else "You've already reported this message. A moderator will look at it soon.",
              "success")  # fmt: skip
        return redirect(conversation_url(message.conversation_id, anchor=f"m{message.id}"))
    return render_template("messages/report.html", message=message, form=form)
