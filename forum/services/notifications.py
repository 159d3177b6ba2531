"""Telling members what happened: a notification row and their unread count, together."""

from flask import url_for
from sqlalchemy import update

from ..extensions import db
from ..models import Notification, Post, User, utcnow


def notify(member: User, kind: str, text: str, post: Post | None = None) -> None:
    """Queue a notification in the caller's transaction (the caller commits)."""
    url = url_for("threads.post", post_id=post.id) if post is not None else None
    db.session.add(Notification(user_id=member.id, kind=kind, text=text, url=url))
    db.session.execute(
        update(User)
        .where(User.id == member.id)
        .values(unread_notifications=User.unread_notifications + 1)
    )


def mark_all_read(member: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    member.unread_notifications = 0
    db.session.commit()
