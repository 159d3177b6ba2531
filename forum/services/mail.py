"""Email: queued in the outbox with the event it tells about, delivered later by a worker.

Queueing writes in the caller's transaction, so an email exists exactly when its event
does: a rolled-back reply never sends a notification, and a committed one always will.

Delivery (``flask mail send``) claims one email at a time with a lease, sends it, then
records it sent. A worker killed before sending leaves its claim to expire and the email
goes out later. A worker killed after sending but before recording sends the same message
again once the lease expires: the file transport rewrites the same file, and over SMTP the
copy carries the same Message-ID, which mail systems use to recognise a repeat. The window
for that is the moment between the server accepting the message and our commit.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from sqlalchemy import func, or_, select, update

from .. import policy, tokens
from ..addresses import absolute_url
from ..extensions import db
from ..markup import first_words
from ..models import (
    EmailFrequency,
    Notification,
    OutboxEmail,
    Post,
    User,
    thread_with_board,
    utcnow,
)
from ..text import clean_line

# How long a worker may take to send one email before another may try it.
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
# With the waits doubling from a minute up to six hours, about a day and a half of trying.
MOST_ATTEMPTS = 12
EXCERPT_LENGTH = 300
DIGEST_EVERY = timedelta(days=1)
DIGEST_MOST_ITEMS = 20


# Writing emails ---------------------------------------------------------------------


def unsubscribe_url(member: User) -> str:
    return absolute_url(
        "users.unsubscribe", token=tokens.make(tokens.UNSUBSCRIBE, {"member": member.id})
    )


def queue(
    kind: str,
    address: str,
    subject: str,
    template: str,
    member: User | None = None,
    **context,
) -> OutboxEmail | None:
    """Write an email to the outbox in the caller's transaction. The caller commits.

    Emails about forum activity carry a one-click unsubscribe link and headers; account
    emails (confirmations, password resets) do not, since they are not a subscription.
    Anyone can ask for those to be sent to any address, so the same one goes to the same
    address at most once in ACCOUNT_EMAIL_GAP: a flood of "someone is trying to get into
    your account" would frighten its reader. Returns None when it was held back.
    """
    if kind in ACCOUNT_KINDS and _sent_lately(kind, address):
        return None
    headers = {"Auto-Submitted": "auto-generated"}
    if member is not None and kind in SUBSCRIPTION_KINDS:
        link = unsubscribe_url(member)
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        context["unsubscribe_url"] = link
    context.update(
        site_name=current_app.config["SITE_NAME"],
        home_url=absolute_url("boards.index"),
        settings_url=absolute_url("users.settings"),
        member=member,
    )
    email = OutboxEmail(
        user_id=member.id if member is not None else None,
        kind=kind,
        to_address=address,
        subject=clean_line(subject)[:250],
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
        headers=headers,
    )
    db.session.add(email)
    return email


SUBSCRIPTION_KINDS = frozenset({"notification", "digest"})
ACCOUNT_KINDS = frozenset({"confirm-email", "address-in-use", "reset-password", "email-changing"})
ACCOUNT_EMAIL_GAP = timedelta(minutes=2)


def _sent_lately(kind: str, address: str) -> bool:
    return (
        db.session.scalar(
            select(OutboxEmail.id)
            .where(
                OutboxEmail.to_address == address,
                OutboxEmail.kind == kind,
                OutboxEmail.created_at > utcnow() - ACCOUNT_EMAIL_GAP,
            )
            .limit(1)
        )
        is not None
    )


def excerpt(post: Post) -> str:
    # A post behind a content note is not shown in an email: the note says what it is about.
    if post.content_note:
        return f"Content note: {post.content_note}. Open it on the site when you are ready."
    return first_words(post.html, EXCERPT_LENGTH)


def queue_notification(member: User, notification: Notification, post: Post | None) -> None:
    """Email a notification now, for members who asked for an email each time."""
    if member.email_frequency is not EmailFrequency.EVERY_EVENT or not policy.may_email(member):
        return
    email = queue(
        "notification",
        member.email,
        email_text(notification),
        "notification",
        member=member,
        headline=email_text(notification),
        excerpt=excerpt(post) if post is not None else "",
        link=notification_link(notification),
    )
    # Filed under its post, so that it can be taken back if the post goes before it does.
    email.post_id = post.id if post is not None else None


WITHDRAWN = "Withdrawn: what it was about was removed before it was sent."


def withdraw_unsent(*which) -> None:
    """Take back the emails ``which`` (conditions on the outbox) that have not gone yet, in
    the caller's transaction.

    An email waiting for a worker is deleted, words and all. One a worker has claimed may
    be going out this moment and cannot be recalled: it is marked given up instead, so that
    if this attempt fails it is never tried again. Deleting it would not stop the send
    either, and the worker would then fail to record a row that is gone.
    """
    now = utcnow()
    outbox = OutboxEmail.__table__
    unsent = (OutboxEmail.sent_at.is_(None), OutboxEmail.given_up_at.is_(None))
    free = or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now)
    db.session.execute(outbox.delete().where(*which, *unsent, free))
    db.session.execute(
        outbox.update().where(*which, *unsent, ~free).values(given_up_at=now, last_error=WITHDRAWN)
    )


def email_text(notification: Notification) -> str:
    """What an email says a notification is about. A private message is announced without
    its subject: email subjects show on lock screens and in shared inboxes."""
    if notification.conversation_id is not None:
        return "You have a new private message"
    return notification.text


def notification_link(notification: Notification) -> str:
    if notification.post_id is not None:
        return absolute_url("threads.post", post_id=notification.post_id)
    if notification.conversation_id is not None:
        return absolute_url("messages.conversation", conversation_id=notification.conversation_id)
    return absolute_url("users.notifications")


def queue_digests(now: datetime | None = None) -> int:
    """Queue a daily summary for each member who wants one and has unread news.

    Each member's digest and the moment it covers up to commit together, claimed by a
    conditional update that repeats the "due" test: two workers at once still send one
    digest, and the marker never moves backwards.
    """
    now = now or utcnow()
    due = or_(User.digested_until.is_(None), User.digested_until <= now - DIGEST_EVERY)
    member_ids = db.session.scalars(
        select(User.id)
        .where(
            User.email_frequency == EmailFrequency.DAILY_DIGEST,
            User.email_confirmed_at.is_not(None),
            User.unread_notifications > 0,
            due,
        )
        .order_by(User.id)
    ).all()
    return sum(_queue_digest(member_id, due, now) for member_id in member_ids)


def _queue_digest(member_id: int, due, now: datetime) -> bool:
    member = db.session.get(User, member_id, populate_existing=True)
    since = member.digested_until or datetime.min
    claimed = db.session.execute(
        update(User).where(User.id == member_id, due).values(digested_until=now)
    ).rowcount
    if not claimed:
        db.session.rollback()  # another worker got here first; its digest stands
        return False
    news = list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.user_id == member_id,
                Notification.read_at.is_(None),
                Notification.created_at > since,
            )
            .order_by(Notification.id.desc())
            .limit(DIGEST_MOST_ITEMS + 1)
        )
    )
    # Only what the member may still read: a board can close, a thread can move.
    news = [item for item in news if _still_readable(member, item)]
    if not news or not policy.may_email(member):
        # Nothing new: the marker still moves, so the next look is a day away.
        db.session.commit()
        return False
    shown = news[:DIGEST_MOST_ITEMS]
    queue(
        "digest",
        member.email,
        f"Your {current_app.config['SITE_NAME']} summary: {_count(len(news), shown)}",
        "digest",
        member=member,
        items=[(email_text(item), notification_link(item)) for item in shown],
        more=len(news) > len(shown),
        notifications_url=absolute_url("users.notifications"),
    )
    db.session.commit()
    return True


def _still_readable(member: User, notification: Notification) -> bool:
    if notification.post_id is None:
        return True
    post = db.session.get(Post, notification.post_id)
    thread = thread_with_board(post.thread_id) if post is not None else None
    return thread is not None and policy.can_see_thread(member, thread)


def _count(found: int, shown: list) -> str:
    if found > len(shown):
        return f"more than {len(shown)} new things"
    return "1 new thing" if found == 1 else f"{found} new things"


# Delivering them --------------------------------------------------------------------


class PermanentFailure(Exception):
    """The mail server refused the message for good (a bad address, say): do not retry."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    given_up: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.given_up} given up"


def deliver_waiting(transport, limit: int | None = None) -> DeliveryReport:
    """Send what is due, one email at a time, until the outbox is empty or ``limit``."""
    report = DeliveryReport()
    try:
        while limit is None or report.sent + report.retrying + report.given_up < limit:
            email = claim_next(utcnow())
            if email is None:
                break
            try:
                transport.send(email, build_message(email))
            except PermanentFailure as error:
                give_up(email, str(error))
                report.given_up += 1
            except Exception as error:
                # Whatever went wrong with this one (a MAIL_FROM the library refuses, say),
                # it waits and is retried like any failure, and the rest still go.
                if retry_later(email, f"{type(error).__name__}: {error}"):
                    report.retrying += 1
                else:
                    report.given_up += 1
            else:
                record_sent(email)
                report.sent += 1
    finally:
        transport.close()
    return report


def claim_next(now: datetime) -> OutboxEmail | None:
    """Take the oldest waiting email for this worker, for the length of a lease.

    The claim commits before sending, so other workers pass over it while it goes out.
    """
    is_free = (
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.given_up_at.is_(None),
        OutboxEmail.send_after <= now,
        or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
    )
    oldest = (
        select(OutboxEmail.id)
        .where(*is_free)
        .order_by(OutboxEmail.send_after, OutboxEmail.id)
        .limit(1)
        # PostgreSQL: workers pass over a row another is claiming (SQLite has one writer).
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed_id = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == oldest, *is_free)
        .values(claimed_until=now + LEASE, attempts=OutboxEmail.attempts + 1)
        .returning(OutboxEmail.id)
    ).scalar()
    db.session.commit()
    return db.session.get(OutboxEmail, claimed_id) if claimed_id is not None else None


def record_sent(email: OutboxEmail) -> None:
    email.sent_at = utcnow()
    email.claimed_until = None
    email.last_error = None
    db.session.commit()


def retry_later(email: OutboxEmail, error: str) -> bool:
    """Wait longer after each failure; give up after MOST_ATTEMPTS. Returns whether it waits."""
    if email.attempts >= MOST_ATTEMPTS:
        give_up(email, error)
        return False
    wait = min(FIRST_RETRY * 2 ** (email.attempts - 1), LONGEST_WAIT)
    email.send_after = utcnow() + wait
    email.claimed_until = None
    email.last_error = error[:1000]
    db.session.commit()
    return True


def give_up(email: OutboxEmail, error: str) -> None:
    email.given_up_at = utcnow()
    email.claimed_until = None
    email.last_error = error[:1000]
    db.session.commit()


# Lines up to the standard's limit (998), not 78: a header with no space to fold at, such
# as List-Unsubscribe's long link, would otherwise be sent as an encoded word, which mail
# programs do not read as a link (RFC 2369), so their unsubscribe buttons would vanish.
MESSAGE_POLICY = email_policy.default.clone(max_line_length=998)


def build_message(email: OutboxEmail) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = email.subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Date"] = format_datetime(email.created_at.replace(tzinfo=UTC))
    message["Message-ID"] = f"<{email.message_id}@{_mail_domain()}>"
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    return message


def _mail_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def waiting_count() -> int:
    return db.session.scalar(
        select(func.count(OutboxEmail.id)).where(
            OutboxEmail.sent_at.is_(None), OutboxEmail.given_up_at.is_(None)
        )
    )


# Transports -------------------------------------------------------------------------


class FileTransport:
    """Writes each email as a .eml file, named by its outbox row, for reading by hand.

    A second delivery of the same email replaces its file, so a retry never doubles it.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, email: OutboxEmail, message: EmailMessage) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.folder / f"{email.id:06d}-{email.kind}.eml"
        partial = self.folder / f".{final.name}.{os.getpid()}.tmp"
        partial.write_bytes(bytes(message))
        os.replace(partial, final)

    def close(self) -> None:
        pass


class SmtpTransport:
    """Sends over one SMTP connection for a whole batch, opened when first needed."""

    def __init__(self, url: str, timeout: float = 30):
        parts = urlsplit(url)
        options = parse_qs(parts.query)
        self.use_ssl = parts.scheme == "smtps"
        self.starttls = options.get("starttls", ["0"])[0].lower() in {"1", "true", "yes"}
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.use_ssl else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.connection is None:
            # Verified TLS: without a context smtplib accepts any certificate, and whoever
            # sits in between would read the password and every reset link.
            tls = ssl.create_default_context()
            if self.use_ssl:
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=tls
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                connection.starttls(context=tls)
            if self.username:
                connection.login(self.username, self.password or "")
            self.connection = connection
        return self.connection

    def send(self, email: OutboxEmail, message: EmailMessage) -> None:
        try:
            self._connect().send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            # 4xx is "try again later" (greylisting, a full mailbox); only 5xx is final.
            if all(code >= 500 for code, _ in error.recipients.values()):
                raise PermanentFailure(str(error)) from error
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if error.smtp_code >= 500:
                raise PermanentFailure(str(error)) from error
            self._drop()
            raise
        except (OSError, smtplib.SMTPException):
            self._drop()
            raise

    def _drop(self) -> None:
        # After an error the connection may be half-open; the next email opens a new one.
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self.connection = None


def transport_for(app) -> FileTransport | SmtpTransport:
    """The transport MAIL_URL names: smtp://, smtps://, file:PATH, or files under instance/mail."""
    url = app.config["MAIL_URL"]
    if not url:
        return FileTransport(Path(app.instance_path) / "mail")
    scheme = urlsplit(url).scheme
    if scheme in {"smtp", "smtps"}:
        transport = SmtpTransport(url)
        if transport.username and not (transport.use_ssl or transport.starttls):
            raise ValueError(
                "MAIL_URL has a password but no TLS: use smtps:// or add ?starttls=1, "
                "so the password is never sent in the clear."
            )
        return transport
    if scheme == "file":
        return FileTransport(Path(unquote(urlsplit(url).path)))
    raise ValueError(f"MAIL_URL must start with smtp://, smtps:// or file: (got {scheme!r}).")
