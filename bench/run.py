"""`make bench`: Harbor's pages under gunicorn and wrk, beside a bare Flask baseline.

For each size (40,000 and 1,000,000 posts by default) it makes a forum with ``flask fake``
(kept in bench/data/ for next time), starts Harbor under gunicorn with 2 sync workers as
the production docs do, and, in the same run, bench/baseline.py: a minimal Flask app that
serves the same thread's 20 posts from the same file with one query and one template.
Every page is measured with wrk for a visitor and for a logged-in member: requests a
second, p50 and p99 latency, and the server's CPU milliseconds per request. Then an
in-process table (Flask test client: median ms and SQL statements per page), search
(bench/search.py), and the workers' memory. Tables go to the screen and, as Markdown and
JSON, to bench/results/; each target is marked pass or FAIL.

    .venv/bin/python bench/run.py [--sizes 40000 1000000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
BIN = ROOT / ".venv" / "bin"
WORKERS = 2
CONNECTIONS = 4
FAKE_PASSWORD = "fake members' password"  # forum/services/faking.py
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Each target: (what, page measured, compared with, at least this share of its speed).
RATIO_TARGETS = [
    ("thread page, visitor ≥ 0.6× baseline", "thread", "visitor", "baseline", 0.6),
    ("thread page, member ≥ 0.5× baseline", "thread", "member", "baseline", 0.5),
]
FLAT_TARGETS = [  # a later page within 15% of the first
    ("board page 50 within 15% of page 1", "board page 50", "board"),
    ("last page of a 5,000-post thread within 15% of its first", "long thread, last page",
     "long thread, first page"),
]  # fmt: skip
STATEMENT_BUDGETS = {"index": 3, "board": 4, "thread": 5}
MEMORY_LIMIT_MB = 150
SEARCH_TARGET_MS = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40_000, 1_000_000])
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    arguments = parser.parse_args()
    if not _has("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk (make bench does it as root)")
    RESULTS.mkdir(exist_ok=True)
    for posts in arguments.sizes:
        report(posts, measure(database_for(posts), arguments.seconds))


# The forum to measure


def database_for(posts: int) -> Path:
    """A faked forum of this size, made once and kept (it takes minutes at a million)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"harbor-{posts}.db"
    if path.exists():
        # A kept forum from an older Harbor gets the migrations since.
        flask(["db", "upgrade"], path)
        return path
    making = path.with_suffix(".making.db")
    for leftover in DATA.glob(f"{making.name}*"):
        leftover.unlink()
    members, threads = max(200, posts // 50), max(4_000, posts // 20)
    for command in (["db", "upgrade"], ["seed"],
                    ["fake", "--members", str(members), "--threads", str(threads),
                     "--posts", str(posts), "--seed", "1"]):  # fmt: skip
        flask(command, making)
    with sqlite3.connect(making) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    making.rename(path)
    return path


def flask(command: list[str], database: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run([BIN / "flask", "--app", "wsgi", *command], cwd=ROOT, check=True,
                   env=environment)  # fmt: skip


@dataclass(frozen=True)
class Pages:
    paths: dict[str, str]
    baseline_thread: str
    member: str


def pages_of(database: Path) -> Pages:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        one = connection.execute
        board = one("SELECT slug FROM boards ORDER BY thread_count DESC LIMIT 1").fetchone()[0]
        # Threads a visitor may read: in a public board, not hidden.
        readable = ("FROM threads JOIN boards ON boards.id = threads.board_id "
                    "WHERE boards.visibility = 'public' AND threads.state = 'visible'")  # fmt: skip
        thread = one(f"SELECT threads.id, threads.slug {readable} AND threads.post_count >= 20 "
                     "ORDER BY threads.post_count, threads.id LIMIT 1").fetchone()  # fmt: skip
        long_id, long_slug, long_count = one(
            f"SELECT threads.id, threads.slug, threads.post_count {readable} "
            "ORDER BY threads.post_count DESC LIMIT 1"
        ).fetchone()
        author = one("SELECT username FROM users ORDER BY post_count DESC LIMIT 1").fetchone()[0]
        member = one("SELECT username FROM users WHERE email LIKE '%@fake.invalid' "
                     "ORDER BY id LIMIT 1").fetchone()[0]  # fmt: skip
    last_page = -(-long_count // 20)
    return Pages(
        {
            "index": "/",
            "board": f"/b/{board}",
            "board page 50": f"/b/{board}?page=50",
            "thread": f"/t/{thread[0]}/{thread[1]}",
            "long thread, first page": f"/t/{long_id}/{long_slug}",
            "long thread, last page": f"/t/{long_id}/{long_slug}?page={last_page}",
            "profile": f"/u/{author}",
            "search": "/search?q=fatigue",
            # The floor: one SELECT 1 through the whole app, so what a page costs beyond
            # Harbor's fixed cost per request (and a member's login) shows on its own.
            "health check": "/healthz",
        },
        f"/t/{thread[0]}",
        member,
    )


# Measuring


def measure(database: Path, seconds: int) -> dict:
    pages = pages_of(database)
    posts = _count_posts(database)
    print(f"\n== {posts:,} posts: {database}", flush=True)
    results: dict = {"posts": posts, "http": [], "machine": _machine()}
    with serve_baseline(database) as baseline:
        results["baseline"] = wrk(baseline.url + pages.baseline_thread, None, seconds, baseline)
        print(f"baseline thread page: {results['baseline']['rps']:,.0f} requests/s", flush=True)
        with serve_harbor(database) as harbor:
            cookie = log_in(harbor.url, pages.member)
            for name, path in pages.paths.items():
                for who, header in (("visitor", None), ("member", cookie)):
                    row = {"page": name, "who": who, "path": path,
                           **wrk(harbor.url + path, header, seconds, harbor)}  # fmt: skip
                    results["http"].append(row)
                    print(f"{name:26} {who:8} {row['rps']:8,.0f}/s  p50 {row['p50_ms']:6.1f} ms"
                          f"  p99 {row['p99_ms']:6.1f} ms  {row['cpu_ms']:5.2f} CPU ms",
                          flush=True)  # fmt: skip
            results["worker_rss_mb"] = harbor.worker_rss_mb()
    results["in_process"] = in_process(database, pages)
    results["search"] = search_in_process(database)
    return results


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def pids(self) -> list[int]:
        master = self.process.pid
        return [master, *self.workers()]

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime and stime, in ticks
        return total / CLOCK_TICKS

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024)
        return [round(size, 1) for size in sizes]


@contextmanager
def gunicorn(app: str, environment: dict, chdir: Path):
    port = _free_port()
    process = subprocess.Popen(
        [BIN / "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--chdir", str(chdir), "--log-level", "warning", app],
        env={**os.environ, **environment}, cwd=ROOT,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def serve_harbor(database: Path):
    return gunicorn("wsgi:app", {
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-only",
        "RATELIMIT_ENABLED": "0",  # wrk is one client asking thousands of times a second
    }, ROOT)  # fmt: skip


def serve_baseline(database: Path):
    return gunicorn("baseline:app", {"BASELINE_DATABASE": str(database)}, BENCH)


def log_in(base: str, username: str) -> str:
    """A member's session cookie, got through the login form as a browser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
    data = urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": FAKE_PASSWORD}
    ).encode()
    opener.open(base + "/login", data)
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "session" not in cookies or "Log out" not in opener.open(base + "/").read().decode():
        raise RuntimeError(f"could not log in as {username}")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def wrk(url: str, cookie: str | None, seconds: int, server: Server) -> dict:
    _must_answer_200(url, cookie)  # wrk counts redirects as successes
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    base = ["wrk", "-t1", f"-c{CONNECTIONS}", "--latency", *headers, url]
    subprocess.run([*base[:1], "-d2s", *base[1:]], check=True, capture_output=True)  # warm up
    cpu_before = server.cpu_seconds()
    output = subprocess.run(
        [*base[:1], f"-d{seconds}s", *base[1:]], check=True, capture_output=True, text=True
    ).stdout
    cpu = server.cpu_seconds() - cpu_before
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"{url} answered with errors:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output)[1])
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
        "cpu_ms": round(cpu * 1000 / max(requests, 1), 2),
        "requests": requests,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _must_answer_200(url: str, cookie: str | None) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        status = urllib.request.build_opener(_NoRedirects).open(request).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise RuntimeError(f"{url} answered {status}, not 200: nothing to measure")


def in_process(database: Path, pages: Pages) -> list[dict]:
    """Median milliseconds and SQL statements per page through Flask's test client: as
    served again (what is kept reused) and rendered afresh (nothing kept, every time)."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event

    from forum import create_app, page_cache
    from forum.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SECRET_KEY": "bench-only", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})  # fmt: skip
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_):
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK)", statement):  # as the test suite counts
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    rows = []
    for who in ("visitor", "member"):
        client = app.test_client()
        if who == "member":
            client.post("/login", data={"username": pages.member, "password": FAKE_PASSWORD})
        for name, path in pages.paths.items():
            row = {"page": name, "who": who}
            for kept in (True, False):
                timings = []
                for _ in range(21):
                    if not kept:
                        with app.app_context():
                            page_cache.forget_kept_pages()
                    statements.clear()
                    started = time.perf_counter()
                    response = client.get(path)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                median = round(statistics.median(timings[1:]), 2)
                if kept:
                    row.update(median_ms=median, statements=len(statements))
                else:
                    row.update(fresh_ms=median, fresh_statements=len(statements))
            rows.append(row)
    return rows


def search_in_process(database: Path) -> list[dict]:
    label = f"search-sqlite-{database.stem.removeprefix('harbor-')}"
    subprocess.run([BIN / "python", BENCH / "search.py", "--database", f"sqlite:///{database}",
                    "--label", label], check=True, cwd=ROOT, capture_output=True)  # fmt: skip
    return json.loads((RESULTS / f"{label}.json").read_text())["queries"]


# Reporting


def report(posts: int, results: dict) -> None:
    verdicts = targets(results)
    results["targets"] = verdicts
    baseline = results["baseline"]["rps"]
    lines = [
        f"# {posts:,} posts",
        "",
        f"{results['machine']}. gunicorn with {WORKERS} sync workers; wrk with 1 thread and "
        f"{CONNECTIONS} connections. Baseline (bench/baseline.py, one query and a template): "
        f"**{baseline:,.0f} requests/s** for the same 20-post thread.",
        "",
        "| page | who | requests/s | × baseline | p50 ms | p99 ms | CPU ms/request |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {row['page']} | {row['who']} | {row['rps']:,.0f} | {row['rps'] / baseline:.2f} | "
        f"{row['p50_ms']} | {row['p99_ms']} | {row['cpu_ms']} |"
        for row in results["http"]
    ]
    lines += ["", "In process (Flask test client, median of 20): served again, with what is "
              "kept reused, and rendered afresh with nothing kept. A visitor's kept page "
              "also reads the page generation, straight from the driver (not counted here).",
              "", "| page | who | ms | SQL statements | ms afresh | statements afresh |",
              "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    lines += [f"| {r['page']} | {r['who']} | {r['median_ms']} | {r['statements']} | "
              f"{r['fresh_ms']} | {r['fresh_statements']} |"
              for r in results["in_process"]]  # fmt: skip
    lines += ["", "Search in process (bench/search.py):", "",
              "| query | ranked | p50 ms | p95 ms |", "|---|---:|---:|---:|"]  # fmt: skip
    lines += [f"| {q['query']} `{q['text']}` | {q['ranked']} | {q['p50_ms']} | {q['p95_ms']} |"
              for q in results["search"]]  # fmt: skip
    lines += ["", f"Worker memory after the run: {results['worker_rss_mb']} MB RSS.", "",
              "| target | measured | result |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {what} | {measured} | {'pass' if ok else 'FAIL'} |"
              for what, measured, ok in verdicts]  # fmt: skip
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    (RESULTS / f"bench-{posts}.md").write_text(text)
    (RESULTS / f"bench-{posts}.json").write_text(json.dumps(results, indent=2) + "\n")


def targets(results: dict) -> list[tuple[str, str, bool]]:
    http = {(row["page"], row["who"]): row for row in results["http"]}
    baseline = results["baseline"]["rps"]
    verdicts = []
    for what, page, who, _, share in RATIO_TARGETS:
        ratio = http[page, who]["rps"] / baseline
        verdicts.append((what, f"{ratio:.2f}×", ratio >= share))
    for what, later, first in FLAT_TARGETS:
        for who in ("visitor", "member"):
            ratio = http[later, who]["rps"] / http[first, who]["rps"]
            verdicts.append((f"{what} ({who})", f"{ratio:.2f}×", ratio >= 1 / 1.15))
    if results["posts"] >= 1_000_000:
        slowest = max(results["search"], key=lambda query: query["p50_ms"])
        fast_enough = slowest["p50_ms"] < SEARCH_TARGET_MS
        verdicts.append((f"search p50 under {SEARCH_TARGET_MS} ms (slowest query)",
                         f"{slowest['p50_ms']} ms", fast_enough))  # fmt: skip
    for row in results["in_process"]:
        budget = STATEMENT_BUDGETS.get(row["page"].split(" page ")[0])
        if budget is not None and row["who"] == "member":
            most = max(row["statements"], row["fresh_statements"])
            verdicts.append((f"{row['page']}: at most {budget} SQL statements (member)",
                             str(most), most <= budget))  # fmt: skip
    largest = max(results["worker_rss_mb"])
    verdicts.append((f"worker memory under {MEMORY_LIMIT_MB} MB", f"{largest} MB",
                     largest < MEMORY_LIMIT_MB))  # fmt: skip
    return verdicts


# Odds and ends


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)


def _count_posts(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT count(*) FROM posts").fetchone()[0]


def _machine() -> str:
    cpu = re.search(r"model name\s+: (.+)", Path("/proc/cpuinfo").read_text())
    name = cpu[1] if cpu else "unknown CPU"
    return f"{os.cpu_count()} cores ({name}), SQLite {sqlite3.sqlite_version}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            urllib.request.urlopen(server.url + "/healthz", timeout=1)
        except urllib.error.HTTPError:
            pass  # the baseline has no health check, but it answered
        except OSError:
            time.sleep(0.2)
            continue
        if len(server.workers()) == WORKERS:
            return
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def _has(command: str) -> bool:
    return (
        subprocess.run(["sh", "-c", f"command -v {command}"], capture_output=True).returncode == 0
    )


if __name__ == "__main__":
    main()
