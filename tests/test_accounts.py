"""Joining, logging in with a username or an email, and logging out."""

from html import unescape
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import User

from .factories import PASSWORD, csrf_token, log_in, submit


def register(client, **fields):
    data = {"username": "maya", "email": "maya@example.org", "password": PASSWORD,
            "confirm": PASSWORD, **fields}  # fmt: skip
    return submit(client, "/register", data)


def test_joining_logs_the_new_member_in_and_stores_a_normalised_email(client):
    response = register(client, email="  Maya.Lee@EXAMPLE.org ")
    assert response.status_code == 302
    assert "Log out" in client.get("/").text
    user = db.session.scalar(select(User).where(User.username == "maya"))
    assert user.email == "maya.lee@example.org"
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": ""}, "Please choose a username."),
        ({"username": "ab"}, "3 to 30 characters"),
        ({"username": "x" * 31}, "3 to 30 characters"),
        ({"username": "rosa lee"}, "without spaces"),
        ({"username": "rosa<script>"}, "without spaces"),
        ({"username": "Harbor"}, "kept for the site"),
        ({"email": ""}, "Please enter your email address."),
        ({"email": "not-an-email"}, "doesn't look like an email address"),
        ({"email": "a\x00b@example.org"}, "null"),
        ({"password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"confirm": "something else"}, "The two passwords don't match."),
    ],
)
def test_joining_with_bad_details_explains_and_keeps_what_was_typed(client, fields, message):
    response = register(client, **fields)
    assert response.status_code == 200
    assert message in unescape(response.text)
    assert 'aria-invalid="true"' in response.text
    if fields.get("username", "maya") == "maya":
        assert 'value="maya"' in response.text
    assert PASSWORD not in response.text, "passwords are never echoed back"
    assert db.session.scalar(select(User)) is None


def test_passwords_can_be_long_and_use_any_characters(client):
    password = "ünïcødé 🌊 " * 12  # 132 characters
    assert register(client, password=password, confirm=password).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = submit(client, "/login", {"username": "maya", "password": password})
    assert response.status_code == 302


def test_usernames_are_unique_whatever_their_case(client, make):
    make.member("Rosa")
    response = register(client, username="rOSA")
    assert "That username is taken" in response.text


def test_joining_with_a_registered_email_looks_the_same_as_joining_with_a_new_one(client, make):
    make.member("rosa", email="rosa@example.org")
    fresh = register(client, username="newcomer", email="someone-new@example.org")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    taken = register(client, username="stranger", email="ROSA@example.org")

    assert fresh.status_code == taken.status_code == 302
    assert fresh.headers["Location"] == taken.headers["Location"]
    stranger = db.session.scalar(select(User).where(User.username == "stranger"))
    assert stranger.email is None and stranger.pending_email == "rosa@example.org"


@pytest.mark.parametrize("login", ["rosa", "ROSA", "rosa@example.org", " Rosa@Example.org "])
def test_members_log_in_with_username_or_email(client, make, login):
    make.member("rosa", email="rosa@example.org")
    response = submit(client, "/login", {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert "rosa" in client.get("/").text


def test_a_wrong_password_and_an_unknown_member_get_the_same_message(client, make):
    make.member("rosa")
    wrong = submit(client, "/login", {"username": "rosa", "password": "not it at all"})
    unknown = submit(client, "/login", {"username": "nobody-here", "password": "not it at all"})
    assert wrong.status_code == unknown.status_code == 200
    assert "don't match our records" in unescape(wrong.text)
    assert _main(wrong.text).replace("rosa", "X") == _main(unknown.text).replace("nobody-here", "X")


def _main(html: str) -> str:
    import re

    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf_token"[^>]*?value="[^"]+"', "", main)


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/b/treatments", "/b/treatments"),
        ("/t/3/a-thread?page=2", "/t/3/a-thread?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_after_logging_in_members_return_only_to_pages_on_this_site(
    client, make, next_url, lands_on
):
    member = make.member("rosa")
    response = submit(
        client, "/login", {"username": member.username, "password": PASSWORD, "next": next_url}
    )
    assert response.headers["Location"] == lands_on


def test_visitors_who_try_to_post_are_sent_to_log_in_and_back(client, make):
    board = make.board("treatments")
    response = client.get(f"/b/{board.slug}/new")
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == "/login?next=/b/treatments/new"
    login_page = client.get(response.headers["Location"])
    assert 'value="/b/treatments/new"' in login_page.text


def test_remember_me_sets_a_lasting_cookie(client, make):
    member = make.member("rosa")
    submit(client, "/login", {"username": member.username, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_logging_out_needs_a_post_with_a_token(client, make):
    member = make.member("rosa")
    log_in(client, member)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert "Log out" in client.get("/").text
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert "Log out" not in client.get("/").text
