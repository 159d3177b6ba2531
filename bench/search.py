"""Search speed, in process, on a forum made with ``flask fake``.

    .venv/bin/python bench/search.py --database sqlite:////tmp/harbor-bench/harbor.db

Runs each query REPEATS times after a warm-up and reports the median (p50) and p95 in
milliseconds, with the number of matches, as a table on screen and as Markdown and JSON
in bench/results/. The target (issue 8): p50 under 50 ms at 1,000,000 posts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from forum import create_app
from forum.extensions import db
from forum.models import Board, BoardVisibility, Post, User
from forum.services import searching

REPEATS = 21
TARGET_MS = 50.0
RESULTS = Path(__file__).resolve().parent / "results"


def queries() -> list[tuple[str, str, dict]]:
    """(name, query, filters): common and rare words, a phrase, and both filters."""
    busiest = db.session.scalar(select(Board).order_by(Board.post_count.desc()).limit(1))
    smallest = db.session.scalar(
        select(Board)
        .where(Board.visibility == BoardVisibility.PUBLIC)  # the bench reads as a visitor
        .order_by(Board.post_count)
        .limit(1)
    )
    prolific = db.session.scalar(select(User).order_by(User.post_count.desc()).limit(1))
    return [
        ("one common word", "fatigue", {}),
        ("two words", "scan results", {}),
        ("a phrase", '"side effects"', {}),
        ("a rare pair", "knitting neutrophils", {}),
        ("no match", "zebrafish", {}),
        ("word, the busiest board", "fatigue", {"board": busiest}),
        ("word, the quietest board", "fatigue", {"board": smallest}),
        ("word, the most prolific member", "fatigue", {"author": prolific}),
        ("second page", "tired", {"offset": 20}),
    ]


def measure(query: str, filters: dict) -> tuple[list[float], list[float], str]:
    """Wall-clock and CPU milliseconds of each run, and how many matches were ranked."""
    options = dict(filters)
    offset = options.pop("offset", 0)
    timings, cpu = [], []
    for repeat in range(REPEATS + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        found = searching.search(query, offset, 20, **options)
        elapsed = (time.perf_counter() - started) * 1000
        elapsed_cpu = (time.process_time() - started_cpu) * 1000
        db.session.rollback()
        if repeat:  # the first run warms the caches
            timings.append(elapsed)
            cpu.append(elapsed_cpu)
    return timings, cpu, f"{found.total:,}{'+' if found.more else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a faked forum")
    parser.add_argument("--label", default="", help="name for the results files")
    arguments = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": arguments.database})
    with app.app_context():
        posts = db.session.scalar(select(func.count()).select_from(Post))
        rows = []
        for name, query, filters in queries():
            timings, cpu, matches = measure(query, filters)
            p50 = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            rows.append({"query": name, "text": query, "ranked": matches,
                         "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                         "cpu_p50_ms": round(statistics.median(cpu), 1),
                         "pass": p50 < TARGET_MS})  # fmt: skip
        dialect = db.engine.dialect.name
    report(rows, posts, dialect, arguments.label or f"search-{dialect}-{posts}")


def report(rows: list[dict], posts: int, dialect: str, label: str) -> None:
    lines = [
        f"Search on {dialect}, {posts:,} posts; median and p95 of {REPEATS} runs, in process.",
        f"A search ranks the {searching.WINDOW:,} newest matches; '+' means there were more.",
        "",
        "| query | text | ranked | p50 ms | p95 ms | CPU p50 ms | p50 < 50 ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {r['query']} | `{r['text']}` | {r['ranked']} | {r['p50_ms']} | {r['p95_ms']} | "
        f"{r['cpu_p50_ms']} | {'pass' if r['pass'] else 'FAIL'} |"
        for r in rows
    ]
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{label}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{label}.json").write_text(
        json.dumps({"dialect": dialect, "posts": posts, "queries": rows}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
