"""Smoke check of Harbor on several servers: two instances, one PostgreSQL, one Redis.

    .venv/bin/python .ci/scaleout_smoke.py http://127.0.0.1:8001 http://127.0.0.1:8002 \
        --mail-dir /tmp/harbor-scaleout/mail

A member joins on A, confirms their address from the email on B, logs in on B and starts a
thread there, and everyone sees it on both. Then failed logins to one account, alternating
between A and B, meet the per-account limit after exactly as many tries as on one server:
the count lives in the shared store, not in any one worker. `.ci/scaleout.sh` starts the
servers and runs this; it expects HARBOR_FIRST_POSTS_HELD=0 (so a new member's thread is
public at once) and rate limits on. Exits 0 when every check passes, 1 otherwise.
"""

import argparse
import email
import email.policy
import html
import http.cookiejar
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import redis
from limits import parse_many

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from forum.limits import LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TIMEOUT = 15


class Failed(Exception):
    """A check that did not hold."""


@dataclass
class Answer:
    status: int
    page: str
    headers: dict
    url: str


class Browser:
    """One person's browser: their own cookies, following redirects like a browser does."""

    def __init__(self, name: str):
        self.name = name
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, url: str) -> Answer:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict, headers: dict | None = None) -> Answer:
        """Send a form the way the page offers it: with the CSRF token from its GET."""
        form = self.get(url)
        if form.status != 200:
            raise Failed(f"{self.name}: GET {url} answered {form.status} before the form was sent")
        token = CSRF_FIELD.search(form.page)
        if token is None:
            raise Failed(f"{self.name}: no form token on {url}")
        body = urllib.parse.urlencode({"csrf_token": html.unescape(token[1]), **fields})
        request = urllib.request.Request(url, data=body.encode(), headers=headers or {})
        return self._open(request)

    def _open(self, request) -> Answer:
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Answer(
                    response.status, response.read().decode(), dict(response.headers), response.url
                )
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.read().decode(), dict(error.headers), error.url)


class Smoke:
    def __init__(self, a: str, b: str, mail_dir: Path | None):
        self.a, self.b, self.mail_dir = a.rstrip("/"), b.rstrip("/"), mail_dir
        self.passed = 0
        suffix = secrets.token_hex(4)
        self.username = f"smoke_{suffix}"
        self.address = f"smoke-{suffix}@example.org"
        self.password = f"harbor smoke {secrets.token_hex(8)}"
        self.title = f"Scale-out smoke thread {suffix}"
        # Every login form sent for the account counts towards its limit, right or wrong.
        self.logins_sent = 0

    def check(self, holds: bool, what: str, detail: str = "") -> None:
        if not holds:
            raise Failed(f"{what}{': ' + detail if detail else ''}")
        self.passed += 1
        print(f"  ok   {what}")

    def run(self) -> None:
        self.both_answer_health_checks()
        joined = self.join_on_a()
        self.session_from_a_is_known_on_b(joined)
        self.confirm_address_on_b()
        member = self.log_in_on_b()
        self.visitors_read_the_board_on_both()
        thread_url = self.start_thread_on_b(member)
        self.everyone_sees_the_thread_on_both(thread_url)
        self.visitors_pages_are_kept_in_redis()
        self.login_limit_is_shared()

    def both_answer_health_checks(self, wait_seconds: float = 60) -> None:
        for base in (self.a, self.b):
            deadline = time.monotonic() + wait_seconds
            status = None
            while time.monotonic() < deadline:
                try:
                    status = Browser("monitor").get(f"{base}/healthz").status
                except OSError:
                    status = None
                if status == 200:
                    break
                time.sleep(0.5)
            self.check(status == 200, f"{base}/healthz answers 200", f"last answer {status}")

    def join_on_a(self) -> Browser:
        newcomer = Browser("newcomer on A")
        answer = newcomer.post(
            f"{self.a}/register",
            {
                "username": self.username,
                "email": self.address,
                "password": self.password,
                "confirm": self.password,
            },
        )
        self.check(
            answer.status == 200 and "Welcome to Harbor" in answer.page,
            f"{self.username} joins on A",
            f"status {answer.status}",
        )
        return newcomer

    def session_from_a_is_known_on_b(self, newcomer: Browser) -> None:
        # A load balancer sends the next request anywhere: the cookie A signed must do on B.
        answer = newcomer.get(f"{self.b}/settings")
        self.check(
            answer.status == 200
            and answer.url.endswith("/settings")
            and self.username in answer.page,
            "the session made on A is honoured on B (one SECRET_KEY)",
            f"status {answer.status} at {answer.url}",
        )

    def confirm_address_on_b(self, wait_seconds: float = 30) -> None:
        if self.mail_dir is None:
            print("  skip confirming the address: no --mail-dir given")
            return
        link = self.wait_for_confirmation_link(wait_seconds)
        self.check(link is not None, "the mail worker wrote the confirmation email")
        path = urllib.parse.urlsplit(link).path
        answer = Browser("newcomer's email client").post(f"{self.b}{path}", {})
        self.check(
            answer.status == 200 and f"{self.address} is confirmed" in answer.page,
            "the link made on A confirms the address on B",
            f"status {answer.status}",
        )

    def wait_for_confirmation_link(self, wait_seconds: float) -> str | None:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            for path in sorted(self.mail_dir.glob("*confirm-email.eml")):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if message["To"] == self.address:
                    text = message.get_body(("plain",)).get_content()
                    found = re.search(r"https?://\S+/confirm/\S+", text)
                    if found:
                        return found[0]
            time.sleep(0.5)
        return None

    def log_in_on_b(self) -> Browser:
        member = Browser("member on B")
        answer = member.post(
            f"{self.b}/login", {"username": self.username, "password": self.password}
        )
        self.logins_sent += 1
        self.check(
            answer.status == 200 and f"Welcome back, {self.username}" in answer.page,
            "the member made on A logs in on B",
            f"status {answer.status}",
        )
        return member

    def start_thread_on_b(self, member: Browser) -> str:
        answer = member.post(
            f"{self.b}/b/welcome/new",
            {
                "title": self.title,
                "body": "Hello from the second server. Does everyone see this?",
                "content_note_choice": "",
            },
        )
        path = urllib.parse.urlsplit(answer.url).path
        self.check(
            answer.status == 200 and "Your thread is up" in answer.page and "/t/" in path,
            "the member starts a thread on B",
            f"status {answer.status} at {answer.url}",
        )
        return path

    def everyone_sees_the_thread_on_both(self, thread_path: str) -> None:
        for name, base in (("A", self.a), ("B", self.b)):
            reader = Browser(f"visitor on {name}")
            board = reader.get(f"{base}/b/welcome")
            thread = reader.get(f"{base}{thread_path}")
            self.check(
                self.title in board.page
                and thread.status == 200
                and "second server" in thread.page,
                f"a visitor sees the thread on {name}, on the board and on its page",
                f"board {board.status}, thread {thread.status}",
            )

    def visitors_read_the_board_on_both(self) -> None:
        """Before the thread exists: both instances keep the board page for visitors, in
        Redis, so the thread showing up afterwards proves a kept page went stale on both."""
        for name, base in (("A", self.a), ("B", self.b)):
            board = Browser(f"visitor on {name}").get(f"{base}/b/welcome")
            self.check(
                board.status == 200 and self.title not in board.page,
                f"a visitor reads the board on {name} before the thread",
                f"status {board.status}",
            )

    def visitors_pages_are_kept_in_redis(self) -> None:
        url = os.environ.get("HARBOR_CACHE_URL", "")
        kept = redis.Redis.from_url(url).keys("harbor-page-*") if url else []
        self.check(
            bool(kept),
            "visitors' pages are kept in the shared Redis",
            f"{len(kept)} kept pages at {url.split('@')[-1] or '(no HARBOR_CACHE_URL)'}",
        )

    def login_limit_is_shared(self) -> None:
        """Wrong passwords for one account, alternating A, B, A, ...: the limit must arrive
        after exactly as many tries as on a single server, the login on B included. With
        counts kept in each worker (four here), it would take up to four times as many.
        Each limit's window starts at its first count (the login on B, seconds ago)."""
        allowed = min(limit.amount for limit in parse_many(LOGIN_PER_ACCOUNT))
        left = allowed - self.logins_sent
        per_address = min(limit.amount for limit in parse_many(LOGIN_PER_ADDRESS))
        # Each try comes from another address (through X-Forwarded-For, which the servers
        # believe with HARBOR_PROXY_COUNT=1), so only the account's own count can stop them.
        guesser = Browser("guesser")
        tries = 0
        answer = None
        while tries < 4 * allowed + per_address:
            base = (self.a, self.b)[tries % 2]
            tries += 1
            forwarded = {"X-Forwarded-For": f"198.51.100.{tries}"}
            answer = guesser.post(
                f"{base}/login",
                {"username": self.username, "password": "not the password"},
                headers=forwarded,
            )
            if answer.status == 429:
                break
            if answer.status != 200 or "match our records" not in answer.page:
                raise Failed(f"try {tries}: expected 'don't match', got status {answer.status}")
        self.check(
            answer.status == 429 and tries == left + 1,
            f"wrong passwords alternating A and B are refused after {left} tries: with the "
            f"login on B that makes {allowed} ({LOGIN_PER_ACCOUNT}), so the count is shared",
            f"the refusal came at try {tries} (status {answer.status})",
        )
        self.check(
            "Retry-After" in answer.headers and "paused" in answer.page,
            "the refusal is the calm page with Retry-After",
        )
        answer = Browser("member on A").post(
            f"{self.a}/login",
            {"username": self.username, "password": self.password},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        self.check(
            answer.status == 429,
            "the right password on A waits too, from another address",
            f"status {answer.status}",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="base URL of instance A, e.g. http://127.0.0.1:8001")
    parser.add_argument("b", help="base URL of instance B")
    parser.add_argument("--mail-dir", type=Path, help="where the mail worker writes .eml files")
    options = parser.parse_args()
    smoke = Smoke(options.a, options.b, options.mail_dir)
    print(f"Scale-out smoke: A={smoke.a} B={smoke.b}")
    try:
        smoke.run()
    except (Failed, OSError) as problem:
        print(f"  FAIL {problem}")
        print(f"smoke: {smoke.passed} passed, 1 failed")
        return 1
    print(f"smoke: {smoke.passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
