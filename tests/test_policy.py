"""The rules of who may do what, as tables: role and state in, allowed or not out."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum import policy
from forum.models import (
    Board,
    BoardVisibility,
    ConversationMember,
    Message,
    MessageState,
    Post,
    PostState,
    Role,
    Thread,
    ThreadState,
    User,
    utcnow,
)

NOW = utcnow()
AUTHOR_ID = 1


def person(kind: str) -> User | AnonymousUserMixin:
    """Someone looking at a post written by member 1."""
    if kind == "visitor":
        return AnonymousUserMixin()
    user = User(id=2, username=kind, role=Role.MEMBER, is_system=False, visible_post_count=5)
    if kind == "author":
        user.id = AUTHOR_ID
    elif kind in ("moderator", "admin"):
        user.role = Role(kind)
    elif kind == "silenced":
        user.silenced_until = NOW + timedelta(days=1)
    elif kind == "silence-over":
        user.silenced_until = NOW - timedelta(minutes=1)
    return user


def a_thread(state=ThreadState.VISIBLE, locked=False, visibility=BoardVisibility.PUBLIC) -> Thread:
    board = Board(id=1, visibility=visibility)
    return Thread(id=1, author_id=AUTHOR_ID, state=state, is_locked=locked, board=board)


def a_post(state=PostState.VISIBLE) -> Post:
    return Post(id=1, author_id=AUTHOR_ID, number=2, state=state)


@pytest.mark.parametrize(
    ("who", "locked", "allowed"),
    [
        ("visitor", False, False),
        ("member", False, True),
        ("member", True, False),
        ("silenced", False, False),
        ("silence-over", False, True),
        ("moderator", True, True),
        ("admin", True, True),
    ],
)
def test_who_may_reply(who, locked, allowed):
    assert policy.can_reply(person(who), a_thread(locked=locked)) is allowed


@pytest.mark.parametrize(
    ("who", "state", "allowed"),
    [
        ("visitor", ThreadState.VISIBLE, True),
        ("visitor", ThreadState.HIDDEN, False),
        ("member", ThreadState.HELD, False),
        ("author", ThreadState.HELD, True),
        ("author", ThreadState.HIDDEN, True),
        ("moderator", ThreadState.HIDDEN, True),
    ],
)
def test_who_may_see_a_thread(who, state, allowed):
    assert policy.can_see_thread(person(who), a_thread(state)) is allowed


PUBLIC, MEMBERS, STAFF = BoardVisibility.PUBLIC, BoardVisibility.MEMBERS, BoardVisibility.STAFF


@pytest.mark.parametrize(
    ("who", "visibility", "allowed"),
    [
        ("visitor", PUBLIC, True),
        ("visitor", MEMBERS, False),
        ("visitor", STAFF, False),
        ("member", MEMBERS, True),
        ("silenced", MEMBERS, True),
        ("member", STAFF, False),
        ("author", STAFF, False),  # their own thread, moved to a staff board
        ("moderator", STAFF, True),
        ("admin", STAFF, True),
    ],
)
def test_who_may_read_a_board_and_its_threads(who, visibility, allowed):
    thread = a_thread(visibility=visibility)
    assert policy.can_read_board(person(who), thread.board) is allowed
    assert policy.can_see_thread(person(who), thread) is allowed
    speaks = who not in ("visitor", "silenced")
    assert policy.can_reply(person(who), thread) is (allowed and speaks)


@pytest.mark.parametrize(
    ("who", "visibility", "asked_to_log_in"),
    [("visitor", MEMBERS, True), ("visitor", STAFF, False), ("member", STAFF, False)],
)
def test_only_visitors_at_members_boards_are_asked_to_log_in(who, visibility, asked_to_log_in):
    board = Board(visibility=visibility)
    assert policy.may_log_in_to_read(person(who), board) is asked_to_log_in


@pytest.mark.parametrize(
    ("visibility", "noindex", "hidden", "feed"),
    [
        (PUBLIC, False, False, True),
        (PUBLIC, True, True, False),  # a feed would be one more way to be indexed
        (MEMBERS, False, True, False),
        (STAFF, False, True, False),
    ],
)
def test_search_engines_and_feeds_see_only_what_visitors_may(visibility, noindex, hidden, feed):
    board = Board(visibility=visibility, noindex=noindex)
    assert policy.is_hidden_from_search_engines(board) is hidden
    assert policy.has_feed(board) is feed


@pytest.mark.parametrize(
    ("who", "allows", "anonymous_post", "may_post", "named", "may_reveal"),
    [
        ("visitor", True, True, False, False, False),
        ("member", False, True, False, False, False),
        ("member", True, True, True, False, False),
        ("author", True, True, True, True, False),
        ("moderator", True, True, True, False, True),
        ("admin", True, False, True, True, False),
    ],
)
def test_anonymous_posts_name_their_author_to_nobody_else(
    who, allows, anonymous_post, may_post, named, may_reveal
):
    board = Board(allows_anonymous=allows)
    post = a_post()
    post.is_anonymous = anonymous_post
    assert policy.can_post_anonymously(person(who), board) is may_post
    assert policy.shows_author_to(person(who), post) is named
    assert policy.can_reveal_author(person(who), post) is may_reveal


@pytest.mark.parametrize(
    ("who", "state", "readable", "placeholder"),
    [
        ("visitor", PostState.VISIBLE, True, False),
        ("visitor", PostState.HIDDEN, False, True),
        ("visitor", PostState.DELETED, False, True),
        ("visitor", PostState.HELD, False, False),
        ("member", PostState.REJECTED, False, False),
        ("author", PostState.HELD, True, False),
        ("author", PostState.HIDDEN, True, True),
        ("author", PostState.DELETED, False, True),
        ("moderator", PostState.HELD, True, False),
        ("moderator", PostState.HIDDEN, True, True),
    ],
)
def test_who_reads_which_posts(who, state, readable, placeholder):
    viewer, post = person(who), a_post(state)
    assert policy.can_read_post(viewer, post) is readable
    assert policy.shows_placeholder(viewer, post) is placeholder


@pytest.mark.parametrize(
    ("who", "state", "locked", "allowed"),
    [
        ("author", PostState.VISIBLE, False, True),
        ("author", PostState.HELD, False, True),
        ("author", PostState.HIDDEN, False, False),
        ("author", PostState.VISIBLE, True, False),
        ("member", PostState.VISIBLE, False, False),
        ("moderator", PostState.VISIBLE, False, False),
        ("visitor", PostState.VISIBLE, False, False),
    ],
)
def test_who_may_edit_a_post(who, state, locked, allowed):
    assert policy.can_edit_post(person(who), a_post(state), a_thread(locked=locked)) is allowed


@pytest.mark.parametrize(
    ("who", "state", "allowed"),
    [
        ("member", PostState.VISIBLE, True),
        ("author", PostState.VISIBLE, False),
        ("silenced", PostState.VISIBLE, False),
        ("visitor", PostState.VISIBLE, False),
        ("member", PostState.HIDDEN, False),
    ],
)
def test_who_may_report(who, state, allowed):
    assert policy.can_report(person(who), a_post(state)) is allowed


@pytest.mark.parametrize(
    ("who", "confirmed", "joined", "posts", "counts"),
    [
        ("member", True, timedelta(days=30), 2, True),
        ("member", False, timedelta(days=30), 2, False),  # address never confirmed
        ("member", True, timedelta(hours=2), 2, False),  # in their first day
        ("member", True, timedelta(days=30), 1, False),  # fewer posts than a newcomer's held
        ("moderator", False, timedelta(hours=2), 0, True),
        ("admin", False, timedelta(hours=2), 0, True),
        ("visitor", False, timedelta(days=30), 0, False),
    ],
)
def test_whose_reports_count_towards_hiding_a_post(who, confirmed, joined, posts, counts):
    user = person(who)
    if who != "visitor":
        user.email_confirmed_at = NOW - joined if confirmed else None
        user.created_at = NOW - joined
        user.visible_post_count = posts
    assert policy.report_counts_towards_hiding(user, first_posts_held=2, now=NOW) is counts


@pytest.mark.parametrize(
    ("who", "approved", "board_holds", "held"),
    [
        ("member", 0, False, True),
        ("member", 1, False, True),
        ("member", 2, False, False),
        ("member", 5, True, True),
        ("moderator", 0, True, False),
        ("admin", 0, False, False),
    ],
)
def test_whose_posts_wait_for_approval(who, approved, board_holds, held):
    user = person(who)
    user.visible_post_count = approved
    board = Board(requires_approval=board_holds)
    assert policy.must_hold_for_approval(user, board, first_posts_held=2) is held


# Private messages


def recipient(kind: str) -> User:
    """Someone a message might be sent to (member 3)."""
    user = User(id=3, username=kind, role=Role.MEMBER, is_system=False, password_hash="x")
    if kind in ("moderator", "admin"):
        user.role = Role(kind)
    elif kind == "system":
        user.is_system, user.password_hash = True, None
    elif kind == "suspended":
        user.suspended_until = NOW + timedelta(days=1)
    elif kind == "remembered":
        user.remembered_at = NOW
    elif kind.startswith("mentor"):
        # "mentor" is listed on /mentors; "mentor-unlisted" has the badge but did not opt in.
        user.is_mentor, user.mentor_listed = True, kind == "mentor"
    return user


@pytest.mark.parametrize(
    ("who", "approved", "allowed"),
    [
        ("visitor", 0, False),
        ("member", 0, False),
        ("member", 2, False),
        ("member", 3, True),
        ("silenced", 5, False),
        ("moderator", 0, True),
        ("admin", 0, True),
    ],
)
def test_who_may_start_a_conversation(who, approved, allowed):
    user = person(who)
    if who != "visitor":
        user.visible_post_count = approved
    assert policy.can_start_conversation(user, posts_needed=3) is allowed


@pytest.mark.parametrize(
    ("who", "to", "blocked", "allowed"),
    [
        ("member", "member", False, True),
        ("member", "member", True, False),
        ("moderator", "member", True, True),
        ("member", "moderator", False, True),
        ("member", "system", False, False),
        ("member", "suspended", False, False),
        ("member", "remembered", False, False),
        ("moderator", "remembered", False, False),
        ("silenced", "member", False, False),
        ("visitor", "member", False, False),
    ],
)
def test_who_may_message_whom(who, to, blocked, allowed):
    assert policy.can_message(person(who), recipient(to), blocked_by_recipient=blocked) is allowed


def test_nobody_messages_or_blocks_themselves():
    me = person("member")
    assert policy.can_message(me, me, blocked_by_recipient=False) is False
    assert policy.can_block(me, me) is False


@pytest.mark.parametrize(
    ("who", "other", "allowed"),
    [
        ("member", "member", True),
        ("member", "moderator", False),
        ("member", "admin", False),
        ("member", "system", False),
        ("moderator", "member", True),
        ("silenced", "member", True),
        ("visitor", "member", False),
    ],
)
def test_who_may_block_whom(who, other, allowed):
    assert policy.can_block(person(who), recipient(other)) is allowed


@pytest.mark.parametrize(
    ("who", "membership", "allowed"),
    [
        ("member", "in", True),
        ("member", "left", False),
        ("member", "none", False),
        ("member", "someone else's", False),
        ("moderator", "none", False),
        ("admin", "none", False),
        ("moderator", "in", True),
        ("visitor", "none", False),
    ],
)
def test_only_members_of_a_conversation_read_it(who, membership, allowed):
    user = person(who)
    row = {
        "in": ConversationMember(user_id=2),
        "left": ConversationMember(user_id=2, left_at=NOW),
        "none": None,
        "someone else's": ConversationMember(user_id=3),
    }[membership]
    assert policy.can_read_conversation(user, row) is allowed


@pytest.mark.parametrize(
    ("who", "others", "blocked_by", "allowed"),
    [
        ("member", ["member"], set(), True),
        ("member", ["member"], {3}, False),
        ("member", [], set(), False),
        ("member", ["member", "member"], {3}, True),
        ("moderator", ["member"], {3}, True),
        ("member", ["suspended"], set(), False),
        ("member", ["remembered"], set(), False),
        ("silenced", ["member"], set(), False),
    ],
)
def test_who_may_write_in_a_conversation(who, others, blocked_by, allowed):
    user = person(who)
    membership = ConversationMember(user_id=user.id)
    people = [recipient(kind) for kind in others]
    assert policy.can_write_in_conversation(user, membership, people, blocked_by) is allowed


@pytest.mark.parametrize(
    ("who", "state", "allowed"),
    [
        ("member", MessageState.VISIBLE, True),
        ("silenced", MessageState.VISIBLE, True),
        ("author", MessageState.VISIBLE, False),
        ("member", MessageState.HIDDEN, False),
    ],
)
def test_who_may_report_a_message(who, state, allowed):
    message = Message(id=1, author_id=AUTHOR_ID, state=state)
    assert policy.can_report_message(person(who), message) is allowed


def test_a_new_member_may_write_to_one_listed_peer_mentor():
    newcomer = person("member")
    newcomer.visible_post_count = 0
    cases = [
        (["mentor"], True),
        (["mentor-unlisted"], False),
        (["member"], False),
        (["mentor", "member"], False),
        ([], False),
    ]
    for kinds, allowed in cases:
        people = [recipient(kind) for kind in kinds]
        assert policy.can_start_conversation_with(newcomer, people, 3) is allowed, kinds
    # Members who earned messages write to anyone; silenced ones to nobody.
    assert policy.can_start_conversation_with(person("member"), [recipient("member")], 3)
    silenced = person("silenced")
    silenced.visible_post_count = 0
    assert not policy.can_start_conversation_with(silenced, [recipient("mentor")], 3)


@pytest.mark.parametrize(
    ("state", "listed"),
    [
        ("listed", True),
        ("unlisted", False),
        ("remembered", False),
        ("suspended", False),
        ("silenced", False),
        ("no badge", False),
    ],
)
def test_which_mentors_are_listed(state, listed):
    mentor = recipient("mentor")
    if state == "unlisted":
        mentor.mentor_listed = False
    elif state == "remembered":
        mentor.remembered_at = NOW
    elif state == "suspended":
        mentor.suspended_until = NOW + timedelta(days=1)
    elif state == "silenced":
        mentor.silenced_until = NOW + timedelta(days=1)
    elif state == "no badge":
        mentor.is_mentor = False
    assert policy.is_listed_mentor(mentor, NOW) is listed


# Remembered members


@pytest.mark.parametrize(
    ("kind", "logs_in", "hears", "emailed"),
    [
        ("member", True, True, True),
        ("remembered", False, False, False),
        ("system", False, False, False),
        ("suspended", True, True, False),
    ],
)
def test_a_remembered_member_cannot_log_in_hear_or_be_emailed(kind, logs_in, hears, emailed):
    user = recipient(kind)
    user.email, user.email_confirmed_at = "someone@example.org", NOW
    assert policy.can_log_in(user) is logs_in
    assert policy.may_notify(user) is hears
    assert policy.may_email(user) is emailed


@pytest.mark.parametrize(
    ("who", "target", "remember", "sanction", "role", "mentor"),
    [
        ("admin", "member", True, True, True, True),
        ("admin", "remembered", False, False, False, False),
        ("moderator", "member", False, True, False, False),
        ("moderator", "remembered", False, False, False, False),
        ("member", "member", False, False, False, False),
        ("admin", "system", False, False, False, False),
    ],
)
def test_who_may_remember_sanction_or_promote_whom(who, target, remember, sanction, role, mentor):
    actor, member = person(who), recipient(target)
    assert policy.can_mark_remembered(actor, member) is remember
    assert policy.can_sanction(actor, member) is sanction
    assert policy.can_change_role(actor, member) is role
    assert policy.can_grant_mentor(actor, member) is mentor
    assert policy.can_undo_remembered(actor, member) is (who == "admin" and target == "remembered")
