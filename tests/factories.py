"""Plain functions that make members, boards, threads and posts through the services."""

import itertools
import re
from datetime import timedelta

from flask import current_app

from forum.extensions import db
from forum.models import Board, Role, utcnow
from forum.services import accounts, messaging, moderation, notifications, posting

PASSWORD = "a calm harbour at dusk"
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_numbers = itertools.count(1)
# The suite's apps and servers run with the gates a newcomer passes by posting left open;
# stories about those gates put the defaults back (the ``default_gates`` fixture).
OPEN_GATES = {"FIRST_POSTS_HELD": 0, "MESSAGES_AFTER_POSTS": 0}


class Factories:
    def member(self, username: str | None = None, role: Role = Role.MEMBER, email=None):
        """A member with a confirmed address. The suite's app leaves the posting gates open
        (tests/conftest.py), so they post and message freely; with ``default_gates`` they
        are as new as anyone until they ``earn_trust``."""
        return self.newcomer(username, role, email, confirmed=True)

    def earn_trust(self, member, moderator=None, board=None):
        """Pass the gates the way a member does: post, have a moderator approve what was
        held, and post on until private conversations open; then read the notices of
        approval. Nothing is set by hand."""
        config = current_app.config
        needed = max(config["FIRST_POSTS_HELD"], config["MESSAGES_AFTER_POSTS"])
        moderator = moderator or self.moderator()
        board = board or self.board(slug=f"introductions-{next(_numbers)}")
        post = posting.start_thread(board, member, f"Hello from {member.username}", "Hi all.")
        thread = db.session.get(posting.Thread, post.thread_id)
        while True:
            if post.is_held:
                moderation.approve_post(post, moderator)
            db.session.refresh(member)
            if member.visible_post_count >= needed:
                notifications.mark_all_read(member)
                return member
            post = posting.reply(thread, member, f"A little more about me ({post.number}).")

    def joined_long_ago(self, member, days: int = 30):
        """As if the member had joined ``days`` ago. Time is the one thing a story cannot
        pass through the pages, and a member's first day is a gate of its own
        (policy.is_new_member)."""
        member.created_at = utcnow() - timedelta(days=days)
        db.session.commit()
        return member

    def newcomer(self, username=None, role=Role.MEMBER, email=None, confirmed=False):
        """A member who has just joined: their first posts wait for approval, and their
        address waits to be confirmed (``confirmed`` skips that)."""
        username = username or f"member{next(_numbers)}"
        return accounts.register_member(
            username, email or f"{username}@example.org", PASSWORD, role=role, confirmed=confirmed
        )

    def admin(self, username: str | None = None):
        return self.member(username or f"admin{next(_numbers)}", role=Role.ADMIN)

    def moderator(self, username: str | None = None):
        return self.member(username or f"mod{next(_numbers)}", role=Role.MODERATOR)

    def board(self, slug: str | None = None, name: str | None = None) -> Board:
        number = next(_numbers)
        board = Board(
            slug=slug or f"board-{number}",
            name=name or f"Board {number}",
            description="A board for the tests.",
            position=number,
        )
        db.session.add(board)
        db.session.commit()
        return board

    def thread(self, board=None, author=None, title="Starting a new treatment", body="Hello all."):
        post = posting.start_thread(board or self.board(), author or self.member(), title, body)
        return db.session.get(posting.Thread, post.thread_id)

    def reply(self, thread, author=None, body="Thinking of you."):
        return posting.reply(thread, author or self.member(), body)

    def conversation(self, author=None, recipients=(), subject="Hello", body="How are you?"):
        """A private conversation started by ``author`` with ``recipients``."""
        return messaging.start_conversation(
            author or self.member(), list(recipients) or [self.member()], subject, body
        )


def count(model, *where) -> int:
    """How many rows of ``model`` there are (matching ``where``)."""
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def run_at_once(work, arguments: list[tuple]) -> None:
    """Run ``work(*args)`` for each argument tuple in its own thread, all at the same time.

    Pass plain values (names, ids), not model objects: the threads must not touch the
    test's own database session.
    """
    import threading

    db.session.commit()
    workers = [threading.Thread(target=work, args=args) for args in arguments]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def csrf_token(client) -> str:
    """A valid form token for this client's session, read from a page that has a form."""
    for path in ("/", "/register"):
        match = _CSRF.search(client.get(path).text)
        if match:
            return match.group(1)
    raise AssertionError("no page offered a CSRF token")


def submit(client, path: str, data: dict | None = None, follow: bool = False):
    """POST a form the way a browser would: with this session's CSRF token."""
    return client.post(
        path, data={"csrf_token": csrf_token(client), **(data or {})}, follow_redirects=follow
    )


def log_in(client, user, password: str = PASSWORD):
    response = submit(client, "/login", {"username": user.username, "password": password})
    assert response.status_code == 302, "log in should succeed"
    return response


def example_paths(app, values: dict, methods: set[str] | None = None):
    """Every route as a concrete path, with each choice of an ``any(...)`` part expanded.

    ``values`` gives a value for each URL argument by name (thread_id, username, ...); a
    route with an argument it does not name fails the test, so new routes get examples.
    Yields (rule, path) for rules that accept any of ``methods`` (all rules if None).
    """
    from itertools import product

    from werkzeug.routing import AnyConverter

    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or (methods and not rule.methods & methods):
            continue
        missing = sorted(
            name for name, converter in rule._converters.items()
            if name not in values and not isinstance(converter, AnyConverter)
        )  # fmt: skip
        assert not missing, f"no example value for {missing} in {rule.rule}: add one to the test"
        options = {
            name: sorted(converter.items) if isinstance(converter, AnyConverter)
            else [values[name]]
            for name, converter in rule._converters.items()
        }  # fmt: skip
        names = list(options)
        for combination in product(*(options[name] for name in names)):
            yield rule, rule.build(dict(zip(names, combination, strict=True)))[1]
