"""Who may do what. Views and templates ask these functions; nothing else checks roles.

Each rule takes the acting user explicitly (an anonymous visitor is ``None`` or an
unauthenticated Flask-Login user) so a rule reads, and is tested, as a table.
"""

from datetime import datetime, timedelta

from .models import (
    Board,
    BoardVisibility,
    ConversationMember,
    Message,
    Post,
    PostState,
    ReactionKind,
    Role,
    Thread,
    ThreadState,
    User,
    utcnow,
)

STAFF_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})
# Who each role may sanction: moderators deal with members, admins with moderators too.
SANCTIONABLE_BY = {
    Role.MODERATOR: frozenset({Role.MEMBER}),
    Role.ADMIN: frozenset({Role.MEMBER, Role.MODERATOR}),
}


def is_member(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and not user.is_system)


def is_staff(user: User | None) -> bool:
    return is_member(user) and user.role in STAFF_ROLES


def is_admin(user: User | None) -> bool:
    return is_member(user) and user.role is Role.ADMIN


# Accounts


def can_log_in(user: User) -> bool:
    # A remembered member's account is closed: nobody logs in as them, and the password
    # reset and confirmation links that need a live account stop working too.
    return not user.is_system and user.password_hash is not None and not is_remembered(user)


# Spammers post from accounts made minutes ago: in their first day members post and
# message more slowly (forum/limits.py).
NEW_MEMBER_PERIOD = timedelta(days=1)


def is_new_member(user: User | None, now: datetime | None = None) -> bool:
    return is_member(user) and (now or utcnow()) - user.created_at < NEW_MEMBER_PERIOD


def is_remembered(user: User) -> bool:
    """A member who has died, marked by an admin at their family's request."""
    return user.remembered_at is not None


def may_notify(user: User) -> bool:
    """Whether anything should be added to a member's notifications (and so their email).

    Nothing is kept for the site's own account, a member who is remembered, or an account
    that was deleted.
    """
    return not user.is_system and not is_remembered(user) and not user.is_deleted


def may_email(user: User) -> bool:
    """Whether we may email a member about the forum: only to an address they confirmed,
    and never to a suspended account or the site's own."""
    return (
        can_log_in(user)
        and user.email is not None
        and user.email_confirmed_at is not None
        and not is_suspended(user)
    )


def is_suspended(user: User, now: datetime | None = None) -> bool:
    return user.is_suspended(now or utcnow())


def can_speak(user: User | None, now: datetime | None = None) -> bool:
    """Posting, replying and reporting: members who are not silenced."""
    return is_member(user) and not user.is_silenced(now or utcnow())


# Reading

VISITORS_READ = frozenset({BoardVisibility.PUBLIC})
MEMBERS_READ = frozenset({BoardVisibility.PUBLIC, BoardVisibility.MEMBERS})
STAFF_READ = frozenset(BoardVisibility)


def readable_visibilities(user: User | None) -> frozenset[BoardVisibility]:
    """Which kinds of board this person may read: the one rule behind every board check.

    Lists of posts and threads filter by it in SQL (models.readable_boards_clause);
    single pages ask can_read_board.
    """
    if is_staff(user):
        return STAFF_READ
    return MEMBERS_READ if is_member(user) else VISITORS_READ


def can_read_board(user: User | None, board: Board) -> bool:
    return board.visibility in readable_visibilities(user)


def may_log_in_to_read(user: User | None, board: Board) -> bool:
    """A visitor at a members' board is asked to log in (kindly), not told it isn't there."""
    return not is_member(user) and board.visibility in MEMBERS_READ


def has_feed(board: Board) -> bool:
    """Feeds are read by programs without a login: only public boards have them, and not
    those kept from search engines, since a feed is one more way to be indexed."""
    return can_read_board(None, board) and not board.noindex


def is_hidden_from_search_engines(board: Board) -> bool:
    return board.noindex or board.visibility is not BoardVisibility.PUBLIC


# A thread waiting for approval, or hidden by a moderator, stays in sight of its author
# (so they know it arrived, and what became of it) and of staff, who decide; a merged
# thread's address leads to the one it joined, so no list shows it.
SHOWN_TO_EVERYONE = frozenset({ThreadState.VISIBLE})
SHOWN_TO_AUTHOR_AND_STAFF = frozenset({ThreadState.VISIBLE, ThreadState.HELD, ThreadState.HIDDEN})


def thread_states_shown(user: User | None) -> tuple[frozenset, frozenset]:
    """Which states of anyone's threads, and of their own, this person may see: the one
    rule behind every thread page and every list of threads (models.listable_threads)."""
    if is_staff(user):
        return SHOWN_TO_AUTHOR_AND_STAFF, SHOWN_TO_AUTHOR_AND_STAFF
    if is_member(user):
        return SHOWN_TO_EVERYONE, SHOWN_TO_AUTHOR_AND_STAFF
    return SHOWN_TO_EVERYONE, SHOWN_TO_EVERYONE


def can_see_thread(user: User | None, thread: Thread) -> bool:
    """Needs the thread's board loaded (every query that loads a thread to show joins it)."""
    if not can_read_board(user, thread.board):
        return False
    anyones, own = thread_states_shown(user)
    return thread.state in anyones or (thread.state in own and user.id == thread.author_id)


def can_read_post(user: User | None, post: Post) -> bool:
    """Whether the post's words are shown (others may still see a placeholder)."""
    if post.state is PostState.VISIBLE:
        return True
    if post.state is PostState.DELETED:
        return False
    # Held, hidden and rejected posts stay readable to their author, so they know
    # what happened to them, and to staff, who decide.
    return is_staff(user) or (is_member(user) and user.id == post.author_id)


def shows_placeholder(user: User | None, post: Post) -> bool:
    """Readers who may not read a post still see where it was, unless it never appeared."""
    return post.state in (PostState.DELETED, PostState.HIDDEN)


# Writing


def can_start_thread(user: User | None, board: Board) -> bool:
    return can_speak(user) and can_read_board(user, board)


def can_post_anonymously(user: User | None, board: Board) -> bool:
    return board.allows_anonymous and is_member(user)


# The gentlest ways to say "I'm with you", for boards where members remember someone.
GENTLE_REACTIONS = (ReactionKind.LOVE, ReactionKind.THINKING_OF_YOU)


def reaction_kinds(board: Board) -> tuple[ReactionKind, ...]:
    """The support reactions a board offers: "Helpful" or "Me too" would jar on some."""
    return GENTLE_REACTIONS if board.is_gentle else tuple(ReactionKind)


def can_reply(user: User | None, thread: Thread) -> bool:
    if not can_speak(user) or not can_see_thread(user, thread):
        return False
    return not thread.is_locked or is_staff(user)


def can_edit_post(user: User | None, post: Post, thread: Thread) -> bool:
    # Authors may tidy their own words, but a locked thread is closed for everyone but staff.
    if not (can_speak(user) and post.author_id == user.id):
        return False
    if post.state not in (PostState.VISIBLE, PostState.HELD):
        return False
    return not thread.is_locked or is_staff(user)


def can_delete_post(user: User | None, post: Post, thread: Thread) -> bool:
    return can_edit_post(user, post, thread)


def can_report(user: User | None, post: Post) -> bool:
    return can_speak(user) and post.author_id != user.id and post.state is PostState.VISIBLE


def report_counts_towards_hiding(user: User, first_posts_held: int,
                                 now: datetime | None = None) -> bool:  # fmt: skip
    """Whether this member's report counts towards hiding a post before a moderator looks.

    A few accounts made in a minute must not be able to take down anyone's words, so only
    members who have earned some trust count: an address they confirmed, past their first
    day, and at least as many visible posts as a newcomer has held. Staff always count.
    Everyone's reports still reach the moderators' queue.
    """
    if is_staff(user):
        return True
    return (
        is_member(user)
        and user.email_confirmed_at is not None
        and not is_new_member(user, now)
        and user.visible_post_count >= first_posts_held
    )


def can_react(user: User | None, post: Post, thread: Thread) -> bool:
    """Support for others' words: members (even silenced ones) on public posts, not their own."""
    if not (is_member(user) and post.author_id != user.id and post.state is PostState.VISIBLE):
        return False
    return can_see_thread(user, thread)


def can_bookmark(user: User | None, post: Post, thread: Thread) -> bool:
    return is_member(user) and can_read_post(user, post) and can_see_thread(user, thread)


def can_watch(user: User | None) -> bool:
    return is_member(user)


def can_keep_reading_place(user: User | None) -> bool:
    """Members (even silenced ones) have threads marked as read; visitors have nothing kept."""
    return is_member(user)


def must_hold_for_approval(user: User, board: Board, first_posts_held: int) -> bool:
    """New members' first posts, and every post on some boards, wait for a moderator."""
    if is_staff(user) or user.is_system:
        return False
    return board.requires_approval or user.visible_post_count < first_posts_held


def is_screened_for_crisis(user: User | None) -> bool:
    """Whose words are checked for self-harm and suicide language before publishing.

    Members only: staff write about crisis lines as part of looking after everyone (and
    have the protocol), and the site's own guides are not someone reaching out.
    """
    return is_member(user) and not is_staff(user)


def can_set_content_note(user: User | None, post: Post, thread: Thread) -> bool:
    """Authors note their own posts when writing; staff may add or change any note."""
    return can_edit_post(user, post, thread) or can_moderate(user)


# Private messages. Scammers seek out people who are ill, so starting a conversation is
# earned with public posts, and anyone can shut a member out with a block.


def can_start_conversation(user: User | None, posts_needed: int) -> bool:
    """Members with enough visible posts on the boards; staff always (they must reach anyone)."""
    if not can_speak(user):
        return False
    return is_staff(user) or posts_still_needed(user, posts_needed) == 0


def posts_still_needed(user: User, posts_needed: int) -> int:
    """How many more visible posts a member needs before they may start conversations."""
    return max(0, posts_needed - user.visible_post_count)


def can_start_conversation_with(
    user: User | None, recipients: list[User], posts_needed: int
) -> bool:
    """Starting a conversation with these people. A new member who has not yet earned
    messages may still write to one listed peer mentor: that is what /mentors is for, and
    a mentor chose to be found. Whether each recipient can receive it is ``can_message``.
    """
    if can_start_conversation(user, posts_needed):
        return True
    return can_speak(user) and len(recipients) == 1 and is_listed_mentor(recipients[0])


def can_receive_messages(user: User) -> bool:
    """Accounts nobody can log in to (the site's own, remembered members), or that are
    suspended, would never read them."""
    return can_log_in(user) and not is_suspended(user)


def can_message(sender: User | None, recipient: User, blocked_by_recipient: bool) -> bool:
    """Whether ``sender`` may write to ``recipient`` (in a new or a two-person conversation).

    A block stops members, never staff: moderators' messages must always reach.
    """
    if not can_speak(sender) or recipient.id == sender.id:
        return False
    if not can_receive_messages(recipient):
        return False
    return not blocked_by_recipient or is_staff(sender)


def can_block(user: User | None, other: User) -> bool:
    """Members may block anyone but themselves, the site's own account and staff."""
    if not is_member(user) or other.id == user.id or other.is_system:
        return False
    return other.role not in STAFF_ROLES


def can_read_conversation(user: User | None, membership: ConversationMember | None) -> bool:
    """Only the members still in a conversation read it: staff have no way in."""
    return (
        is_member(user)
        and membership is not None
        and membership.user_id == user.id
        and not membership.has_left
    )


def can_write_in_conversation(
    user: User | None,
    membership: ConversationMember | None,
    others: list[User],
    blocked_by: set[int],
) -> bool:
    """Anyone added to a conversation may reply, new members too, while someone is there
    to read it. Between two people, a block (or a suspension) ends it, as for a new one.

    ``others`` are the other members still in it; ``blocked_by`` the ids of those who
    blocked ``user``.
    """
    if not can_read_conversation(user, membership) or not can_speak(user) or not others:
        return False
    if len(others) == 1:
        return can_message(user, others[0], others[0].id in blocked_by)
    return True


def links_allowed_in_messages(author: User, posts_needed: int) -> bool:
    """A new member's links stay plain text: a scam link in a private message is the risk."""
    return is_staff(author) or posts_still_needed(author, posts_needed) == 0


def can_report_message(user: User | None, message: Message) -> bool:
    # Even a silenced member can report a message sent to them: their safety comes first.
    return is_member(user) and message.author_id != user.id and message.is_visible


# Moderating


def can_moderate(user: User | None, board: Board | None = None) -> bool:
    """Moderators and admins look after every board (the board is here for future rules)."""
    return is_staff(user)


def can_delete_own_account(user: User | None) -> bool:
    """Members may delete their accounts; staff first hand back their role to an admin."""
    return is_member(user) and not is_staff(user)


def can_delete_account_of(actor: User | None, member: User) -> bool:
    """Admins delete an account on a member's verified request (a family, a lost login)."""
    return (
        is_admin(actor) and not member.is_system and not member.is_deleted and not is_staff(member)
    )


def can_manage_site(user: User | None) -> bool:
    """Watched words, roles and boards are for admins."""
    return is_admin(user)


def can_sanction(actor: User | None, member: User) -> bool:
    # A remembered member has nothing left to be warned, silenced or suspended about.
    if not is_staff(actor) or member.is_system or member.id == actor.id:
        return False
    return (
        member.role in SANCTIONABLE_BY[actor.role]
        and not is_remembered(member)
        and not member.is_deleted
    )


def can_change_role(actor: User | None, member: User) -> bool:
    """Admins set roles (and operators, with `flask users set-role`)."""
    return can_manage_site(actor) and has_changeable_role(member)


def has_changeable_role(member: User) -> bool:
    """A remembered member keeps the role they had; a deleted account has none to change."""
    return not member.is_system and not is_remembered(member) and not member.is_deleted


def can_mark_remembered(actor: User | None, member: User) -> bool:
    """Only admins, at a family's request; never the site's account or oneself."""
    return (
        can_manage_site(actor)
        and not member.is_system
        and member.id != actor.id
        and not is_remembered(member)
        and not member.is_deleted
    )


def can_undo_remembered(actor: User | None, member: User) -> bool:
    return can_manage_site(actor) and is_remembered(member)


# Peer mentors


def can_grant_mentor(actor: User | None, member: User) -> bool:
    """Admins give (and take back) the peer mentor badge, to living members' accounts."""
    return (
        can_manage_site(actor)
        and not member.is_system
        and not is_remembered(member)
        and can_log_in(member)
    )


def shows_mentor_badge(user: User) -> bool:
    # A remembered mentor's name carries the remembrance instead of an offer to help.
    return bool(user.is_mentor) and not is_remembered(user)


def can_list_as_mentor(user: User | None) -> bool:
    """The opt-in to /mentors is offered to mentors only."""
    return is_member(user) and bool(user.is_mentor)


def is_listed_mentor(user: User, now: datetime | None = None) -> bool:
    """Shown on /mentors, and so someone a new member may write to: a mentor who opted
    in and can read and answer messages (not remembered, suspended or silenced)."""
    now = now or utcnow()
    return (
        bool(user.is_mentor and user.mentor_listed)
        and can_log_in(user)
        and not user.is_suspended(now)
        and not user.is_silenced(now)
    )


def can_reveal_author(user: User | None, post: Post) -> bool:
    """Staff may learn who wrote an anonymous post, one post at a time, with a logged reason."""
    return is_staff(user) and post.is_anonymous


def shows_author_to(user: User | None, post: Post) -> bool:
    """Whether a page may name the post's author to this reader: never for an anonymous
    post, except to its author (who sees "A member (you)")."""
    if not post.is_anonymous:
        return True
    return is_member(user) and user.id == post.author_id


def can_see_email(user: User | None) -> bool:
    """Members' email addresses appear only on the moderator's page about a member."""
    return is_staff(user)
