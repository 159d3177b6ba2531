"""Harbor served by real gunicorn workers, and members who use it over real HTTP.

For the tests about what separate processes do to each other: writers at the same moment,
and workers killed mid-request. The site uses the test suite's own database, so what it
writes can be checked with the usual session, and the suite empties it afterwards.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from .factories import OPEN_GATES, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_POST_ANCHOR = re.compile(r"#p(\d+)$")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def harbor_environment(database_url: str, instance_path: Path) -> dict:
    """What a Harbor process here is started with: this database, no limits on scripted load,
    and the posting gates open, as in the suite's own app (tests/conftest.py)."""
    environment = {name: value for name, value in os.environ.items() if name != "MAIL_URL"}
    environment.update(
        DATABASE_URL=database_url,
        SECRET_KEY="only-for-the-test-suite",
        HARBOR_INSTANCE_PATH=str(instance_path),
        RATELIMIT_ENABLED="0",
        **{f"HARBOR_{name}": str(value) for name, value in OPEN_GATES.items()},
    )
    return environment


def run_flask(environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi ARGUMENTS`` as an operator would run it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Site:
    """``gunicorn --workers N wsgi:app`` on a free port of 127.0.0.1, in its own process group."""

    def __init__(self, environment: dict, log_path: Path, workers: int):
        self.environment = environment
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self, timeout: float = 90) -> "Site":
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=self.environment, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        log.close()
        self._wait_until_every_worker_answers(timeout)
        return self

    def _wait_until_every_worker_answers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited early:\n{self.log()}")
            if len(self.worker_pids()) == self.workers and self._healthy():
                return
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start in {timeout} s:\n{self.log()}")

    def _healthy(self) -> bool:
        try:
            return Visitor(self.address).get("/healthz").status == 200
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def kill_workers(self) -> list[int]:
        """SIGKILL every worker, as the kernel's OOM killer would; the master starts others."""
        killed = self.worker_pids()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def kill_everything(self) -> None:
        """SIGKILL the master and its workers together, as a power cut would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_everything()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    @property
    def post_id(self) -> int | None:
        """The id of the post a successful reply or new thread redirects to."""
        match = _POST_ANCHOR.search(self.headers.get("location", ""))
        return int(match.group(1)) if match else None


@dataclass
class Visitor:
    """One browser: its own cookies, a new connection for each request, no redirects."""

    address: tuple[str, int]
    cookies: dict = field(default_factory=dict)
    token: str = ""

    def get(self, path: str) -> Response:
        return self._request("GET", path)

    def submit(self, path: str, data: dict) -> Response:
        body = urlencode({"csrf_token": self.token, **data})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._request("POST", path, body, headers)

    def log_in(self, username: str, password: str = PASSWORD) -> "Visitor":
        self.token = self._token_from("/login")
        response = self.submit("/login", {"username": username, "password": password})
        assert response.status == 302, f"logging in as {username} failed: {response.status}"
        # The form token belongs to the session, which logging in renews.
        self.token = self._token_from("/")
        return self

    def reply(self, thread_id: int, body: str) -> Response:
        return self.submit(f"/t/{thread_id}/reply", {"body": body})

    def _token_from(self, path: str) -> str:
        match = _CSRF.search(self.get(path).text)
        assert match, f"no form token on {path}"
        return match.group(1)

    def _request(self, method, path, body=None, headers=None) -> Response:
        connection = http.client.HTTPConnection(*self.address, timeout=120)
        try:
            headers = dict(headers or {})
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", errors="replace")
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:  # cleared, as when a session ends
                        self.cookies.pop(name, None)
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, text)
        finally:
            connection.close()
