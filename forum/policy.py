"""Who may do what. Views and templates ask these functions; nothing else checks roles.

Each rule takes the acting user explicitly (an anonymous visitor is ``None`` or an
unauthenticated Flask-Login user) so a rule reads, and is tested, as a table.
"""

from .models import Post, Role, Thread, User

STAFF_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})


def is_member(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and not user.is_system)


def is_staff(user: User | None) -> bool:
    return is_member(user) and user.role in STAFF_ROLES


def can_log_in(user: User) -> bool:
    return not user.is_system and user.password_hash is not None


def can_start_thread(user: User | None) -> bool:
    return is_member(user)


def can_reply(user: User | None, thread: Thread) -> bool:
    if not is_member(user):
        return False
    return not thread.is_locked or is_staff(user)


def can_edit_post(user: User | None, post: Post, thread: Thread) -> bool:
    # Authors may tidy their own words, but a locked thread is closed for everyone but staff.
    if not (is_member(user) and post.is_visible and post.author_id == user.id):
        return False
    return not thread.is_locked or is_staff(user)


def can_delete_post(user: User | None, post: Post, thread: Thread) -> bool:
    return can_edit_post(user, post, thread)
