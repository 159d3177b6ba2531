"""Plain functions that make members, boards, threads and posts through the services."""

import itertools
import re

from forum.extensions import db
from forum.models import Board, Role
from forum.services import accounts, posting

PASSWORD = "a calm harbour at dusk"
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_numbers = itertools.count(1)


class Factories:
    def member(self, username: str | None = None, role: Role = Role.MEMBER, email=None):
        username = username or f"member{next(_numbers)}"
        return accounts.register_member(
            username, email or f"{username}@example.org", PASSWORD, role=role
        )

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
