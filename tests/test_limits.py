"""Rate limits: people who guess passwords or flood the boards are slowed down, and anyone
who meets a limit is told kindly how long to wait, with nothing they typed lost.

The suite's own app has limits off; each test here builds an app with them on.
"""

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from forum import config, limits
from forum.extensions import db
from forum.models import Post, User, utcnow

from .factories import PASSWORD, count, csrf_token, log_in, submit


@pytest.fixture
def limited(build_app):
    """An app with every limit on, counting in its own memory from zero."""
    app = build_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limits.reset(app)
    yield app
    limits.reset(app)


def client_from(app, address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def log_in_attempt(client, username: str, password: str = "not the password"):
    return submit(client, "/login", {"username": username, "password": password})


def main_part(html: str) -> str:
    """The page's main content, without its form token (which differs on every page) and
    the time to wait (which depends on when the first try was)."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"try again in <strong>[^<]+</strong>", "try again in <strong>…</strong>", main)
    return re.sub(r'name="csrf_token"[^>]*?value="[^"]+"', "", main)


def a_while_ago(member: User) -> User:
    member.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    return member


# Logging in


def test_logging_in_is_limited_per_address(limited):
    client = client_from(limited)
    for number in range(10):
        assert log_in_attempt(client, f"someone{number}").status_code == 200
    refused = log_in_attempt(client, "someone-else")
    assert refused.status_code == 429
    assert "tries to log in" in unescape(refused.text)
    assert 'href="/reset">Choose a new password</a>' in refused.text, "a way out of the lock"
    assert log_in_attempt(client_from(limited, "192.0.2.99"), "someone").status_code == 200


def test_logging_in_is_limited_per_account_from_any_address(limited, make):
    rosa = make.member("rosa")
    for number, login in enumerate(["rosa", "ROSA", " Rosa", "rosa", "rOsa"]):
        client = client_from(limited, f"198.51.100.{number}")
        assert log_in_attempt(client, login).status_code == 200
    # The sixth try fails even with the right password, from a new address.
    elsewhere = client_from(limited, "198.51.100.200")
    assert log_in_attempt(elsewhere, "rosa", PASSWORD).status_code == 429
    assert "Log out" not in elsewhere.get("/").text
    # Other members logging in from those addresses are not held up.
    same_address = client_from(limited, "198.51.100.1")
    assert log_in_attempt(same_address, make.member("jun").username, PASSWORD).status_code == 302
    assert log_in_attempt(client_from(limited, "198.51.100.1"), rosa.username).status_code == 429


def test_the_account_limit_looks_the_same_for_members_and_for_names_nobody_has(limited, make):
    make.member("rosa")
    pages = {}
    for login in ("rosa", "nobody-here"):
        for number in range(5):
            log_in_attempt(client_from(limited, f"203.0.113.{number}"), login)
        refused = log_in_attempt(client_from(limited, "203.0.113.50"), login)
        assert refused.status_code == 429
        pages[login] = main_part(refused.text)
    assert pages["rosa"] == pages["nobody-here"]
    assert "rosa" not in pages["rosa"]


def test_page_views_are_never_counted(limited, make):
    client = client_from(limited)
    for _ in range(30):
        assert client.get("/login").status_code == 200
    log_in(client, make.member("rosa"))


def test_behind_a_proxy_each_visitor_is_counted_by_their_own_address(build_app):
    app = build_app(RATELIMIT_ENABLED=True, PROXY_COUNT=1)
    proxy = client_from(app, "127.0.0.1")
    for number in range(10):
        proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.1"
        assert log_in_attempt(proxy, f"someone{number}").status_code == 200
    assert log_in_attempt(proxy, "someone").status_code == 429
    proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.2"
    assert log_in_attempt(proxy, "someone").status_code == 200


# Joining and password resets, which send email


def join(client, username: str, email: str):
    return submit(client, "/register", {"username": username, "email": email,
                                        "password": PASSWORD, "confirm": PASSWORD})  # fmt: skip


def test_joining_is_limited_per_email_address(limited):
    for number in range(3):
        client = client_from(limited, f"192.0.2.{number}")
        assert join(client, f"maya{number}", "maya@example.org").status_code == 302
    refused = join(client_from(limited, "192.0.2.77"), "maya9", " MAYA@example.org")
    assert refused.status_code == 429
    assert count(User) == 3
    assert join(client_from(limited, "192.0.2.78"), "lee", "lee@example.org").status_code == 302


def test_joining_is_limited_per_address(limited):
    for number in range(5):
        joined = join(client_from(limited), f"maya{number}", f"maya{number}@example.org")
        assert joined.status_code == 302
    assert join(client_from(limited), "maya9", "maya9@example.org").status_code == 429
    assert count(User) == 5


def test_reset_requests_are_limited_per_email_alike_for_members_and_strangers(limited, make):
    make.member("rosa", email="rosa@example.org")
    pages = {}
    for address in ("rosa@example.org", "nobody@example.org"):
        for number in range(3):
            client = client_from(limited, f"198.51.100.{number}")
            assert submit(client, "/reset", {"email": address}).status_code == 200
        refused = submit(client_from(limited, "198.51.100.9"), "/reset", {"email": address})
        assert refused.status_code == 429
        pages[address] = main_part(refused.text)
    assert pages["rosa@example.org"] == pages["nobody@example.org"]


def test_reset_requests_are_limited_per_address(limited):
    client = client_from(limited)
    for number in range(5):
        assert submit(client, "/reset", {"email": f"n{number}@example.org"}).status_code == 200
    refused = submit(client, "/reset", {"email": "n9@example.org"})
    assert refused.status_code == 429
    assert "n9@example.org" not in refused.text


# Posting


def test_a_new_members_second_post_within_a_minute_waits_with_her_words_kept(limited, make):
    board = make.board()
    thread = make.thread(board=board)
    nia = make.newcomer("nia", confirmed=True)
    client = client_from(limited)
    log_in(client, nia)
    first = submit(client, f"/t/{thread.id}/reply", {"body": "Hello everyone, I'm new here."})
    assert first.status_code == 302

    words = "I start Ibrance next week & I'm <nervous>."
    second = submit(client, f"/b/{board.slug}/new", {"title": "Ibrance nerves", "body": words})
    assert second.status_code == 429
    assert 1 <= int(second.headers["Retry-After"]) <= 60
    page = second.text
    assert "<title>Please wait a moment · Harbor</title>" in page
    assert 'class="site-header"' in page and '<main id="main"' in page
    assert "first day" in page and "You can try again in" in page
    assert "I start Ibrance next week &amp; I&#39;m &lt;nervous&gt;." in page
    assert 'value="Ibrance nerves"' in page
    assert count(Post, Post.author_id == nia.id) == 1

    # The form on the page sends the words as they are once the wait is over.
    limits.reset(limited)
    main = page.split('<main id="main"', 1)[1]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', main))
    fields.update(title="Ibrance nerves", body=unescape(words))
    action = re.search(r'<form method="post" action="([^"]+)"', main)[1]
    assert action == f"/b/{board.slug}/new"
    sent = client.post(action, data=fields)
    assert sent.status_code == 302
    assert db.session.scalar(select(Post.source).where(Post.author_id == nia.id).order_by(
        Post.id.desc()).limit(1)) == words  # fmt: skip


def test_previews_and_refused_posts_do_not_count(limited, make):
    thread = make.thread()
    nia = make.newcomer("nia", confirmed=True)
    client = client_from(limited)
    log_in(client, nia)
    for _ in range(3):
        preview = submit(client, f"/t/{thread.id}/reply", {"body": "Draft", "preview": "y"})
        assert preview.status_code == 200 and "Preview" in preview.text
    assert submit(client, f"/t/{thread.id}/reply", {"body": "   "}).status_code == 200
    assert submit(client, f"/t/{thread.id}/reply", {"body": "Hello all"}).status_code == 302
    # Previewing the next reply still works inside the minute; sending it waits.
    preview = submit(client, f"/t/{thread.id}/reply", {"body": "More", "preview": "y"})
    assert preview.status_code == 200
    assert submit(client, f"/t/{thread.id}/reply", {"body": "More"}).status_code == 429


def test_a_member_who_has_been_here_a_while_is_not_held_to_the_new_members_pace(limited, make):
    thread = make.thread()
    rosa = a_while_ago(make.member("rosa"))
    client = client_from(limited)
    log_in(client, rosa)
    for number in range(6):
        reply = submit(client, f"/t/{thread.id}/reply", {"body": f"Reply number {number}"})
        assert reply.status_code == 302
    assert submit(client, f"/t/{thread.id}/reply", {"body": "A seventh"}).status_code == 429
    assert count(Post, Post.author_id == rosa.id) == 6


def test_members_sharing_an_address_are_counted_apart(limited, make):
    thread = make.thread()
    for name in ("nia", "lee"):
        client = client_from(limited, "192.0.2.5")
        log_in(client, make.newcomer(name, confirmed=True))
        replied = submit(client, f"/t/{thread.id}/reply", {"body": f"Hello from {name}"})
        assert replied.status_code == 302


def test_a_message_sent_too_soon_comes_back_in_the_form(limited, make):
    rosa = make.member("rosa")
    nia = make.newcomer("nia", confirmed=True)
    conversation = make.conversation(author=rosa, recipients=[nia])
    client = client_from(limited)
    log_in(client, nia)
    path = f"/messages/{conversation.id}/reply"
    assert submit(client, path, {"body": "Thank you for writing."}).status_code == 302
    refused = submit(client, path, {"body": "One more thing: what helped you sleep?"})
    assert refused.status_code == 429
    assert "One more thing: what helped you sleep?" in refused.text
    assert f'action="{path}"' in refused.text


# Switching limits off, and where they are counted


def test_limits_are_on_unless_the_environment_turns_them_off():
    assert config.default_settings(Path("/tmp"))["RATELIMIT_ENABLED"] is True
    assert config.settings_from_environment({"RATELIMIT_ENABLED": "0"}) == {
        "RATELIMIT_ENABLED": False
    }
    assert config.settings_from_environment({"RATELIMIT_STORAGE_URI": "redis://cache:6379"}) == {
        "RATELIMIT_STORAGE_URI": "redis://cache:6379"
    }


def test_ratelimit_enabled_0_switches_every_limit_off(build_app, make):
    app = build_app(**config.settings_from_environment({"RATELIMIT_ENABLED": "0"}))
    client = client_from(app)
    for number in range(12):
        assert log_in_attempt(client, f"someone{number}").status_code == 200
    for _ in range(6):
        assert log_in_attempt(client, "rosa").status_code == 200
    thread = make.thread()
    log_in(client, make.newcomer("nia", confirmed=True))
    for number in range(3):
        assert submit(client, f"/t/{thread.id}/reply", {"body": f"Hi {number}"}).status_code == 302


def test_limits_still_hold_when_the_shared_store_is_unreachable(build_app):
    # Nothing listens on port 1: Harbor counts in memory instead of failing every form.
    app = build_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    client = client_from(app)
    for number in range(10):
        assert log_in_attempt(client, f"someone{number}").status_code == 200
    assert log_in_attempt(client, "someone").status_code == 429


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"),
     (3599, "about an hour"), (3601, "about 2 hours")],
)  # fmt: skip
def test_waits_are_told_in_plain_words(seconds, words):
    assert limits.wait_in_words(seconds) == words


def test_forms_that_send_no_words_offer_a_way_back_instead(limited):
    client = client_from(limited)
    for number in range(10):
        log_in_attempt(client, f"someone{number}")
    refused = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "username": "x", "password": "secret words"},
        headers={"Referer": "http://localhost/login"},
    )
    assert refused.status_code == 429
    assert "secret words" not in refused.text
    assert '<form method="post" action="/login"' not in refused.text
    assert 'href="/login"' in refused.text
