"""Passwords people can remember and others can't guess; sessions that end when asked;
and forms that never tell a stranger who is a member."""

import hashlib
import re
from html import unescape

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from forum import config
from forum.extensions import db
from forum.models import OutboxEmail, User
from forum.services import accounts

from .factories import PASSWORD, csrf_token, log_in, submit

LINK = re.compile(r"http://127\.0\.0\.1:5000(/\S+)")


def reset_link_for(client, address: str) -> str:
    submit(client, "/reset", {"email": address})
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "reset-password"))
    return LINK.search(email.text_body).group(1)


def log_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


# Common passwords


@pytest.mark.parametrize(
    "common", ["password", "Password1", "ILOVEYOU", "qwertyuiop", " sunshine "]
)
@pytest.mark.parametrize("form", ["join", "change", "reset"])
def test_the_most_common_passwords_are_refused_everywhere_one_is_chosen(client, make, form, common):
    if form == "join":
        response = submit(client, "/register", {"username": "maya", "email": "maya@example.org",
                                                "password": common, "confirm": common})  # fmt: skip
    elif form == "change":
        log_in(client, make.member("rosa"))
        response = submit(client, "/settings/password",
                          {"current": PASSWORD, "new": common, "confirm": common})  # fmt: skip
    else:
        make.member("rosa", email="rosa@example.org")
        response = submit(client, reset_link_for(client, "rosa@example.org"),
                          {"password": common, "confirm": common})  # fmt: skip
    assert response.status_code == 200
    assert "That password is one of the most common ones" in unescape(response.text)
    assert "Please choose another" in response.text
    assert f'value="{common}"' not in response.text, "passwords are never echoed back"
    assert db.session.scalar(select(User).where(User.username == "maya")) is None
    rosa = db.session.scalar(select(User).where(User.username == "rosa"))
    assert rosa is None or rosa.check_password(PASSWORD)


def test_the_list_is_long_and_asks_for_no_symbols_or_digits(ctx):
    assert len(accounts._common_passwords()) >= 10_000
    assert accounts.password_problem("correct horse battery staple") is None
    assert accounts.password_problem("lowercase words only") is None
    assert "at least 8" in accounts.password_problem("bluesky")
    assert accounts.password_problem("x" * 128) is None


def test_an_operator_cannot_create_an_account_with_a_common_password(runner, ctx):
    result = runner.invoke(
        args=["users", "create", "maya", "--email", "m@example.org", "--password", "iloveyou"]
    )
    assert result.exit_code != 0
    assert "most common" in result.output
    assert db.session.scalar(select(User).where(User.username == "maya")) is None


# Hashes


def test_an_old_hash_is_redone_with_the_current_method_when_the_member_logs_in(client, make):
    rosa = make.member("rosa")
    rosa.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")
    db.session.commit()

    submit(client, "/login", {"username": "rosa", "password": "not it at all"})
    assert db.session.get(User, rosa.id).password_hash.startswith("pbkdf2:")

    log_in(client, rosa)
    upgraded = db.session.get(User, rosa.id).password_hash
    assert upgraded.startswith("scrypt:") and PASSWORD not in upgraded
    log_out(client)
    log_in(client, rosa)
    assert db.session.get(User, rosa.id).password_hash == upgraded, "a current hash stays"


# Sessions


def test_log_out_everywhere_else_ends_other_sessions_and_remembered_devices(app, client, make):
    rosa = make.member("rosa")
    log_in(client, rosa)
    phone = app.test_client()
    submit(phone, "/login", {"username": "rosa", "password": PASSWORD, "remember": "y"})
    tablet = app.test_client()
    log_in(tablet, rosa)
    phone.delete_cookie("session")
    assert "Log out" in phone.get("/").text, "the remember-me cookie logs the phone back in"

    assert "Log out everywhere else" in client.get("/settings").text
    assert client.get("/settings/sessions").status_code == 405
    assert client.post("/settings/sessions").status_code == 400
    assert "Log out" in tablet.get("/").text
    response = submit(client, "/settings/sessions", follow=True)
    assert "logged out on every other device" in response.text

    assert "Log out" in client.get("/").text, "this device stays logged in"
    assert "Log out" not in tablet.get("/").text
    phone.delete_cookie("session")
    assert "Log out" not in phone.get("/").text, "the remember-me cookie no longer works"


def test_a_password_change_ends_remembered_devices_and_keeps_this_one_remembered(app, make):
    rosa = make.member("rosa")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        submit(device, "/login", {"username": "rosa", "password": PASSWORD, "remember": "y"})
    new = "a new long passphrase"
    submit(laptop, "/settings/password", {"current": PASSWORD, "new": new, "confirm": new})

    phone.delete_cookie("session")
    assert "Log out" not in phone.get("/").text
    laptop.delete_cookie("session")
    assert "Log out" in laptop.get("/").text, "the laptop's own remember-me cookie still works"
    assert db.session.get(User, rosa.id).check_password(new)


def cookie_attributes(response) -> dict[str, set[str]]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = {part.split("=")[0] if part.startswith(("Expires", "Max-Age", "Path"))
                         else part for part in rest.split("; ")[1:]}  # fmt: skip
    return cookies


def test_cookies_are_http_only_and_same_site_lax(client, make):
    make.member("rosa")
    response = submit(client, "/login", {"username": "rosa", "password": PASSWORD, "remember": "y"})
    cookies = cookie_attributes(response)
    for name in ("session", "remember_token"):
        assert {"HttpOnly", "SameSite=Lax"} <= cookies[name]
        assert "Secure" not in cookies[name], "plain HTTP until HARBOR_SECURE_COOKIES is set"


def test_cookies_are_secure_when_harbor_secure_cookies_is_set(build_app, make):
    app = build_app(**config.settings_from_environment({"HARBOR_SECURE_COOKIES": "1"}))
    make.member("rosa")
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"',
                      client.get("/login", base_url="https://localhost").text)[1]  # fmt: skip
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "rosa", "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    cookies = cookie_attributes(response)
    for name in ("session", "remember_token"):
        assert {"Secure", "HttpOnly", "SameSite=Lax"} <= cookies[name]


def test_password_fields_are_never_written_back_when_a_form_has_expired(client, make):
    log_in(client, make.member("rosa"))
    response = client.post(
        "/settings/password",
        data={"current": "my old secret", "new": "my new secret", "confirm": "my new secret"},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 400 and "Please press send again" in response.text
    assert "secret" not in response.text


# Nothing tells a stranger who is a member


@pytest.fixture
def hashes(monkeypatch):
    """Counts the slow password hashes computed, the work a stranger could time."""
    counted = []
    scrypt = hashlib.scrypt

    def counting(*args, **kwargs):
        counted.append(1)
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return counted


def test_logging_in_takes_the_same_work_whether_or_not_the_account_exists(client, make, hashes):
    make.member("rosa", email="rosa@example.org")
    accounts.system_account()
    db.session.commit()
    for login in ("rosa", "rosa@example.org", "nobody-here", "nobody@example.org", "harbor"):
        hashes.clear()
        response = submit(client, "/login", {"username": login, "password": "not it at all"})
        assert "don't match our records" in unescape(response.text)
        assert len(hashes) == 1, login


def test_joining_takes_the_same_work_with_a_members_address_or_a_new_one(client, make, hashes):
    make.member("rosa", email="rosa@example.org")
    work = []
    for username, address in (("maya", "maya@example.org"), ("stranger", "rosa@example.org")):
        hashes.clear()
        fields = {"username": username, "email": address, "password": PASSWORD}
        response = submit(client, "/register", {**fields, "confirm": PASSWORD})
        assert response.status_code == 302
        work.append(len(hashes))
        log_out(client)
    assert work == [1, 1]
