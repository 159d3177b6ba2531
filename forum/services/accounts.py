"""Creating members and checking who is logging in."""

import contextlib
import functools
import hashlib
import hmac
import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import tokens
from ..addresses import absolute_url
from ..extensions import db
from ..models import EmailFrequency, Role, Sanction, SanctionKind, User, utcnow
from ..policy import can_log_in
from ..text import NUL
from . import mail

SYSTEM_USERNAME = "harbor"
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{3,30}")
PASSWORD_MIN_LENGTH = 8
# Far above any passphrase, low enough that hashing it stays cheap.
PASSWORD_MAX_LENGTH = 1024
RESERVED_USERNAMES = frozenset(
    {"harbor", "admin", "administrator", "moderator", "mod", "mods", "staff", "system",
     "support", "official", "root", "anonymous", "member", "guest", "nobody", "deleted"}
)  # fmt: skip
CONFIRM_LINK_HOURS = 72
RESET_LINK_MINUTES = 60
# Checked against when no account matches, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")
# Werkzeug's default method and costs, as they begin a hash ("scrypt:32768:8:1").
_CURRENT_METHOD = _DUMMY_HASH.split("$", 1)[0]


class UsernameTaken(Exception):
    pass


def username_problem(username: str, allow_reserved: bool = False) -> str | None:
    """Why a username cannot be used, or None if it can. Admins may use reserved names."""
    if not 3 <= len(username) <= 30:
        return "Usernames are 3 to 30 characters long."
    if not USERNAME_PATTERN.fullmatch(username):
        return "Usernames can use letters, numbers, “_” and “-”, without spaces."
    # Deleted accounts are renamed "former-member-<id>": nobody may take such a name.
    if username.lower().startswith("former-member"):
        return "That name is kept for the site itself. Please choose another."
    if username.lower() in RESERVED_USERNAMES and not allow_reserved:
        return "That name is kept for the site itself. Please choose another."
    return None


def password_problem(password: str) -> str | None:
    """Why a new password cannot be used, or None. Length and commonness only: rules about
    digits and symbols make passwords harder to remember, not to guess."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return (
            f"Passwords need at least {PASSWORD_MIN_LENGTH} characters. "
            "A few words you'll remember make a good one."
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Passwords can be up to {PASSWORD_MAX_LENGTH} characters."
    if is_common_password(password):
        return (
            "That password is one of the most common ones, which people guess first. "
            "Please choose another: a few words you'll remember make a good one."
        )
    return None


def is_common_password(password: str) -> bool:
    return password.strip().casefold() in _common_passwords()


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords from leaked lists, as zxcvbn ships them (MIT).

    Loaded on first use, so processes that never set a password never pay for it.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(password.casefold() for password in FREQUENCY_LISTS["passwords"])


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


def register_member(
    username: str, email: str, password: str, role: Role = Role.MEMBER, confirmed: bool = False
) -> User:
    """Create an account and return it, with an email asking to confirm the address.

    If the address already belongs to someone, the account is still created, with the
    address left waiting to be claimed, and the address's owner is told instead: whoever
    registers sees the same outcome, so the form never tells a stranger who is a member.
    ``confirmed`` is for accounts an operator creates, who vouches for the address.
    """
    email = normalise_email(email)
    if find_member(username) is not None:
        raise UsernameTaken(username)
    user = User(username=username.strip(), username_key=username_key(username), role=role)
    user.set_password(password)
    user.last_seen_at = utcnow()
    address_taken = db.session.scalar(select(User.id).where(User.email == email)) is not None
    if address_taken:
        user.pending_email = email
    else:
        user.email = email
        user.email_confirmed_at = utcnow() if confirmed else None
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Someone took the same name or address between our check and our write.
        db.session.rollback()
        if find_member(username) is not None:
            raise UsernameTaken(username) from error
        return register_member(username, email, password, role, confirmed)
    if not confirmed:
        queue_confirmation(user, email)
    db.session.commit()
    return user


def queue_confirmation(user: User, address: str) -> None:
    """Email a link that proves ``address`` is the member's. The caller commits.

    An address another account already uses gets a note for its owner instead, so the
    owner hears that someone tried, and the person trying learns nothing either way.
    """
    owner = db.session.scalar(select(User).where(User.email == address, User.id != user.id))
    if owner is not None:
        mail.queue(
            "address-in-use",
            address,
            "Someone tried to use your email address",
            "address_in_use",
            member=owner,
            login_url=absolute_url("auth.login"),
            reset_url=absolute_url("auth.request_reset"),
        )
        return
    # The link names the address only by its fingerprint: it ends up in URL logs.
    token = tokens.make(
        tokens.CONFIRM_EMAIL,
        {"member": user.id, "address": tokens.fingerprint(tokens.CONFIRM_EMAIL, address)},
    )
    mail.queue(
        "confirm-email",
        address,
        "Please confirm your email address",
        "confirm_email",
        member=user,
        link=absolute_url("auth.confirm_email", token=token),
        hours=CONFIRM_LINK_HOURS,
        is_change=user.email is not None and user.email != address,
    )


def canonical_login(login: str) -> str:
    """A typed username or email address as accounts are looked up by: " ROSA " is "rosa"."""
    login = login.strip()
    if "@" in login:
        with contextlib.suppress(ValueError):
            return normalise_email(login)
    return login.lower()


def authenticate(login: str, password: str) -> User | None:
    """The member whose username or email and password match, else None."""
    if NUL in login:  # see find_member
        check_password_hash(_DUMMY_HASH, password)
        return None
    login = canonical_login(login)
    user = db.session.scalar(
        select(User).where(or_(User.username_key == login, User.email == login))
    )
    if user is None or not can_log_in(user):
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None


def record_login(user: User, password: str) -> None:
    """Note the visit, and rehash a password stored with an older method while we have it."""
    user.last_seen_at = utcnow()
    if is_outdated_hash(user.password_hash):
        # Only the hash's form changes, not the password: reset links already sent stop
        # working (their fingerprint includes the hash), which the member will not miss.
        user.set_password(password)
    db.session.commit()


def is_outdated_hash(password_hash: str | None) -> bool:
    """Whether a hash was made by another method or with other costs than we use now."""
    method = (password_hash or "").split("$", 1)[0]
    return bool(password_hash) and method != _CURRENT_METHOD


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


def update_profile(
    user: User, display_name: str, story: str, about: str, frequency,
    always_show_noted_posts: bool = False,
) -> None:  # fmt: skip
    user.display_name = display_name or None
    user.story = story or None
    user.about = about or None
    user.email_frequency = frequency
    user.always_show_noted_posts = bool(always_show_noted_posts)
    db.session.commit()


def set_mentor_listed(user: User, listed: bool) -> None:
    """A peer mentor's own choice to be found on /mentors."""
    user.mentor_listed = listed
    db.session.commit()


def change_password(user: User, current: str, new: str) -> bool:
    """Set a new password if the current one is right; every other session then ends."""
    if not user.check_password(current):
        return False
    user.set_password(new)
    _end_every_session(user)
    _queue_password_changed(user)
    db.session.commit()
    return True


def end_other_sessions(user: User) -> None:
    """ "Log out everywhere else": the caller logs this device in again with the new token."""
    _end_every_session(user)
    db.session.commit()


def _end_every_session(user: User) -> None:
    # Sessions and remember-me cookies hold this token, not the member's id: a new one
    # signs out every device at once.
    user.session_token = User.new_token()


class LinkProblem(Exception):
    """An emailed link that cannot be used, with words for the person who followed it."""


EXPIRED_LINK = "This link has expired. You can ask for a new one."
BROKEN_LINK = (
    "This link doesn't work. It may have been cut short when it was copied: "
    "try opening it straight from the email."
)


def _read_link(
    purpose: str, token: str, max_age_seconds: int | None, for_login: bool = True
) -> tuple[User, dict]:
    """The member a signed link is for, and what it says. ``for_login`` refuses accounts
    that cannot log in (the site's own, remembered, deleted)."""
    try:
        data = tokens.read(purpose, token, max_age_seconds)
    except tokens.ExpiredToken:
        raise LinkProblem(EXPIRED_LINK) from None
    except tokens.BadToken:
        raise LinkProblem(BROKEN_LINK) from None
    user = db.session.get(User, data.get("member")) if isinstance(data.get("member"), int) else None
    if user is None or (for_login and not can_log_in(user)):
        raise LinkProblem(BROKEN_LINK)
    return user, data


def address_to_confirm(token: str) -> tuple[User, str]:
    """The member and the address a confirmation link is for, if it still applies."""
    user, data = _read_link(tokens.CONFIRM_EMAIL, token, CONFIRM_LINK_HOURS * 3600)
    if "address" not in data:
        # Made before links carried a fingerprint (they named the address itself).
        raise LinkProblem(EXPIRED_LINK)
    bound = str(data["address"])
    for address in (user.email, user.pending_email):
        if address and hmac.compare_digest(
            bound, tokens.fingerprint(tokens.CONFIRM_EMAIL, address)
        ):
            return user, address
    raise LinkProblem("This link is for an email address that is no longer waiting on the account.")


def confirm_email(user: User, address: str) -> None:
    """Make ``address`` the member's confirmed address (it may be a new one they asked for)."""
    if address != user.email:
        if db.session.scalar(select(User.id).where(User.email == address, User.id != user.id)):
            raise LinkProblem("That email address is now used by another account.")
        user.email = address
        user.pending_email = None
    user.email_confirmed_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LinkProblem("That email address is now used by another account.") from None


def resend_confirmation(user: User) -> None:
    """Send the confirmation link again, for the address waiting on the account."""
    address = user.pending_email or (user.email if user.email_confirmed_at is None else None)
    if address is not None:
        queue_confirmation(user, address)
        db.session.commit()


def request_email_change(user: User, password: str, new_address: str) -> bool:
    """Ask to move to a new address: it is used once confirmed, and the old one is told.

    Returns False if the password is wrong. Raises ValueError for an unusable address.
    """
    address = normalise_email(new_address)
    if not user.check_password(password):
        return False
    if address == user.email:
        user.pending_email = None
        db.session.commit()
        return True
    user.pending_email = address
    queue_confirmation(user, address)
    if user.email is not None and user.email_confirmed_at is not None:
        mail.queue(
            "email-changing",
            user.email,
            "Your email address is being changed",
            "email_changing",
            member=user,
            new_address=masked(address),
            reset_url=absolute_url("auth.request_reset"),
        )
    db.session.commit()
    return True


def masked(address: str) -> str:
    """Enough of an address to recognise it: "r***@example.org"."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def request_password_reset(address: str) -> None:
    """Email a reset link if an account has this address; say nothing either way."""
    try:
        email = normalise_email(address)
    except ValueError:
        return
    user = db.session.scalar(select(User).where(User.email == email))
    # Only to an address its owner confirmed: a mistyped, never-confirmed address belongs to
    # someone else, who must not be able to take the account over.
    if user is None or not can_log_in(user) or user.email_confirmed_at is None:
        return
    token = tokens.make(
        tokens.RESET_PASSWORD, {"member": user.id, "password": _password_fingerprint(user)}
    )
    mail.queue(
        "reset-password",
        email,
        "Reset your password",
        "reset_password",
        member=user,
        link=absolute_url("auth.reset_password", token=token),
        minutes=RESET_LINK_MINUTES,
    )
    db.session.commit()


def _password_fingerprint(user: User) -> str:
    # Part of a digest of the current hash and address: the link stops working once the
    # password changes (so it works once) or the address does (so an old inbox cannot use
    # it), without storing anything.
    state = f"{user.password_hash or ''}\n{user.email or ''}"
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def member_for_reset(token: str) -> User:
    user, data = _read_link(tokens.RESET_PASSWORD, token, RESET_LINK_MINUTES * 60)
    if not hmac.compare_digest(str(data.get("password", "")), _password_fingerprint(user)):
        raise LinkProblem("This link has already been used, or the password has changed since.")
    return user


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link; every session and older link ends."""
    user.set_password(new)
    user.session_token = User.new_token()
    _queue_password_changed(user)
    db.session.commit()


def _queue_password_changed(user: User) -> None:
    if user.email is not None and user.email_confirmed_at is not None:
        mail.queue(
            "password-changed",
            user.email,
            "Your password was changed",
            "password_changed",
            member=user,
            reset_url=absolute_url("auth.request_reset"),
        )


def member_for_unsubscribe(token: str) -> User:
    # Unsubscribe links never expire (an old email's link should still work), and work
    # for any account: stopping email is always allowed.
    user, _ = _read_link(tokens.UNSUBSCRIBE, token, None, for_login=False)
    return user


def stop_emails(user: User) -> None:
    user.email_frequency = EmailFrequency.NEVER
    db.session.commit()
