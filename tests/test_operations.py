"""Running Harbor: security headers on every response, a health check, and a request log
that records what happened without recording who."""

import logging
from pathlib import Path

from forum import create_app

from .factories import PASSWORD, csrf_token, log_in, submit

# What deploy/nginx-harbor.conf sends with every request it passes on over plain HTTP.
FROM_NGINX = {
    "HTTP_X_FORWARDED_FOR": "198.51.100.7",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "forum.example.org",
    "HTTP_X_FORWARDED_PORT": "443",
}

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "forum" / "static"


def test_every_page_carries_a_strict_content_security_policy_and_friends(client, make):
    thread = make.thread()
    for path in ("/", f"/t/{thread.id}", "/login", "/search?q=scan", "/no-such-page"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_https_responses_ask_browsers_to_stay_on_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_templates_have_no_inline_styles_or_event_handlers_the_policy_would_block():
    for template in TEMPLATES.rglob("*.html"):
        if template.parent.name == "email":  # mail programs, not browsers, read these
            continue
        source = template.read_text()
        assert " style=" not in source, template
        for handler in ("onclick=", "onload=", "onsubmit=", "onerror=", "onchange="):
            assert handler not in source, (template, handler)


def test_behind_nginx_a_form_sent_over_https_passes_the_same_origin_check(build_app, make):
    rosa = make.member("rosa")
    app = build_app(PROXY_COUNT=1, SESSION_COOKIE_SECURE=True)
    browser = app.test_client()
    browser.environ_base.update(FROM_NGINX)
    token = csrf_token(browser)
    form = {"csrf_token": token, "username": rosa.username, "password": PASSWORD}

    # Over HTTPS the form token alone is not enough: the Referer must be our own site.
    assert browser.post("/login", data=form).status_code == 400
    response = browser.post(
        "/login", data=form, headers={"Referer": "https://forum.example.org/login"}
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_health_check_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_the_health_check_says_503_when_the_database_is_unreachable(tmp_path):
    unreachable = f"sqlite:///{tmp_path}/missing/dir/harbor.db"
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": unreachable}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_each_request_is_logged_once_without_personal_data(client, make, caplog):
    thread = make.thread()
    caplog.set_level(logging.INFO, logger="harbor.requests")
    client.get(f"/t/{thread.id}")
    client.get("/u/rosa")
    client.get("/search?q=my+scan+results")
    client.get("/reset/SECRET-TOKEN-FROM-AN-EMAIL")
    submit(client, "/login", {"username": "rosa@example.org", "password": "wrong"})
    lines = [r.getMessage() for r in caplog.records if r.name == "harbor.requests"]
    assert f"GET /t/{thread.id} 301" in lines[0] and lines[0].endswith("ms")
    assert lines[1].startswith("GET /u/<username> 404")
    assert lines[2].startswith("GET /search 200")
    assert lines[3].startswith("GET /reset/<token> 400")
    logged = "\n".join(lines)
    for private in ("rosa", "scan", "SECRET-TOKEN", "127.0.0.1", "example.org"):
        assert private not in logged


def test_members_pages_are_never_stored_by_the_browser_cache(client, rosa):
    for path in ("/messages", "/settings", "/notifications", "/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_a_visitor_asking_again_for_an_unchanged_page_gets_304(client, make):
    thread = make.thread(title="Scan day", body="Waiting for results.")
    path = f"/t/{thread.id}/{thread.slug}"
    first = client.get(path)
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and "Cookie" in first.headers["Vary"]

    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""

    make.reply(thread, body="Thinking of you today.")
    changed = client.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and "Thinking of you today" in changed.text
    assert changed.headers["ETag"] != tag


def test_members_pages_carry_no_etag(client, make):
    thread = make.thread()
    log_in(client, make.member())
    response = client.get(f"/t/{thread.id}/{thread.slug}")
    assert "ETag" not in response.headers and response.headers["Cache-Control"] == "no-store"


def test_an_unexpected_error_is_logged_with_its_traceback_and_the_words_come_back(
    client, make, caplog, monkeypatch
):
    from sqlalchemy import text

    from forum.extensions import db
    from forum.services import posting

    thread = make.thread()
    log_in(client, make.member("rosa"))

    def broken(_source, _members):
        # A failed statement: on PostgreSQL the transaction then refuses every other one,
        # including what the error page itself needs to read.
        db.session.execute(text("SELECT no_such_column FROM posts"))

    monkeypatch.setattr(posting, "render_markdown", broken)
    caplog.set_level(logging.INFO, logger="forum.errors")
    response = submit(client, f"/t/{thread.id}/reply", {"body": "My scan was clear today"})

    assert response.status_code == 500
    page = response.text
    assert "Something went wrong on our side" in page
    assert 'class="site-header"' in page and ">rosa</a>" in page  # the site's own layout
    assert ">My scan was clear today</textarea>" in page
    [record] = [r for r in caplog.records if r.name == "forum.errors"]
    assert record.getMessage() == f"Unhandled error on POST /t/{thread.id}/reply"
    traceback = logging.Formatter().formatException(record.exc_info)
    assert traceback.startswith("Traceback") and "no_such_column" in traceback
    assert "scan was clear" not in caplog.text and "rosa" not in caplog.text
    assert db.session.get(type(thread), thread.id).post_count == 1
