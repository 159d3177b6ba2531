"""Harbor served by gunicorn on a free port with a fresh SQLite database, for the browser.

Used by the browser tests' fixtures and by ``make screenshots``: ``cast.py`` migrates, seeds
and adds the members; then gunicorn serves until the context ends.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
START_TIMEOUT_S = 30


@dataclass
class LiveHarbor:
    url: str
    cast: dict
    log: Path

    def path(self, path: str) -> str:
        return self.url + path


def server_environment(folder: Path) -> dict:
    """Only what this server needs: the suite's own DATABASE_URL (PostgreSQL, say) must not
    leak in, since that database is being emptied by the other tests."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith(("HARBOR_", "MAIL_")) or name in {"DATABASE_URL", "SECRET_KEY"})
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{folder / 'harbor.db'}",
        SECRET_KEY="only-for-the-browser-tests",
        HARBOR_INSTANCE_PATH=str(folder / "instance"),
        # Journeys sign up and post faster than any person would.
        RATELIMIT_ENABLED="0",
        PYTHONPATH=str(ROOT),
    )
    return environment


def prepare_database(environment: dict) -> dict:
    """Migrate, seed, and add the cast; returns what cast.py made (names and ids)."""
    made = subprocess.run(
        [str(BIN / "python"), "-m", "tests.browser.cast"],
        cwd=ROOT, env=environment, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(made.stdout)


@contextmanager
def running_harbor(folder: Path) -> Iterator[LiveHarbor]:
    folder.mkdir(parents=True, exist_ok=True)
    environment = server_environment(folder)
    cast = prepare_database(environment)
    log = folder / "gunicorn.log"
    with open(log, "w") as log_file:
        # Port 0: the system picks a free port, and gunicorn says which in its log.
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", "127.0.0.1:0", "wsgi:app"],
            cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = _wait_until_serving(server, log)
        yield LiveHarbor(url=url, cast=cast, log=log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_serving(server: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start:\n{log.read_text()}")
        found = LISTENING.search(log.read_text())
        if found and _answers(found.group(1) + "/healthz"):
            return found.group(1)
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start in {START_TIMEOUT_S}s:\n{log.read_text()}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
