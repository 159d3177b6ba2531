"""What strangers and odd input can do to the forum: they get ordinary pages, never a 500.

Forged form posts, cut-and-paste oddities, made-up ids and query strings, invisible
"text", and the safety of the files and cookies the site keeps.
"""

import stat
from html import unescape

import pytest
from sqlalchemy import select

from forum import create_app
from forum.dialects import is_sqlite_url
from forum.extensions import db
from forum.models import Post, Thread, User

from .factories import count, csrf_token, example_paths, log_in, submit

HUGE_ID = 99999999999999999999
LOGIN_FAILED = "don't match our records"


# A form that fails its token check: the member's own words back, a stranger's never.


LONG_REPLY = "I read your post three times before I could answer it. " * 30


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost"},
        {"Referer": "http://localhost/t/1/starting-a-new-treatment"},
        {},  # some browsers send neither
    ],
)
def test_a_member_whose_form_expired_gets_their_words_back(client, make, rosa, headers):
    thread = make.thread()
    response = client.post(
        f"/t/{thread.id}/reply",
        data={"csrf_token": "expired", "body": LONG_REPLY},
        headers=headers,
    )
    assert response.status_code == 400
    assert "press send again" in response.text
    assert LONG_REPLY.strip() in unescape(response.text)
    assert count(Post) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/harbor.html"},
        {"Referer": "http://localhost.evil.example/"},
    ],
)
def test_a_form_posted_from_another_site_is_refused_without_echoing_it(client, make, rosa, headers):
    thread = make.thread()
    spam = "Buy miracle cures at evil.example"
    response = client.post(
        f"/t/{thread.id}/reply",
        data={"csrf_token": "forged", "body": spam, "title": "Forged"},
        headers=headers,
    )
    assert response.status_code == 400
    assert "couldn't accept that form" in unescape(response.text)
    assert spam not in unescape(response.text)
    assert "Send again" not in response.text
    assert count(Post) == 1


def test_a_cookieless_post_from_another_site_gets_no_session_and_no_echo(app, make):
    thread = make.thread()
    stranger = app.test_client()
    response = stranger.post(
        f"/t/{thread.id}/reply",
        data={"body": "Click here, then press the button"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    assert "Click here" not in response.text
    assert 'name="csrf_token"' not in response.text
    assert response.headers.getlist("Set-Cookie") == []


def test_a_form_without_our_session_cookie_is_refused_even_from_this_site(app, make):
    thread = make.thread()
    response = app.test_client().post(
        f"/t/{thread.id}/reply", data={"body": "Hello"}, headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 400
    assert "Hello" not in response.text.split('<main id="main"', 1)[1]


# Cookies, the instance folder and where it is.


@pytest.mark.parametrize(("setting", "secure"), [("1", True), ("on", True), ("0", False)])
def test_secure_cookies_cover_the_remember_me_cookie(tmp_path, monkeypatch, setting, secure):
    monkeypatch.setenv("HARBOR_SECURE_COOKIES", setting)
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure


def test_a_new_instance_folder_for_sqlite_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'harbor.db'}"
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600


def test_a_relative_instance_path_is_taken_from_where_harbor_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARBOR_INSTANCE_PATH", "harbor-instance")
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.instance_path == str(tmp_path / "harbor-instance")
    assert stat.S_IMODE((tmp_path / "harbor-instance").stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("url", "is_sqlite"),
    [
        ("sqlite://", True),
        ("sqlite:////srv/harbor/harbor.db", True),
        ("sqlite+pysqlite:///harbor.db", True),
        ("postgresql+psycopg://harbor:secret@127.0.0.1/harbor", False),
        ("postgresql://localhost/sqlite", False),
    ],
)
def test_sqlite_urls_are_told_apart_from_others(url, is_sqlite):
    assert is_sqlite_url(url) is is_sqlite


# Links people edit by hand.


@pytest.mark.parametrize(
    "query", ["slug=x", "thread_id=5", "_external=1", "_method=POST", "endpoint=x",
              "_scheme=https", "_anchor=x", "page=abc"],
)  # fmt: skip
def test_a_thread_link_with_odd_arguments_goes_to_the_thread_itself(client, make, query):
    thread = make.thread(title="Starting a new treatment")
    response = client.get(f"/t/{thread.id}?{query}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{thread.id}/starting-a-new-treatment"
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_thread_link_keeps_its_page_number(client, make):
    thread = make.thread(title="Starting a new treatment")
    response = client.get(f"/t/{thread.id}/old-title?page=1&slug=x")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{thread.id}/starting-a-new-treatment?page=1"
    assert client.get(f"/t/{thread.id}?page=7").status_code == 301
    assert client.get(f"/t/{thread.id}/starting-a-new-treatment?page=7").status_code == 404


def test_ids_too_large_for_the_database_are_simply_not_found(app, client, make):
    """Walk every route with a numeric id, giving it one no database column can hold."""
    board = make.board("treatments")
    make.thread(board=board)
    log_in(client, make.admin())
    values = {"slug": board.slug, "thread_id": HUGE_ID, "post_id": HUGE_ID,
              "case_id": HUGE_ID, "word_id": HUGE_ID, "notification_id": HUGE_ID,
              "conversation_id": HUGE_ID, "message_id": HUGE_ID, "username": "rosa",
              "token": "x"}  # fmt: skip
    checked = []
    for rule, path in example_paths(app, values):
        if not any(name.endswith("_id") for name in rule.arguments):
            continue
        if "GET" in rule.methods:
            assert client.get(path).status_code == 404, path
        if "POST" in rule.methods:
            # Werkzeug may answer 405 when a GET-only rule of the same shape also matched.
            response = submit(client, path, {"body": "x", "title": "x"})
            assert response.status_code in (404, 405), path
        checked.append(path)
    assert len(checked) >= 15
    for path in (f"/t/{2**31}", f"/p/{2**31}", "/t/0", "/p/0"):
        assert client.get(path).status_code == 404, path


# NUL characters: PostgreSQL refuses them, so they must never reach a query.


@pytest.fixture
def nul_queries(count_statements):
    """Use as ``with nul_queries() as sent: ...``; then ``sent`` lists statements with NUL."""
    from contextlib import contextmanager

    @contextmanager
    def watching():
        sent = []
        with count_statements() as counted:
            yield sent
        for statement, parameters in zip(counted.statements, counted.parameters, strict=True):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            if any(isinstance(value, str) and "\x00" in value for value in values):
                sent.append(statement)

    return watching


@pytest.mark.parametrize(
    ("path", "status"),
    [("/u/%00x", 404), ("/u/rosa%00", 404), ("/b/%00", 404), ("/b/%00/new", 404),
     ("/mod/u/%00x", 404), ("/search?q=%00", 200)],
)  # fmt: skip
def test_a_nul_in_a_link_is_an_ordinary_page(client, make, nul_queries, path, status):
    make.board("treatments")
    log_in(client, make.moderator("rosa"))
    with nul_queries() as sent:
        response = client.get(path)
    assert response.status_code == status
    assert sent == []


@pytest.mark.parametrize(
    ("login", "message"),
    [("\x00", "Please enter your username or email address."),
     ("rosa\x00", LOGIN_FAILED),
     ("x\x00@example.org", LOGIN_FAILED),
     ("rosa\x00@example.org", LOGIN_FAILED)],
)  # fmt: skip
def test_a_nul_in_a_login_is_an_ordinary_refusal(client, make, nul_queries, login, message):
    make.member("rosa", email="rosa@example.org")
    with nul_queries() as sent:
        response = submit(client, "/login", {"username": login, "password": "a calm harbour"})
    assert response.status_code == 200
    assert message in unescape(response.text)
    assert sent == []


def test_the_cli_finds_no_member_with_a_nul_in_their_name(runner, make, nul_queries):
    make.member("rosa")
    with nul_queries() as sent:
        result = runner.invoke(args=["users", "set-role", "rosa\x00", "admin"])
    assert result.exit_code != 0 and "There is no member" in result.output
    assert sent == []


# Posts and titles that would show nothing.


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("\u3164", "Hello", "Please give your thread a title."),  # Hangul filler
        ("\u2800\u2800", "Hello", "Please give your thread a title."),  # braille blank
        ("\u115f\u1160 \uffa0", "Hello", "Please give your thread a title."),
        ("\u00ad\u2028", "Hello", "Please give your thread a title."),  # soft hyphen, line sep.
        ("Hello", "\u3164", "Please write something before sending."),
        ("Hello", "\u2800\n\n\u2800", "Please write something before sending."),
        ("Hello", "&nbsp;", "Please write something before sending."),
        ("Hello", "&nbsp; &#x3164;", "Please write something before sending."),
        ("Hello", "[x]: http://a", "Please write something before sending."),
        ("Hello", "> \n\n---", "Please write something before sending."),
    ],
)
def test_a_thread_that_would_show_nothing_is_refused(client, make, rosa, title, body, message):
    board = make.board("treatments")
    response = submit(client, f"/b/{board.slug}/new", {"title": title, "body": body})
    assert response.status_code == 200
    text = unescape(response.text)
    assert message in text
    assert text.count(message) == 1, "said once, not once per rule"
    assert count(Thread) == 0 and count(Post) == 0


@pytest.mark.parametrize(
    "body",
    ["\u3164Hello", "See [the trial][x].\n\n[x]: http://a", "&amp;nbsp;", "a &lt; b", "\u2800 ok"],
)
def test_a_post_with_something_to_read_is_accepted(client, make, rosa, body):
    board = make.board("treatments")
    response = submit(client, f"/b/{board.slug}/new", {"title": "Hello", "body": body})
    assert response.status_code == 302
    assert count(Post) == 1


# Passwords are any characters, spaces included.


@pytest.mark.parametrize("password", [" " * 8, "correct horse " * 14 + "batt"])
def test_any_password_of_the_right_length_can_join_and_log_in(client, password):
    assert len(password) in (8, 200)
    joined = submit(client, "/register", {"username": "maya", "email": "maya@example.org",
                                          "password": password, "confirm": password})  # fmt: skip
    assert joined.status_code == 302, unescape(joined.text)
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    wrong = submit(client, "/login", {"username": "maya", "password": password[:-1]})
    assert LOGIN_FAILED in unescape(wrong.text)
    assert submit(client, "/login", {"username": "maya", "password": password}).status_code == 302


def test_an_empty_password_is_still_asked_for(client, make):
    make.member("rosa")
    response = submit(client, "/login", {"username": "rosa", "password": ""})
    assert "Please enter your password." in unescape(response.text)
    joining = submit(client, "/register", {"username": "maya", "email": "maya@example.org",
                                           "password": "", "confirm": ""})  # fmt: skip
    assert "Please choose a password." in unescape(joining.text)
    assert count(User) == 1


# The command line tells an operator what the web form keeps quiet.


def test_the_cli_refuses_an_email_that_belongs_to_someone_else(runner, make):
    make.member("rosa", email="rosa@example.org")
    result = runner.invoke(
        args=["users", "create", "ana", "--email", " ROSA@example.org", "--password", "long enough"]
    )
    assert result.exit_code != 0
    assert "belongs to another account" in result.output
    assert db.session.scalar(select(User).where(User.username == "ana")) is None
