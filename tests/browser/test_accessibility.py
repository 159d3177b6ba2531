"""axe-core scans every main page, in the light theme and the dark: nothing serious.

Folded parts (<details>: moderator tools, content notes, menus) are opened first, so what
they hold is scanned too. Contrast is held to AAA (7:1), which axe checks only when asked.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import DESKTOP
from .steps import log_in

SERIOUS = {"serious", "critical"}
THEMES = ("light", "dark")
# --bg in harbor.css for each theme: proof the scan really saw the theme it names.
BACKGROUNDS = {"light": "rgb(251, 248, 244)", "dark": "rgb(21, 25, 29)"}
# axe's defaults (WCAG A and AA, and best practice), plus AAA contrast: text is 7:1 here.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"color-contrast-enhanced": {"enabled": True}},
}


def pages_for(cast: dict) -> dict[str, list[str]]:
    """Who looks, and at which pages (error pages among them: 404, and 403 for /mod)."""
    thread, post = cast["thread"]["path"], cast["thread"]["first_post_id"]
    return {
        "visitor": [
            "/", "/b/treatments", thread, "/register", "/login", "/reset", "/search",
            "/search?q=tiredness", "/search?q=zebra", "/u/jun", "/mentors", "/no-such-page",
        ],
        "jun": [
            "/", "/b/treatments", thread, "/b/treatments/new", "/settings", "/notifications",
            "/bookmarks", "/messages", "/u/jun", f"/p/{post}/edit", f"/p/{post}/delete",
            f"/p/{post}/reactions", "/settings/export", "/settings/delete", "/mod",
        ],
        "ada": [
            thread, "/mod", "/mod/reports", "/mod/queue", "/mod/log", "/mod/words",
            "/mod/boards", "/mod/u/jun", "/mod/help/crisis", "/mod/help/crisis/edit",
            f"/mod/p/{post}", f"/mod/p/{post}/history", f"/mod/p/{post}/edit",
            f"/mod/t/{cast['thread']['id']}/split",
        ],
    }  # fmt: skip


@pytest.fixture(scope="session")
def axe():
    return Axe()


def page_background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def serious_violations(results) -> list[str]:
    return [
        f"{violation['id']}: {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("who", ["visitor", "jun", "ada"])
def test_every_main_page_has_no_serious_accessibility_problems(open_page, harbor, axe, who):
    page = open_page(DESKTOP)
    if who != "visitor":
        log_in(page, who)
    found = {}
    for path in pages_for(harbor.cast)[who]:
        page.goto(path)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        for theme in THEMES:
            page.emulate_media(color_scheme=theme)
            assert page_background(page) == BACKGROUNDS[theme]
            problems = serious_violations(axe.run(page, options=AXE_OPTIONS))
            if problems:
                found[f"{path} ({theme})"] = problems
    assert found == {}
