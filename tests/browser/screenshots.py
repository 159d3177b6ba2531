"""``make screenshots``: the main pages on a desktop and a phone, saved under docs/screenshots/.

Uses the same server and cast as the browser tests. Run again after changing how pages look,
and commit the pictures with the change.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .conftest import CHROMIUM, DESKTOP, PHONE
from .server import ROOT, running_harbor
from .steps import log_in

FOLDER = ROOT / "docs" / "screenshots"


def shots(cast: dict) -> list[tuple[str, str | None, str, str]]:
    """(picture name, who is logged in, path, colour scheme)."""
    thread = cast["thread"]["path"]
    return [
        ("boards", None, "/", "light"),
        ("board", None, "/b/treatments", "light"),
        ("thread", "jun", thread, "light"),
        ("thread-dark", "jun", thread, "dark"),
        ("new-thread", "lin", "/b/treatments/new", "light"),
        ("reports", "mo", "/mod/reports", "light"),
    ]


def take_screenshots(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    with (
        tempfile.TemporaryDirectory() as scratch,
        running_harbor(Path(scratch)) as harbor,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            for name, who, path, scheme in shots(harbor.cast):
                context = browser.new_context(
                    base_url=harbor.url, viewport=viewport, color_scheme=scheme,
                    is_mobile=device == "phone",
                )  # fmt: skip
                page = context.new_page()
                if who:
                    log_in(page, who)
                page.goto(path)
                target = folder / f"{device}-{name}.png"
                page.screenshot(path=target)
                saved.append(target)
                context.close()
        browser.close()
    return saved


if __name__ == "__main__":
    if not Path(CHROMIUM).exists():
        sys.exit("Chromium is not installed: `apt-get install chromium` first.")
    for path in take_screenshots():
        print(path.relative_to(ROOT))
