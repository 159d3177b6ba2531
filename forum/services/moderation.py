"""What moderators do, each action committed together with its moderation-log entry.

Every public function here changes something, writes a ModerationLog row describing each
thing it changed (hiding an opening post hides its thread too: two rows), and commits once:
an action without its log entry cannot exist.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import policy
from ..extensions import db
from ..models import (
    FOREVER,
    Board,
    Case,
    CaseStatus,
    Message,
    MessageState,
    ModerationLog,
    OutboxEmail,
    Post,
    PostState,
    Report,
    ReportReason,
    Resolution,
    Sanction,
    SanctionKind,
    SitePage,
    StaffNote,
    Thread,
    ThreadState,
    User,
    WatchedWord,
    WordAction,
    utcnow,
)
from . import notifications, posting, searching, site_pages, watchwords
from .accounts import system_account

# Every action the log can hold, for the log page's filter.
LOG_ACTIONS = (
    "pin", "unpin", "lock", "unlock", "move", "rename", "hide-thread", "restore-thread",
    "merge", "split", "hide-post", "restore-post", "edit-post", "auto-hide",
    "resolve-dismissed", "resolve-hidden", "resolve-hidden-warned", "approve", "reject",
    "warn", "silence", "suspend", "lift", "note", "watch-word", "unwatch-word", "set-role",
    "board-approval", "board-visibility", "board-noindex", "board-anonymous",
    "reveal-author", "content-note", "edit-page", "remember", "unremember",
    "grant-mentor", "revoke-mentor", "delete-account",
)  # fmt: skip


class AlreadyHandled(Exception):
    """Someone else dealt with this first; nothing was changed."""


def _log(actor: User, action: str, reason: str = "", **about) -> ModerationLog:
    details = about.pop("details", {})
    entry = ModerationLog(actor_id=actor.id, action=action, reason=reason or "", details=details)
    for name in ("subject", "thread", "post", "case"):
        if about.get(name) is not None:
            setattr(entry, f"{name}_id", about[name].id)
    db.session.add(entry)
    return entry


# Curating threads


def set_pinned(thread: Thread, actor: User, pinned: bool, reason: str = "") -> None:
    _log(actor, "pin" if pinned else "unpin", reason, thread=thread,
         details={"pinned": [thread.is_pinned, pinned]})  # fmt: skip
    thread.is_pinned = pinned
    db.session.commit()


def set_locked(thread: Thread, actor: User, locked: bool, reason: str = "") -> None:
    _log(actor, "lock" if locked else "unlock", reason, thread=thread,
         details={"locked": [thread.is_locked, locked]})  # fmt: skip
    thread.is_locked = locked
    thread.lock_reason = (reason or None) if locked else None
    db.session.commit()


def move_thread(thread: Thread, actor: User, board: Board, reason: str = "") -> None:
    source = db.session.get(Board, thread.board_id)
    _log(actor, "move", reason, thread=thread, details={"board": [source.slug, board.slug]})
    thread.board_id = board.id
    recount_boards(source, board)
    searching.index_thread(thread)  # the index files each post under its board
    db.session.commit()


def rename_thread(thread: Thread, actor: User, title: str, reason: str = "") -> None:
    _log(actor, "rename", reason, thread=thread, details={"title": [thread.title, title]})
    thread.title = title
    thread.slug = posting.thread_slug(title)
    searching.index_thread(thread)
    db.session.commit()


def set_thread_hidden(thread: Thread, actor: User, hidden: bool, reason: str = "") -> None:
    """Hide a visible thread, or bring back a hidden one. Anything else (hiding it twice,
    "restoring" a thread that waits for approval, which would publish it unapproved) is
    AlreadyHandled: nothing changes, nobody is told twice."""
    if thread.state is not (ThreadState.VISIBLE if hidden else ThreadState.HIDDEN):
        raise AlreadyHandled()
    _set_thread_hidden(thread, actor, hidden, reason)
    _tell_thread_writers(thread, actor, its_author_too=True)
    db.session.commit()


# What the members who wrote in a thread are told when it is hidden or comes back: their
# own words go out of their sight with it (a hidden thread is its author's and staff's).
THREAD_HIDDEN_TO_ITS_AUTHOR = (
    "A moderator hid your thread “{title}”. Only you and the moderators can see it now."
)
THREAD_HIDDEN_TO_ITS_REPLIERS = (
    "A moderator hid the thread “{title}”, where you replied. Your words are kept, but only "
    "the moderators can see them while it is hidden."
)
THREAD_BACK = "The thread “{title}” is back: everyone can see it again."


def _tell_thread_writers(thread: Thread, actor: User, its_author_too: bool) -> None:
    """Tell everyone with a visible post in ``thread`` that it was hidden or restored, and
    its author if ``its_author_too`` (otherwise not: they hear about their opening post);
    never the moderator who did it."""
    wrote = select(Post.author_id).where(
        Post.thread_id == thread.id, Post.state == PostState.VISIBLE
    )
    who = or_(User.id.in_(wrote), User.id == thread.author_id)
    if not its_author_too:
        who = and_(User.id.in_(wrote), User.id != thread.author_id)
    writers = db.session.scalars(select(User).where(who, User.id != actor.id).order_by(User.id))
    for writer in writers:
        if thread.state is not ThreadState.HIDDEN:
            text = THREAD_BACK
        elif writer.id == thread.author_id:
            text = THREAD_HIDDEN_TO_ITS_AUTHOR
        else:
            text = THREAD_HIDDEN_TO_ITS_REPLIERS
        notifications.notify(writer, "moderation", text.format(title=thread.title))


def _set_thread_hidden(thread: Thread, actor: User, hidden: bool, reason: str,
                       **details) -> None:  # fmt: skip
    state = ThreadState.HIDDEN if hidden else ThreadState.VISIBLE
    # An anonymous thread's author stays unnamed in the log, as for anonymous posts.
    subject = None if thread.is_anonymous else _author(thread)
    details = {"state": [thread.state.value, state.value], **details}
    _log(actor, "hide-thread" if hidden else "restore-thread", reason, thread=thread,
         subject=subject, details=details)  # fmt: skip
    thread.state = state
    posting.recount_board(db.session.get(Board, thread.board_id))
    searching.index_thread(thread)
    if hidden:
        notifications.withdraw_notices_about(
            select(Post.id).where(Post.thread_id == thread.id),
            still_readable_by={thread.author_id},
            staff_may_read=True,
        )


def _thread_follows_opening_post(post: Post, actor: User, reason: str) -> None:
    """A thread whose opening post is hidden is hidden with it, or its title would stay on
    the board, the author's profile and in feeds; restoring the post brings it back."""
    thread = db.session.get(Thread, post.thread_id)
    if post.id != thread.first_post_id:
        return
    if post.is_hidden and thread.state is ThreadState.VISIBLE:
        _set_thread_hidden(thread, actor, True, reason, opening_post=post.id)
    elif post.is_visible and thread.state is ThreadState.HIDDEN:
        _set_thread_hidden(thread, actor, False, reason, opening_post=post.id)
    else:
        return
    # Its author hears about the opening post itself; the others who replied, about this.
    _tell_thread_writers(thread, actor, its_author_too=False)


def merge_threads(thread: Thread, into: Thread, actor: User, reason: str = "") -> None:
    """Move every post of ``thread`` to the end of ``into``; the old address redirects."""
    _log(actor, "merge", reason, thread=thread, details={"into": into.id})
    offset = into.post_count
    db.session.execute(
        update(Post).where(Post.thread_id == thread.id)
        .values(thread_id=into.id, number=Post.number + offset)
    )  # fmt: skip
    thread.state = ThreadState.MERGED
    thread.merged_into_id = into.id
    thread.first_post_id = thread.last_post_id = None
    thread.post_count = thread.reply_count = 0
    db.session.flush()
    posting.recount_thread(into)
    searching.index_thread(into)
    recount_boards(
        *(db.session.get(Board, board_id) for board_id in {thread.board_id, into.board_id})
    )
    db.session.commit()


def split_thread(thread: Thread, actor: User, post_ids: list[int], title: str,
                 reason: str = "") -> Thread:  # fmt: skip
    """Move the chosen replies, in order, into a new thread in the same board."""
    posts = db.session.scalars(
        select(Post)
        .where(Post.thread_id == thread.id, Post.id.in_(post_ids), Post.id != thread.first_post_id)
        .order_by(Post.number)
    ).all()
    if not posts:
        raise ValueError("Choose at least one reply to move.")
    first = posts[0]
    new = Thread(
        board_id=thread.board_id, author_id=first.author_id, title=title,
        slug=posting.thread_slug(title), created_at=first.created_at,
        is_anonymous=first.is_anonymous,
    )  # fmt: skip
    db.session.add(new)
    db.session.flush()
    for number, post in enumerate(posts, start=1):
        post.thread_id, post.number = new.id, -number  # negative until the old numbers are gone
    db.session.flush()
    for post in posts:
        post.number = -post.number
    _log(actor, "split", reason, thread=thread,
         details={"new_thread": new.id, "posts": [post.id for post in posts]})  # fmt: skip
    _renumber(thread)
    posting.recount_thread(thread)
    posting.recount_thread(new)
    posting.recount_board(db.session.get(Board, thread.board_id))
    searching.index_thread(new)
    db.session.commit()
    return new


def recount_boards(*boards: Board) -> None:
    # Always in id order, so two moderators moving threads each way cannot deadlock.
    for board in sorted(set(boards), key=lambda board: board.id):
        posting.recount_board(board)


def _renumber(thread: Thread) -> None:
    """Close the gaps a split leaves, so pages stay twenty posts long."""
    posts = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.number)
    ).all()
    for post in posts:
        post.number = -post.number
    db.session.flush()
    for number, post in enumerate(posts, start=1):
        post.number = number
    db.session.flush()


def _author(thread: Thread) -> User:
    return db.session.get(User, thread.author_id)


# Curating posts


def hide_post(post: Post, actor: User, category: ReportReason, reason: str = "",
              case: Case | None = None) -> None:  # fmt: skip
    _hide(post, category)
    _log(actor, "hide-post", reason, post=post, subject=_named_author(post), case=case,
         details={"category": category.value})  # fmt: skip
    _thread_follows_opening_post(post, actor, reason)
    _tell_author(post, HIDDEN_BY_A_MODERATOR)
    db.session.commit()


def _hide(post: Post, category: ReportReason, by_reports: bool = False) -> None:
    post.state = PostState.HIDDEN
    post.removal_reason = category.value
    post.hidden_by_reports = by_reports
    posting.recount_around(post)
    searching.index_post(post)
    notifications.withdraw_notices_about(
        [post.id], still_readable_by={post.author_id}, staff_may_read=True
    )


class NotRestorable(Exception):
    """Only a hidden post comes back: one its author deleted stays deleted, and one waiting
    for approval is approved, not restored."""


def restore_post(post: Post, actor: User, reason: str = "") -> None:
    if not post.is_hidden:
        raise NotRestorable()
    _log(actor, "restore-post", reason, post=post, subject=_named_author(post),
         details={"state": [post.state.value, PostState.VISIBLE.value]})  # fmt: skip
    _restore(post)
    _thread_follows_opening_post(post, actor, reason)
    _tell_author(post, RESTORED)
    db.session.commit()


def _restore(post: Post) -> None:
    post.state = PostState.VISIBLE
    post.removal_reason = None
    post.hidden_by_reports = False
    posting.recount_around(post)
    searching.index_post(post)


# What a post's author is told (see _tell_author).
HIDDEN_BY_A_MODERATOR = (
    "A moderator hid your post in “{title}” ({reason}). Only you and the moderators can see it now."
)
HIDDEN_BY_REPORTS = (
    "Your post in “{title}” is hidden for now because members reported it. A moderator will "
    "look at it soon; until then only you and the moderators can see it."
)
KEPT_HIDDEN = (
    "A moderator looked at your post in “{title}” and it stays hidden ({reason}). "
    "Only you and the moderators can see it."
)
RESTORED = "A moderator restored your post in “{title}”. Everyone can see it again."


def _tell_author(post: Post, text: str) -> None:
    """Tell a post's author what became of it, in calm words: ``text`` may name the thread
    ("{title}") and why it was hidden ("{reason}"). It goes to the real author of an
    anonymous post too; nobody else reads their notifications."""
    thread = db.session.get(Thread, post.thread_id)
    reason = ReportReason(post.removal_reason).label if post.removal_reason else ""
    notifications.notify(
        _post_author(post), "moderation", text.format(title=thread.title, reason=reason),
        post=post,
    )  # fmt: skip


def staff_edit_post(post: Post, actor: User, body: str, reason: str = "") -> None:
    if posting.revise_post(post, actor, body):
        post.edited_by_staff = True
        _log(actor, "edit-post", reason, post=post, subject=_named_author(post))
        db.session.commit()


def set_content_note(post: Post, actor: User, note: str | None, reason: str = "") -> bool:
    """A moderator adds, changes or removes a post's content note. False if unchanged."""
    if note == post.content_note:
        return False
    _log(actor, "content-note", reason, post=post, subject=_named_author(post),
         details={"content_note": [post.content_note, note]})  # fmt: skip
    post.content_note = note
    db.session.commit()
    return True


def _post_author(post: Post) -> User:
    return db.session.get(User, post.author_id)


def _named_author(post: Post) -> User | None:
    """Who the log may say a post is by: nobody, for an anonymous post. The log is read by
    every moderator, and would otherwise name the author beside the post."""
    return None if post.is_anonymous else _post_author(post)


def reveal_author(post: Post, actor: User, reason: str) -> User:
    """Tell one moderator who wrote an anonymous post, logging who asked and why.

    The log row names the post, not the author, so the log page does not pass the name on.
    """
    _log(actor, "reveal-author", reason, post=post)
    db.session.commit()
    return _post_author(post)


# Reports


def report_post(post: Post, reporter: User, reason: ReportReason, note: str = "") -> bool:
    """File a report; False if this member already has an open report of this post."""
    if db.session.scalar(
        select(Report.id).where(
            Report.post_id == post.id, Report.reporter_id == reporter.id, Report.is_open
        )
    ):
        return False
    case = _open_case(post, urgent=reason.is_urgent)
    db.session.add(
        Report(case_id=case.id, post_id=post.id, reporter_id=reporter.id, reason=reason, note=note)
    )
    _count_report(case)
    case.updated_at = utcnow()
    counted = _reports_counting_towards_hiding(case)
    if counted >= current_app.config["REPORTS_TO_HIDE"] and post.state is PostState.VISIBLE:
        _hide(post, _most_reported_reason(case, reason), by_reports=True)
        case.auto_hidden = True
        site = system_account()
        _log(site, "auto-hide", f"{counted} members who have earned trust reported it",
             post=post, subject=_named_author(post), case=case,
             details={"reports": case.report_count, "counted": counted})  # fmt: skip
        _thread_follows_opening_post(post, site, "Its opening post was hidden by reports")
        _tell_author(post, HIDDEN_BY_REPORTS)
    db.session.commit()
    return True


def _reports_counting_towards_hiding(case: Case) -> int:
    """How many of the case's reports may hide the post before a moderator looks: those
    from members who have earned trust (policy.report_counts_towards_hiding). Read after
    _count_report, which holds the case's row, so reports arriving together all count."""
    reporters = db.session.scalars(
        select(User).join(Report, Report.reporter_id == User.id)
        .where(Report.case_id == case.id, Report.is_open)
    ).all()  # fmt: skip
    held = current_app.config["FIRST_POSTS_HELD"]
    return sum(policy.report_counts_towards_hiding(reporter, held) for reporter in reporters)


def report_message(message: Message, reporter: User, reason: ReportReason, note: str = "") -> bool:
    """File a report of a private message; False if this member already has one open.

    It joins the same queue as posts. Unlike posts, reports never hide a message on their
    own: a conversation has too few readers for a count of reports to mean anything.
    """
    if db.session.scalar(
        select(Report.id).where(
            Report.message_id == message.id, Report.reporter_id == reporter.id, Report.is_open
        )
    ):
        return False
    case = _open_message_case(message, urgent=reason.is_urgent)
    db.session.add(Report(case_id=case.id, message_id=message.id, reporter_id=reporter.id,
                          reason=reason, note=note))  # fmt: skip
    _count_report(case)
    case.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        # Another report of it opened the case (or this member's report) at the same moment:
        # try again, now seeing theirs.
        db.session.rollback()
        return report_message(message, reporter, reason, note)
    return True


def _open_message_case(message: Message, urgent: bool) -> Case:
    return _open_case_about(Case.message_id, message.id, message.author_id, urgent)


def flag_post(post: Post, note: str) -> None:
    """An automatic report by the site itself (a watched word). The caller commits."""
    case = _open_case(post, urgent=False)
    _report_by_the_site(case, ReportReason.OTHER, note, post_id=post.id)


def raise_crisis_alarm(post: Post, phrases: list[str]) -> Case:
    """Its author chose to post words of self-harm or suicide after seeing the crisis
    lines: an urgent item at the top of the queue, with no mark on the post itself.

    It is the same case a member's "someone may be at risk" report opens, so moderators
    see one item per post whoever noticed first. The caller commits.
    """
    case = _open_case(post, urgent=True)
    _report_by_the_site(case, ReportReason.AT_RISK, crisis_note(phrases), post_id=post.id)
    return case


def raise_crisis_alarm_for_message(message: Message, phrases: list[str]) -> Case:
    """As for a post: staff see only this message, never the rest of the conversation."""
    case = _open_message_case(message, urgent=True)
    _report_by_the_site(case, ReportReason.AT_RISK, crisis_note(phrases), message_id=message.id)
    return case


def crisis_note(phrases: list[str]) -> str:
    return "Posted after seeing the crisis lines. Words noticed: " + ", ".join(
        f"“{phrase}”" for phrase in phrases
    )


def _report_by_the_site(case: Case, reason: ReportReason, note: str, **subject) -> None:
    """The site's own report in ``case``. It holds at most one open report per post or
    message (as every reporter does), so a later finding joins the first: the notes are
    kept together and the more urgent reason wins."""
    site = system_account()
    report = db.session.scalar(
        select(Report).where(Report.case_id == case.id, Report.reporter_id == site.id,
                             Report.is_open)
    )  # fmt: skip
    if report is None:
        db.session.add(Report(case_id=case.id, reporter_id=site.id, reason=reason, note=note,
                              **subject))  # fmt: skip
        _count_report(case)
    else:
        if note not in report.note:
            report.note = f"{report.note}\n{note}" if report.note else note
        if reason.is_urgent:
            report.reason = reason
    case.updated_at = utcnow()


def _open_case(post: Post, urgent: bool) -> Case:
    return _open_case_about(Case.post_id, post.id, post.author_id, urgent)


def _open_case_about(column, target_id: int, author_id: int, urgent: bool) -> Case:
    """The open case about one post or message (``column`` says which), opened if need be.

    Urgency only ever rises: a calm report joining an urgent case leaves it urgent.
    """
    case = db.session.scalar(
        select(Case).where(column == target_id, Case.status == CaseStatus.OPEN)
    )
    if case is None:
        case = Case(subject_id=author_id, report_count=0)
        setattr(case, column.key, target_id)
        db.session.add(case)
    case.is_urgent = case.is_urgent or urgent
    db.session.flush()
    return case


def _count_report(case: Case) -> None:
    # In SQL, and written at once: reports arriving together must each count, and what
    # follows reads the total.
    case.report_count = Case.report_count + 1
    db.session.flush()


def _most_reported_reason(case: Case, latest: ReportReason) -> ReportReason:
    db.session.flush()
    reason = db.session.scalar(
        select(Report.reason)
        .where(Report.case_id == case.id)
        .group_by(Report.reason)
        .order_by(func.count().desc(), func.max(Report.id).desc())
        .limit(1)
    )
    return reason or latest


def resolve_case(case_id: int, actor: User, resolution: Resolution, reason: str = "") -> Case:
    """Close a case with one decision. Two moderators at once: the second gets AlreadyHandled."""
    # Claiming the case with a conditional UPDATE makes the first moderator's click win.
    claimed = db.session.execute(
        update(Case)
        .where(Case.id == case_id, Case.status == CaseStatus.OPEN)
        .values(status=CaseStatus.CLOSED, resolution=resolution, resolution_reason=reason,
                resolved_by_id=actor.id, resolved_at=utcnow())
    ).rowcount  # fmt: skip
    if claimed != 1:
        db.session.rollback()
        raise AlreadyHandled()
    case = db.session.get(Case, case_id)
    db.session.refresh(case)
    db.session.execute(update(Report).where(Report.case_id == case.id).values(is_open=False))
    if case.is_about_message:
        _resolve_message_case(case, actor, resolution, reason)
        db.session.commit()
        return case
    post = db.session.get(Post, case.post_id)
    subject = _post_author(post)
    told = None
    if resolution is Resolution.DISMISSED:
        # Members' reports hid it; a moderator found nothing wrong.
        if post.awaits_review:
            _restore(post)
            told = RESTORED
    elif post.awaits_review:
        post.hidden_by_reports = False  # a moderator's decision now, and readers are told so
        told = KEPT_HIDDEN
    elif post.state is not PostState.HIDDEN:
        _hide(post, _most_reported_reason(case, ReportReason.OTHER))
        told = HIDDEN_BY_A_MODERATOR
    _log(actor, f"resolve-{resolution.value}", reason, post=post, subject=_named_author(post),
         case=case)  # fmt: skip
    if told:
        _thread_follows_opening_post(post, actor, reason)
        _tell_author(post, told)
    if resolution is Resolution.HIDDEN_AND_WARNED:
        # The warning reaches the real author even when the moderator never learnt who it is.
        _warn(subject, actor, reason)
    db.session.commit()
    return case


def _resolve_message_case(case: Case, actor: User, resolution: Resolution, reason: str) -> None:
    message = db.session.get(Message, case.message_id)
    subject = db.session.get(User, message.author_id)
    # A message its author withdrew (deleting their account) is already gone.
    if resolution is not Resolution.DISMISSED and message.is_visible:
        message.state = MessageState.HIDDEN
        message.removal_reason = _most_reported_reason(case, ReportReason.OTHER).value
    # The log has no message column: the case (and these details) say what it was about.
    _log(actor, f"resolve-{resolution.value}", reason, subject=subject, case=case,
         details={"message": message.id, "conversation": message.conversation_id})  # fmt: skip
    if resolution is Resolution.HIDDEN_AND_WARNED:
        _warn(subject, actor, reason)


# Approving first posts


def approve_post(post: Post, actor: User, reason: str = "") -> None:
    _decide_held_post(post, actor, approve=True, reason=reason)


def reject_post(post: Post, actor: User, reason: str = "") -> None:
    _decide_held_post(post, actor, approve=False, reason=reason)


def _decide_held_post(post: Post, actor: User, approve: bool, reason: str) -> None:
    claimed = db.session.execute(
        update(Post).where(Post.id == post.id, Post.state == PostState.HELD)
        .values(state=PostState.VISIBLE if approve else PostState.REJECTED)
    ).rowcount  # fmt: skip
    if claimed != 1:
        db.session.rollback()
        raise AlreadyHandled()
    db.session.refresh(post)
    thread = db.session.get(Thread, post.thread_id)
    author = _post_author(post)
    opens_thread = post.id == thread.first_post_id and thread.state is ThreadState.HELD
    if opens_thread:
        thread.state = ThreadState.VISIBLE if approve else ThreadState.HIDDEN
    # Recounting the author under their row lock counts the approved post exactly, even
    # when two moderators approve their posts at once.
    posting.recount_around(post)
    if opens_thread:
        searching.index_thread(thread)
    else:
        searching.index_post(post)
    if approve:
        notifications.notify_new_post(post)
    _log(actor, "approve" if approve else "reject", reason, post=post, subject=_named_author(post))
    notifications.notify(
        author,
        "approval",
        f"A moderator approved your post in “{thread.title}”. It is now visible to everyone."
        if approve
        else f"A moderator did not approve your post in “{thread.title}”. Reason: {reason}",
        post=post,
    )
    db.session.commit()


# Members in trouble


def warn(member: User, actor: User, reason: str) -> Sanction:
    sanction = _warn(member, actor, reason)
    _log(actor, "warn", reason, subject=member)
    db.session.commit()
    return sanction


def _warn(member: User, actor: User, reason: str) -> Sanction:
    sanction = Sanction(user_id=member.id, kind=SanctionKind.WARNING, reason=reason,
                        created_by_id=actor.id)  # fmt: skip
    db.session.add(sanction)
    member.has_pending_warning = True
    return sanction


def silence(member: User, actor: User, reason: str, until: datetime) -> Sanction:
    sanction = Sanction(user_id=member.id, kind=SanctionKind.SILENCE, reason=reason,
                        created_by_id=actor.id, ends_at=until)  # fmt: skip
    db.session.add(sanction)
    member.silenced_until = until
    _log(actor, "silence", reason, subject=member, details={"until": _when(until)})
    db.session.commit()
    return sanction


def suspend(member: User, actor: User, reason: str, until: datetime | None) -> Sanction:
    until = until or FOREVER
    sanction = Sanction(user_id=member.id, kind=SanctionKind.SUSPENSION, reason=reason,
                        created_by_id=actor.id, ends_at=until)  # fmt: skip
    db.session.add(sanction)
    member.suspended_until = until
    # A new session token logs the member out everywhere at once.
    member.session_token = User.new_token()
    _log(actor, "suspend", reason, subject=member, details={"until": _when(until)})
    db.session.commit()
    return sanction


def lift(member: User, actor: User, reason: str) -> int:
    """End every silence and suspension in force; returns how many were lifted."""
    now = utcnow()
    active = [
        sanction
        for sanction in db.session.scalars(
            select(Sanction).where(
                Sanction.user_id == member.id,
                Sanction.kind.in_([SanctionKind.SILENCE, SanctionKind.SUSPENSION]),
                Sanction.lifted_at.is_(None),
            )
        )
        if sanction.is_active(now)
    ]
    for sanction in active:
        sanction.lifted_at, sanction.lifted_by_id = now, actor.id
    member.silenced_until = member.suspended_until = None
    _log(actor, "lift", reason, subject=member, details={"lifted": len(active)})
    db.session.commit()
    return len(active)


def add_staff_note(member: User, actor: User, body: str) -> StaffNote:
    note = StaffNote(user_id=member.id, author_id=actor.id, body=body)
    db.session.add(note)
    db.session.flush()
    # The note's words stay in the note, which deleting the account removes; the log, which
    # can never be changed, only says that one was written.
    _log(actor, "note", "", subject=member, details={"note": note.id})
    db.session.commit()
    return note


def acknowledge_warnings(member: User) -> None:
    """The member has read their warnings (not a moderator action, so not logged)."""
    db.session.execute(
        update(Sanction)
        .where(Sanction.user_id == member.id, Sanction.kind == SanctionKind.WARNING,
               Sanction.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow())
    )  # fmt: skip
    member.has_pending_warning = False
    db.session.commit()


def _when(moment: datetime) -> str:
    return "for good" if moment >= FOREVER else moment.isoformat(timespec="minutes")


# Site settings (admins)


def add_watched_word(phrase: str, action: WordAction, actor: User) -> WatchedWord:
    key = watchwords.phrase_key(phrase)
    word = db.session.scalar(select(WatchedWord).where(WatchedWord.phrase_key == key))
    before = word.action.value if word else None
    if word is None:
        word = WatchedWord(phrase=phrase, phrase_key=key, action=action, created_by_id=actor.id)
        db.session.add(word)
    word.action = action
    _log(actor, "watch-word", details={"phrase": phrase, "action": [before, action.value]})
    db.session.commit()
    return word


def remove_watched_word(word: WatchedWord, actor: User) -> None:
    _log(actor, "unwatch-word", details={"phrase": word.phrase, "action": word.action.value})
    db.session.delete(word)
    db.session.commit()


def set_role(member: User, actor: User, role, reason: str = "") -> None:
    _log(
        actor, "set-role", reason, subject=member, details={"role": [member.role.value, role.value]}
    )
    member.role = role
    db.session.commit()


def edit_site_page(name: str, source: str, actor: User, reason: str = "") -> SitePage:
    """An admin rewrites one of the site's own pages (the crisis protocol, say)."""
    page = site_pages.current(name)
    before = page.source
    page.source, page.html = source, site_pages.render_page(source)
    page.updated_at, page.updated_by_id = utcnow(), actor.id
    db.session.add(page)
    _log(actor, "edit-page", reason,
         details={"page": name, "characters": [len(before), len(source)]})  # fmt: skip
    db.session.commit()
    return page


# Remembering members who have died, and peer mentors (admins)


def mark_remembered(member: User, actor: User, remembrance: str, dates: str, reason: str) -> None:
    """Close a member's account in remembrance, at their family's request.

    Their posts stay exactly as they were. A new session token ends every session and
    remember-me cookie at once, and email still waiting for them is never sent. The
    reason (who asked) is kept in the log; the family's contact details belong elsewhere.
    """
    now = utcnow()
    member.remembered_at = now
    member.remembrance = remembrance or None
    member.remembrance_dates = dates or None
    member.session_token = User.new_token()
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.user_id == member.id, OutboxEmail.sent_at.is_(None),
               OutboxEmail.given_up_at.is_(None))
        .values(given_up_at=now, last_error="Not sent: the member is remembered.")
    )  # fmt: skip
    # The family's words are on the profile; the log, which can never be changed, keeps none.
    _log(actor, "remember", reason, subject=member)
    db.session.commit()


def undo_remembered(member: User, actor: User, reason: str) -> None:
    """Reopen the account (a mistake, or the family changed their mind): login works again
    with the same password, and mail and messages reach them as before."""
    _log(actor, "unremember", reason, subject=member)
    member.remembered_at = None
    member.remembrance = None
    member.remembrance_dates = None
    db.session.commit()


def set_mentor(member: User, actor: User, is_mentor: bool, reason: str = "") -> None:
    """Give or take back the peer mentor badge. Taking it back also takes them off /mentors."""
    _log(actor, "grant-mentor" if is_mentor else "revoke-mentor", reason, subject=member,
         details={"mentor": [member.is_mentor, is_mentor]})  # fmt: skip
    member.is_mentor = is_mentor
    if not is_mentor:
        member.mentor_listed = False
    db.session.commit()


# Each board setting an admin may change, and the log action that records it.
BOARD_SETTINGS = {
    "requires_approval": "board-approval",
    "visibility": "board-visibility",
    "noindex": "board-noindex",
    "allows_anonymous": "board-anonymous",
}


def set_board_approval(board: Board, actor: User, required: bool, reason: str = "") -> None:
    change_board_settings(board, actor, {"requires_approval": required}, reason)


def change_board_settings(board: Board, actor: User, wanted: dict, reason: str = "") -> int:
    """Change any of a board's BOARD_SETTINGS, one log row per setting that changed.

    Returns how many changed.
    """
    changed = 0
    for name, action in BOARD_SETTINGS.items():
        if name not in wanted or getattr(board, name) == wanted[name]:
            continue
        before, after = getattr(board, name), wanted[name]
        _log(actor, action, reason,
             details={"board": board.slug, name: [_plain(before), _plain(after)]})  # fmt: skip
        setattr(board, name, after)
        changed += 1
    db.session.commit()
    return changed


def _plain(value):
    return getattr(value, "value", value)
