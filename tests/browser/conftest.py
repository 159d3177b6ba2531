"""Browser fixtures: Harbor under gunicorn with a fresh database, and Debian's Chromium.

Where Chromium is not installed (``apt-get install chromium``; ``.ci/run`` does it) every
browser test is skipped with that reason, so ``make test`` still runs everywhere. They
also skip on the PostgreSQL run: the server they drive has its own SQLite database, so a
second run would prove nothing new.
"""

import os
import shutil
from pathlib import Path

import pytest

from .server import running_harbor

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# Fail in seconds, not Playwright's default half-minute: every page here is local.
TIMEOUT_MS = 10_000


def _reason_to_skip() -> str | None:
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        return "browser tests run on the SQLite run only (their server has its own database)"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed: `apt-get install chromium` to run the browser tests"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _reason_to_skip()
    if reason is None:
        return
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def harbor(tmp_path_factory):
    with running_harbor(tmp_path_factory.mktemp("harbor-browser")) as live:
        yield live


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


class PageProblems:
    """What the browser complained about: script errors, Content-Security-Policy refusals,
    and files a page needed that did not load. A page itself may be an error page."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("pageerror", lambda error: self.messages.append(f"script error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message):
        # Failed loads are told apart by _response, which knows what was being loaded.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.messages.append(f"console: {message.text}")

    def _response(self, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.messages.append(f"{response.status} for {response.url}")


@pytest.fixture
def open_page(browser, harbor):
    """``open_page(viewport, **context options)``: a fresh browser (no cookies) on Harbor.

    Each test ends by checking that no page had a script error or broke the CSP.
    """
    contexts, watched = [], []

    def opening(viewport=DESKTOP, **options):
        context = browser.new_context(base_url=harbor.url, viewport=viewport, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watched.append(PageProblems(page))
        return page

    yield opening
    for context in contexts:
        context.close()
    problems = [message for pages in watched for message in pages.messages]
    assert problems == [], "the browser reported problems"


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def phone(open_page):
    return open_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
