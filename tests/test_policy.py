"""The rules of who may do what, as tables: role and state in, allowed or not out."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum import policy
from forum.models import Board, Post, PostState, Role, Thread, ThreadState, User, utcnow

NOW = utcnow()
AUTHOR_ID = 1


def person(kind: str) -> User | AnonymousUserMixin:
    """Someone looking at a post written by member 1."""
    if kind == "visitor":
        return AnonymousUserMixin()
    user = User(id=2, username=kind, role=Role.MEMBER, is_system=False, approved_post_count=5)
    if kind == "author":
        user.id = AUTHOR_ID
    elif kind in ("moderator", "admin"):
        user.role = Role(kind)
    elif kind == "silenced":
        user.silenced_until = NOW + timedelta(days=1)
    elif kind == "silence-over":
        user.silenced_until = NOW - timedelta(minutes=1)
    return user


def a_thread(state=ThreadState.VISIBLE, locked=False) -> Thread:
    return Thread(id=1, author_id=AUTHOR_ID, state=state, is_locked=locked)


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
    user.approved_post_count = approved
    board = Board(requires_approval=board_holds)
    assert policy.must_hold_for_approval(user, board, first_posts_held=2) is held
