"""What people do on Harbor, as steps a test can take in a browser page."""

import itertools
import re

from tests.factories import PASSWORD

_numbers = itertools.count(1)


def newcomer_name(base: str) -> str:
    """A username nobody in this server's database has yet: the journeys share it."""
    return f"{base}{next(_numbers)}"


def sign_up(page, username: str) -> None:
    page.get_by_role("link", name="Join", exact=True).click()
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


FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        text: (element.innerText || element.getAttribute("aria-label") || "").trim(),
        id: element.id,
        ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def tab_to(page, text: str | None = None, id: str | None = None, limit: int = 80) -> None:
    """Press Tab until the element with this text (or id) has the focus, as someone without
    a mouse would; every stop on the way must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["ring"], f"no visible focus ring on {focused}"
        if (text is not None and focused["text"] == text) or (
            id is not None and focused["id"] == id
        ):
            return
    raise AssertionError(f"Tab never reached {text or id!r}")


def press_enter(page) -> None:
    """Enter on a link or in a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
