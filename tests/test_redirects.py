"""Where Harbor sends people next: only ever to a page on this site.

Logging in, re-sending a confirmation link, putting a warning away and blocking each
return the member to a ``next`` page the request names. A crafted ``next`` must not
split the Location header (a 500, or a header of the sender's choosing) nor lead to
another site, however a browser would read it.
"""

import pytest

from forum.navigation import safe_next

from .factories import PASSWORD, csrf_token, log_in, submit

# Each of these is refused outright: a member who follows such a link lands on an
# ordinary page of ours.
CONTROL_CHARACTERS = [chr(code) for code in [*range(0x20), 0x7F]] + ["\x85", "\u2028", "\u2029"]
CRAFTED_TARGETS = [
    "/\r\nX-Evil: 1",
    "/\nX-Evil: 1",
    "/\rX-Evil: 1",
    *(f"/b/treatments{character}" for character in CONTROL_CHARACTERS),
    # Browsers drop tabs and newlines from a URL, and read a backslash as a slash.
    "/\t/evil.example",
    "/\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    " //evil.example",
]


def where_it_leads(response) -> str:
    """The Location of a redirect; otherwise the status (a 500 shows as "500")."""
    return response.headers.get("Location", str(response.status_code))


def all_lead_to(page: str) -> dict[str, str]:
    return dict.fromkeys(CRAFTED_TARGETS, page)


@pytest.mark.parametrize("target", CRAFTED_TARGETS)
def test_a_crafted_target_is_refused_for_the_page_offered_instead(target):
    assert safe_next(target, "/settings") == "/settings"


@pytest.mark.parametrize(
    "target",
    ["/", "/b/treatments", "/t/3/a-thread?page=2", "/t/3/a-thread?page=2#p7",
     "/search?q=tamoxifen%20%26%20fatigue", "/u/mia", "/b/trait\u00e9ments"],
)  # fmt: skip
def test_a_page_on_this_site_is_kept(target):
    assert safe_next(target, "/settings") == target


# Each place a request names where to go next, asked with every crafted target. One
# member per test makes all the requests: a test per target would cost a minute.


def test_a_member_following_crafted_login_links_stays_on_this_site(client, rosa):
    leads = {
        target: where_it_leads(client.get("/login", query_string={"next": target}))
        for target in CRAFTED_TARGETS
    }
    assert leads == all_lead_to("/")


def test_logging_in_with_a_crafted_next_page_stays_on_this_site(app, make):
    member = make.member("rosa")

    def log_in_and_go_to(target: str):
        fields = {"username": member.username, "password": PASSWORD, "next": target}
        return submit(app.test_client(), "/login", fields)

    leads = {target: where_it_leads(log_in_and_go_to(target)) for target in CRAFTED_TARGETS}
    assert leads == all_lead_to("/")


def test_sending_the_confirmation_again_with_a_crafted_next_stays_on_this_site(client, make):
    log_in(client, make.newcomer("ana"))
    leads = {
        target: where_it_leads(submit(client, "/confirm/resend", {"next": target}))
        for target in CRAFTED_TARGETS
    }
    assert leads == all_lead_to("/settings")


def test_putting_a_warning_away_with_a_crafted_next_stays_on_this_site(client, rosa):
    leads = {
        target: where_it_leads(submit(client, "/warnings/acknowledge", {"next": target}))
        for target in CRAFTED_TARGETS
    }
    assert leads == all_lead_to("/")


def test_blocking_with_a_crafted_next_stays_on_this_site(client, make, rosa):
    make.member("pest")
    leads = {
        target: where_it_leads(submit(client, "/u/pest/block", {"next": target}))
        for target in CRAFTED_TARGETS
    }
    assert leads == all_lead_to("/u/pest")


def test_members_are_returned_to_the_page_they_came_from(client, rosa):
    for target in ["/b/treatments", "/t/3/a-thread?page=2", "/settings/blocked"]:
        response = client.get("/login", query_string={"next": target})
        assert response.headers["Location"] == target


def test_a_visitor_sent_to_log_in_from_a_crafted_path_comes_back_to_the_boards(client, make):
    """The path is kept in the login link percent-encoded, so the header holds; the newline
    it decodes to is refused after logging in like any other."""
    make.board("treatments")
    response = client.get("/b/treatments%0d%0aX-Evil:%201/new")
    login_link = response.headers["Location"]
    assert response.status_code == 302 and login_link.startswith("/login?next=")
    member = make.member("rosa")
    fields = {"username": member.username, "password": PASSWORD,
              "next": "/b/treatments\r\nX-Evil: 1/new"}  # fmt: skip
    assert where_it_leads(submit(client, login_link, fields)) == "/"


@pytest.mark.parametrize(
    "referer",
    ["http://localhost//evil.example/", "http://localhost/\\evil.example", "https://evil.example/"],
)
def test_words_kept_after_a_lost_session_offer_only_a_page_of_ours_to_go_back_to(
    client, make, referer
):
    make.board("treatments")
    fields = {"title": "Scan day", "body": "Clear again, I can breathe."}
    response = client.post(
        "/b/treatments/new", data={"csrf_token": csrf_token(client), **fields},
        headers={"Referer": referer},
    )  # fmt: skip
    assert response.status_code == 401 and "Clear again, I can breathe." in response.text
    assert 'class="button" href="/login?next=/"' in response.text
    assert "evil.example" not in response.text
