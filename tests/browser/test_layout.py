"""How pages sit on a screen: phones first, big text, no sideways scrolling, no jumping."""

import pytest
from playwright.sync_api import expect

from forum.threads.forms import OWN_WORDS

from .conftest import DESKTOP, PHONE
from .steps import log_in

NARROWEST = {"width": 320, "height": 640}
# A 1280×800 screen at 200% zoom: the page lays itself out in half the CSS pixels.
DESKTOP_AT_200_PERCENT = {"width": 640, "height": 400}
TAP_TARGETS = (
    "button, summary, select, textarea, input:not([type=hidden]):not([type=checkbox])"
    ":not([type=radio]), label.check, .nav a, .crumbs a, .post-actions a, .pagination a"
)


def first_words_top(page) -> float:
    return page.locator("article.post .post-body > :first-child").first.bounding_box()["y"]


def lines_in(locator) -> float:
    return locator.evaluate("(e) => e.offsetHeight / parseFloat(getComputedStyle(e).lineHeight)")


@pytest.mark.parametrize("who", [None, "jun"])
def test_on_a_phone_a_thread_starts_with_its_words(open_page, harbor, who):
    """A compact header, the title, then the first post: not a screenful of chrome.

    The worst case: the first page of a long thread (so it has page links) whose title
    takes three lines, on "Living with metastatic breast cancer", the longest board name.
    """
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    if who:
        log_in(page, who)
    page.goto(harbor.cast["long_thread"]["path"])
    assert round(lines_in(page.get_by_role("heading", level=1))) == 3
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    # "Harbor" above leads to all the boards: the crumbs keep to one line, the board's.
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link", name="Living with metastatic breast cancer")).to_be_visible()
    expect(crumbs.get_by_role("link", name="All boards")).to_be_hidden()
    assert first_words_top(page) <= 250


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.mark.parametrize(
    ("viewport", "scale"), [(NARROWEST, 1), (DESKTOP_AT_200_PERCENT, 2)], ids=["320px", "zoom-200"]
)
def test_nothing_scrolls_sideways_at_320_pixels_or_200_percent_zoom(
    open_page, harbor, viewport, scale
):
    cast = harbor.cast
    visitor = ["/", "/b/treatments", cast["thread"]["path"], "/register", "/login", "/search"]
    member = [cast["thread"]["path"], "/b/treatments/new", "/settings", "/notifications"]
    staff = ["/mod", "/mod/reports", "/mod/queue", "/mod/log", "/mod/boards", "/mod/u/jun"]
    wide = []
    for who, paths in ((None, visitor), ("jun", member), ("ada", staff)):
        page = open_page(viewport, device_scale_factor=scale)
        if who:
            log_in(page, who)
        for path in paths:
            page.goto(path)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            if scrolls_sideways(page):
                wide.append(f"{who or 'visitor'} {path}")
    assert wide == []


def test_words_without_a_break_and_wide_tables_stay_on_a_phone_screen(open_page):
    """A title of one long unbroken word, a content note in the member's own words, and a
    table of twenty columns: the page itself never scrolls sideways (the table may)."""
    page = open_page(NARROWEST)
    log_in(page, "jun", then="/b/living-with-mbc/new")
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    table = "|" + "|".join(f"column {n}" for n in range(20)) + "|\n" + "|---" * 20 + "|\n"
    answer = page.request.post("/b/living-with-mbc/new", form={
        "csrf_token": token, "title": "Unbroken" * 18, "body": f"Wide.\n\n{table}",
        "content_note_choice": OWN_WORDS, "content_note_other": "Anunbrokennote" * 4,
    })  # fmt: skip
    assert answer.ok
    page.goto(answer.url)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert "Unbroken" in page.title()
    assert not scrolls_sideways(page)


def test_the_menu_is_folded_on_a_phone_and_laid_out_on_a_desktop(open_page):
    desktop = open_page(DESKTOP)
    desktop.goto("/")
    expect(desktop.get_by_role("link", name="Join", exact=True)).to_be_visible()
    expect(desktop.get_by_text("Menu", exact=True)).to_be_hidden()

    phone = open_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto("/")
    join = phone.get_by_role("link", name="Join", exact=True)
    expect(join).to_be_hidden()
    phone.get_by_text("Menu", exact=True).tap()
    join.tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Join Harbor")


def small_targets(page) -> list[str]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((element) => element.checkVisibility())
            .map((element) => [element, element.getBoundingClientRect()])
            .filter(([, box]) => box.height < 44 || box.width < 24)
            .map(([element, box]) => `${element.outerHTML.slice(0, 80)}: ${box.height}px`)""",
        TAP_TARGETS,
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_buttons_links_and_fields_are_easy_to_tap(open_page, harbor, viewport):
    page = open_page(viewport)
    log_in(page, "jun")
    problems = []
    for path in ("/", harbor.cast["thread"]["path"], "/b/treatments/new", "/settings"):
        page.goto(path)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        problems += [f"{path}: {problem}" for problem in small_targets(page)]
    assert problems == []


def layout_shift(page) -> float:
    """Cumulative layout shift since the page started loading, as Chrome measures it."""
    return page.evaluate(
        """() => new Promise((resolve) => {
            let total = 0;
            new PerformanceObserver((list) => {
                for (const entry of list.getEntries()) total += entry.value;
            }).observe({ type: "layout-shift", buffered: true });
            setTimeout(() => resolve(total), 300);
        })"""
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pages_do_not_jump_while_they_load(open_page, harbor, viewport):
    page = open_page(viewport)
    log_in(page, "lin")
    for path in ("/", "/b/treatments", harbor.cast["thread"]["path"]):
        page.goto(path, wait_until="load")
        assert layout_shift(page) < 0.01, path


def test_an_error_page_keeps_the_site_around_it_and_says_what_to_do(page):
    response = page.goto("/t/999999")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't find that page")
    expect(page.get_by_role("navigation", name="Site")).to_be_visible()
    page.get_by_role("link", name="See all boards").click()
    expect(page.locator(".board-card").first).to_be_visible()


def test_without_javascript_a_member_can_still_reply_and_send_support(open_page, harbor):
    page = open_page(DESKTOP, java_script_enabled=False)
    log_in(page, "ola", then=harbor.cast["thread"]["path"])
    page.get_by_label("Your reply").fill("Sending you strength for Monday.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply is posted.")
    first = page.locator("article.post").first
    first.get_by_role("button", name="Thinking of you").click()
    expect(
        page.locator("article.post").first.get_by_role("button", name="Thinking of you")
    ).to_have_attribute("aria-pressed", "true")
