"""Rate limits: how often each form may be sent, counted per person, and how long to wait.

Every number is in ``RULES``, with why. ``init_app`` gives each app its own Flask-Limiter and
wraps the listed views with it: one limiter shared between apps would carry one app's
settings into the others (the test suite builds several). Only POSTs count, never page views.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

from . import policy
from .services.accounts import canonical_login, normalise_email

# Logging in: a household, a library or a hospital's wifi shares one address, so the
# address gets more tries than an account. Twenty tries an hour is nothing to someone
# guessing passwords and plenty for someone remembering theirs; a longer window would let
# a stranger keep a member out for longer. "Forgotten your password?" is never blocked by it.
LOGIN_PER_ADDRESS = "10/minute;50/hour"
LOGIN_PER_ACCOUNT = "5/minute;20/hour"
# Joining: a family may join together from one home; nobody needs one address thrice an hour.
JOIN_PER_ADDRESS = "5/hour;20/day"
JOIN_PER_EMAIL = "3/hour"
# Reset emails: a person who asks three times an hour has a mail problem we can't fix faster.
RESET_PER_ADDRESS = "5/hour"
RESET_PER_EMAIL = "3/hour"
# Choosing the new password from an emailed link: each try costs a deliberately slow hash.
NEW_PASSWORD_PER_ADDRESS = "10/hour"
# Emails about a member's own account (the confirmation link again, a change of address).
ACCOUNT_EMAILS_PER_MEMBER = "5/hour"
# Forms that check a logged-in member's password: a borrowed or stolen session must not
# become a way to guess it.
PASSWORD_CHECKS_PER_MEMBER = "5/minute;20/hour"
# Posting (new threads and replies together) and private messages: a new member (their first
# day, see policy.NEW_MEMBER_PERIOD) once a minute, which a person writing never notices and
# a spammer always does; afterwards, far more than anyone types.
NEW_MEMBER_POSTING = "1/minute;20/hour"
POSTING = "6/minute;60/hour"
NEW_MEMBER_MESSAGING = "1/minute;20/hour"
MESSAGING = "6/minute;60/hour"
# Scammers write to many strangers: starting conversations is slower than replying in them.
CONVERSATIONS_STARTED = "10/hour"
EDITING = "10/minute;100/hour"
# Someone reporting a wave of spam may report a dozen posts in a minute.
REPORTING = "10/minute;50/hour"

# Words typed into a form that the page for a limited request gives back.
KEPT_WORDS = ("title", "subject", "to", "body", "note")


def by_address() -> str:
    # Behind HARBOR_PROXY_COUNT proxies ProxyFix has already put the visitor's own address here.
    return f"address:{request.remote_addr or 'unknown'}"


def by_member() -> str:
    """The member when logged in, else the address (the view then asks visitors to log in)."""
    if policy.is_member(current_user):
        return f"member:{current_user.id}"
    return by_address()


def by_login_name() -> str:
    """The account being logged in to, as typed ("ROSA" and "rosa" are one). Whether an
    account has that name makes no difference: the limit itself must not tell."""
    return "login:" + _digest(canonical_login(request.form.get("username", "")))


def by_email_field() -> str:
    """The address typed in the form's "email" field."""
    typed = request.form.get("email", "")
    try:
        address = normalise_email(typed)
    except ValueError:
        address = typed.strip().lower()
    return "email:" + _digest(address)


def _digest(text: str) -> str:
    # Names and addresses stay out of the limit store (and Redis, when it is used).
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def posting_rate() -> str:
    return NEW_MEMBER_POSTING if policy.is_new_member(current_user) else POSTING


def messaging_rate() -> str:
    return NEW_MEMBER_MESSAGING if policy.is_new_member(current_user) else MESSAGING


def why_posting_waits() -> str:
    if policy.is_new_member(current_user):
        return (
            "In their first day here, members can post once a minute. It keeps spam away from "
            "everyone, and a minute passes quickly."
        )
    return "You've posted a lot in a short time, so posting is paused for a moment."


def why_messaging_waits() -> str:
    if policy.is_new_member(current_user):
        return (
            "In their first day here, members can send one message a minute. It keeps spam "
            "away from everyone, and a minute passes quickly."
        )
    return "You've sent a lot of messages in a short time, so sending is paused for a moment."


WHY_LOGIN = (
    "There have been several tries to log in in a short time, so logging in is paused for a "
    "little while. It stops anyone from guessing passwords. If you've forgotten yours, you "
    "can ask for a link to choose a new one."
)
WHY_JOIN = "Several accounts have been started in a short time, so joining is paused for a while."
WHY_RESET = (
    "Several password reset emails have been asked for in a short time, so we've paused "
    "sending them. If one is on its way, it can take a few minutes to arrive."
)
WHY_ACCOUNT_EMAILS = "We've sent several emails about your account in a short time."
WHY_PASSWORD_CHECKS = (
    "Your password has been asked for several times in a short time, so this is paused "
    "for a little while to keep your account safe."
)


@dataclass(frozen=True)
class Rule:
    """One limit on one or more forms; the forms listed share one count per key."""

    scope: str
    endpoints: tuple[str, ...]
    rate: str | Callable[[], str]
    key: Callable[[], str]
    why: str | Callable[[], str]
    # Count only what was actually sent (answered with a redirect), and never hold back a
    # preview: a failed or previewed post costs nothing.
    only_what_is_sent: bool = False


WHY_EDITING = "You've saved a lot of changes in a short time, so saving is paused for a moment."
WHY_CONVERSATIONS = (
    "You've started several conversations in a short time, so starting another is paused "
    "for a while. You can still reply in the ones you have."
)
WHY_REPORTING = (
    "Thank you for keeping an eye out. You've sent a lot of reports in a short time, so "
    "reporting is paused for a moment."
)

# fmt: off
RULES = (
    Rule("login-address", ("auth.login",), LOGIN_PER_ADDRESS, by_address, WHY_LOGIN),
    Rule("login-account", ("auth.login",), LOGIN_PER_ACCOUNT, by_login_name, WHY_LOGIN),
    Rule("join-address", ("auth.register",), JOIN_PER_ADDRESS, by_address, WHY_JOIN),
    Rule("join-email", ("auth.register",), JOIN_PER_EMAIL, by_email_field, WHY_JOIN),
    Rule("reset-address", ("auth.request_reset",), RESET_PER_ADDRESS, by_address, WHY_RESET),
    Rule("reset-email", ("auth.request_reset",), RESET_PER_EMAIL, by_email_field, WHY_RESET),
    Rule("new-password", ("auth.reset_password",), NEW_PASSWORD_PER_ADDRESS, by_address,
         WHY_PASSWORD_CHECKS),
    Rule("account-emails", ("auth.resend_confirmation", "users.change_email"),
         ACCOUNT_EMAILS_PER_MEMBER, by_member, WHY_ACCOUNT_EMAILS),
    Rule("password-checks",
         ("users.change_password", "users.change_email", "users.delete_account"),
         PASSWORD_CHECKS_PER_MEMBER, by_member, WHY_PASSWORD_CHECKS),
    Rule("posting", ("threads.new_thread", "threads.reply"), posting_rate, by_member,
         why_posting_waits, only_what_is_sent=True),
    Rule("editing", ("threads.edit_post",), EDITING, by_member, WHY_EDITING,
         only_what_is_sent=True),
    Rule("messaging", ("messages.new", "messages.reply"), messaging_rate, by_member,
         why_messaging_waits, only_what_is_sent=True),
    Rule("conversations", ("messages.new",), CONVERSATIONS_STARTED, by_member,
         WHY_CONVERSATIONS, only_what_is_sent=True),
    Rule("reporting", ("threads.report", "messages.report"), REPORTING, by_member,
         WHY_REPORTING, only_what_is_sent=True),
)
# fmt: on


def is_preview() -> bool:
    """A preview, or "Edit my words" after a crisis pause: nothing is sent."""
    return bool(request.form.get("preview") or request.form.get("edit_words"))


def was_sent(response: Response) -> bool:
    # Every limited form answers a successful send by redirecting to what it made.
    return response.status_code in (302, 303)


def init_app(app: Flask) -> None:
    if not app.config["RATELIMIT_ENABLED"]:
        return
    # A store that stops answering (Redis restarting) falls back to counting in memory
    # rather than turning every form into an error page.
    limiter = Limiter(key_func=by_member, in_memory_fallback_enabled=True)
    limiter.init_app(app)
    # Its INFO line for each limit reached names the key, an IP address: our logs name nobody.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    app.extensions["harbor_limiter"] = limiter
    for rule in RULES:
        limit = limiter.shared_limit(
            rule.rate,
            scope=rule.scope,
            key_func=rule.key,
            methods=["POST"],
            error_message=rule.why,
            exempt_when=is_preview if rule.only_what_is_sent else None,
            deduct_when=was_sent if rule.only_what_is_sent else None,
        )
        for endpoint in rule.endpoints:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])


def seconds_to_wait() -> int:
    """How long until the limit this request reached lets it through (for Retry-After)."""
    limiter = current_app.extensions.get("harbor_limiter")
    reached = limiter.current_limit if limiter else None
    if reached is None:
        return 60
    return max(1, math.ceil(reached.window.reset_time - time.time()))


def wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return "about an hour" if hours == 1 else f"about {hours} hours"


def reset(app: Flask) -> None:
    """Forget every count (for tests, and after changing limits on a running store)."""
    limiter = app.extensions.get("harbor_limiter")
    if limiter is not None:
        limiter.reset()
