"""What people do on Harbor, as steps a test can take in a browser page."""

import itertools
import re

from tests.factories import PASSWORD

_numbers = itertools.count(1)


def newcomer_name(base: str) -> str:
    """A username nobody in this server's database has yet: the journeys share it."""
    return f"{base}{next(_numbers)}"


def sign_up(page, username: str) -> None:
    page.get_by_role("link", name="Join", exact=True).first.click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email", exact=True).fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()


def log_in(page, username: str, then: str = "/") -> None:
    page.goto(f"/login?next={then}")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def flash(page):
    """The messages Harbor announces after an action (role="status")."""
    return page.get_by_role("status").first


def post_by(page, text: str):
    return page.locator("article.post").filter(has_text=text)
