"""Creating members and checking who is logging in."""

import contextlib
import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Role, Sanction, SanctionKind, User, utcnow
from ..policy import can_log_in
from ..text import NUL

SYSTEM_USERNAME = "harbor"
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{3,30}")
PASSWORD_MIN_LENGTH = 8
# Far above any passphrase, low enough that hashing it stays cheap.
PASSWORD_MAX_LENGTH = 1024
RESERVED_USERNAMES = frozenset(
    {"harbor", "admin", "administrator", "moderator", "mod", "mods", "staff", "system",
     "support", "official", "root", "anonymous", "member", "guest", "nobody", "deleted"}
)  # fmt: skip
# Checked against when no account matches, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class UsernameTaken(Exception):
    pass


def username_problem(username: str, allow_reserved: bool = False) -> str | None:
    """Why a username cannot be used, or None if it can. Admins may use reserved names."""
    if not 3 <= len(username) <= 30:
        return "Usernames are 3 to 30 characters long."
    if not USERNAME_PATTERN.fullmatch(username):
        return "Usernames can use letters, numbers, “_” and “-”, without spaces."
    if username.lower() in RESERVED_USERNAMES and not allow_reserved:
        return "That name is kept for the site itself. Please choose another."
    return None


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN_LENGTH:
        return (
            f"Passwords need at least {PASSWORD_MIN_LENGTH} characters. "
            "A few words you'll remember make a good one."
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Passwords can be up to {PASSWORD_MAX_LENGTH} characters."
    return None


def normalise_email(address: str) -> str:
    """The canonical form we store and compare: validated, then lower-cased whole."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from error
    return checked.normalized.lower()


def username_key(username: str) -> str:
    return username.strip().lower()


def find_member(username: str) -> User | None:
    # PostgreSQL refuses NUL in text outright (an error, not "no rows"); no name has one.
    if NUL in username:
        return None
    return db.session.scalar(select(User).where(User.username_key == username_key(username)))


def email_in_use(address: str) -> bool:
    """Whether an account already has this address (raises ValueError for a bad address)."""
    email = normalise_email(address)
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def register_member(username: str, email: str, password: str, role: Role = Role.MEMBER) -> User:
    """Create an account and return it.

    If the email address already belongs to someone, the account is still created, with
    the address left waiting to be claimed: whoever registers sees the same outcome, so
    the form never tells a stranger who is a member here.
    """
    email = normalise_email(email)
    if find_member(username) is not None:
        raise UsernameTaken(username)
    user = User(username=username.strip(), username_key=username_key(username), role=role)
    user.set_password(password)
    user.last_seen_at = utcnow()
    if db.session.scalar(select(User.id).where(User.email == email)) is None:
        user.email = email
    else:
        user.pending_email = email
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:
        # Someone took the same name or address between our check and our write.
        db.session.rollback()
        if find_member(username) is not None:
            raise UsernameTaken(username) from error
        return register_member(username, email, password, role)
    return user


def authenticate(login: str, password: str) -> User | None:
    """The member whose username or email and password match, else None."""
    if NUL in login:  # see find_member
        check_password_hash(_DUMMY_HASH, password)
        return None
    login = login.strip()
    if "@" in login:
        with contextlib.suppress(ValueError):
            login = normalise_email(login)
    user = db.session.scalar(
        select(User).where(or_(User.username_key == login.lower(), User.email == login))
    )
    if user is None or not can_log_in(user):
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None


def record_login(user: User) -> None:
    user.last_seen_at = utcnow()
    db.session.commit()


def set_role(user: User, role: Role) -> None:
    user.role = role
    db.session.commit()


def system_account() -> User:
    """The site's own author of guides and notices. It has no password and cannot log in."""
    user = find_member(SYSTEM_USERNAME)
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            username_key=SYSTEM_USERNAME,
            role=Role.ADMIN,
            is_system=True,
        )
        db.session.add(user)
        db.session.flush()
    return user


def current_suspension(user: User) -> Sanction | None:
    """The suspension in force with the latest end, to tell the member why and until when."""
    return db.session.scalar(
        select(Sanction)
        .where(
            Sanction.user_id == user.id,
            Sanction.kind == SanctionKind.SUSPENSION,
            Sanction.lifted_at.is_(None),
            Sanction.ends_at > utcnow(),
        )
        .order_by(Sanction.ends_at.desc())
        .limit(1)
    )


def update_profile(user: User, display_name: str, story: str, about: str, frequency) -> None:
    user.display_name = display_name or None
    user.story = story or None
    user.about = about or None
    user.email_frequency = frequency
    db.session.commit()


def change_password(user: User, current: str, new: str) -> bool:
    """Set a new password if the current one is right; every other session then ends."""
    if not user.check_password(current):
        return False
    user.set_password(new)
    # A new token signs out every other device and remember-me cookie at once.
    user.session_token = User.new_token()
    db.session.commit()
    return True
