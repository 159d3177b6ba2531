"""Every page Harbor serves is valid HTML, as the Nu Html Checker (vnu) reads it.

Browsers forgive broken HTML, each in its own way; screen readers and search engines
less so. Two fields with one id, say, send a label (and its reader) to the wrong field.
The pages come from the url_map, so a new page is checked the day it is added, each as a
visitor, a member, a newcomer, a moderator and an admin would get it; then the pages that
only answer a form, and the error pages the live server cannot be made to show.
"""

import re

import pytest

from tests.factories import PASSWORD, csrf_token, example_paths

from . import nu_checker
from .steps import log_in

WHO = ("visitor", "jun", "nell", "mo", "ada")
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@pytest.fixture(scope="module")
def checker():
    reason = nu_checker.reason_unavailable()
    if reason and nu_checker.REQUIRED:
        pytest.fail(f"HARBOR_REQUIRE_VNU is set, but {reason}")
    if reason:
        pytest.skip(reason)
    return nu_checker


def addresses(app, cast: dict) -> list[str]:
    """Every GET route with the cast's things in it, then what the routes cannot name:
    a guide, a held thread, a long thread's second page, a board for members only."""
    values = {
        "slug": "treatments",
        "thread_id": int(cast["thread"]["id"]),
        # jun's own post: the author's edit and delete forms, and staff's moderation pages.
        "post_id": int(cast["thread"]["first_post_id"]),
        "username": "jun",
        "conversation_id": cast["conversation_id"],
        "message_id": cast["message_id"],
        "token": "not-a-valid-token",
    }
    routes = sorted({path for _, path in example_paths(app, values, methods={"GET"})})
    held, guide = cast["held_thread"], cast["guide"]
    return [
        *routes, guide["path"], f"/p/{guide['first_post_id']}/report", held["path"],
        f"/mod/p/{held['first_post_id']}", f"{cast['long_thread']['path']}?page=2",
        "/b/caregivers", "/mod/u/nell", "/search?q=tiredness", "/search?q=zebra",
        "/no-such-page",
    ]  # fmt: skip


def served_pages(page, paths: list[str], who: str) -> dict[str, str]:
    """The HTML of each path (after redirects) as this person gets it, errors included;
    feeds, zips and JSON are left out. Named "who GET path (status)"."""
    pages = {}
    for path in paths:
        response = page.request.get(path)
        if response.headers.get("content-type", "").startswith("text/html"):
            pages[f"{who} GET {path} ({response.status})"] = response.text()
    return pages


def sent_back(page, who: str, form_path: str, action: str, fields: dict) -> dict[str, str]:
    """The page a form answers with when it is not simply done: its errors, a preview,
    the crisis lines, the "not yet" page. Sent with the token the form's page carries."""
    token = TOKEN.search(page.request.get(form_path).text()).group(1)
    response = page.request.post(action, form={"csrf_token": token, **fields})
    return {f"{who} POST {action} ({response.status})": response.text()}


def answered_forms(page, who: str, cast: dict) -> dict[str, str]:
    thread_id = cast["thread"]["id"]
    if who == "visitor":
        return {
            **sent_back(page, who, "/register", "/register", {"username": "x", "password": "y"}),
            **sent_back(page, who, "/login", "/login", {"username": "nobody", "password": "no"}),
            # Without the token: the page that offers the words back to send again.
            **{
                f"{who} POST /reset without its token": page.request.post(
                    "/reset", form={"email": "someone@example.org"}
                ).text()
            },
        }
    if who == "jun":
        thread = cast["thread"]["path"]
        return {
            **sent_back(page, who, "/settings", "/settings/password",
                        {"current": "wrong", "new": "short", "confirm": "other"}),
            **sent_back(page, who, thread, f"/t/{thread_id}/reply",
                        {"body": "**Preview** me", "preview": "Preview"}),
            **sent_back(page, who, thread, f"/t/{thread_id}/reply",
                        {"body": "I want to end my life."}),
            **sent_back(page, who, "/b/treatments/new", "/b/treatments/new",
                        {"title": "", "body": ""}),
            **sent_back(page, who, "/messages/new", "/messages/new",
                        {"to": "lin", "subject": "", "body": ""}),
        }  # fmt: skip
    if who == "ada":
        return sent_back(page, who, "/mod/words", "/mod/words", {"words": ""})
    return {}


@pytest.mark.parametrize("who", WHO)
def test_every_page_is_valid_html(open_page, harbor, app, checker, who):
    page = open_page()
    if who != "visitor":
        log_in(page, who)
    pages = served_pages(page, addresses(app, harbor.cast), who)
    pages |= answered_forms(page, who, harbor.cast)
    assert len(pages) > 20
    found = checker.problems_in(pages)
    assert found == {}, checker.report(found)


def test_error_pages_the_live_server_cannot_show_are_valid_html(build_app, app, make, checker):
    """Its limits are off and nothing on it breaks: a rate limit, then an unexpected error."""
    from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge

    from forum import errors

    limited = build_app(RATELIMIT_ENABLED=True).test_client()
    member = make.member("rosa")
    for _ in range(6):
        answer = limited.post(
            "/login",
            data={"csrf_token": csrf_token(limited), "username": member.username,
                  "password": PASSWORD + "?"},
        )  # fmt: skip
    assert answer.status_code == 429
    pages = {"429 (too many log ins)": answer.text}
    for error in (InternalServerError(), RequestEntityTooLarge()):
        with app.test_request_context("/b/treatments"):
            body, status = errors.http_error_page(error)
            pages[f"{status} ({type(error).__name__})"] = body
    found = checker.problems_in(pages)
    assert found == {}, checker.report(found)
