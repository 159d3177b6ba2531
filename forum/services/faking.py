"""Realistic, deterministic data to measure Harbor on: ``flask fake``.

Boards of very different sizes, a few threads of thousands of posts, a log-normal spread
of thread lengths, Markdown posts of about 500 characters, support reactions and read
markers. Everything is written with Core inserts in batches and explicit ids, and the
counts are worked out as the rows are made, so a million posts take minutes, not hours.
The same seed always gives the same forum.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from slugify import slugify
from sqlalchemy import bindparam, func, insert, select, update
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..markup import render_markdown
from ..models import (
    Board,
    EmailFrequency,
    Post,
    PostState,
    Reaction,
    ReactionKind,
    Thread,
    ThreadRead,
    User,
)
from . import posting, searching

FAKE_DOMAIN = "fake.invalid"
FAKE_PASSWORD = "fake members' password"
BATCH = 5_000
# A few very long threads, as busy forums have (the benchmark reads the last page of one).
LONG_THREADS = (5_000, 2_000, 1_000)
PARAGRAPHS = 1_500
SINCE = datetime(2024, 1, 1)

# Words are drawn along a Zipf curve, as in real writing: everyday words most, then the
# words of this community, then a long tail of made-up ones. A search for "fatigue" then
# matches a few percent of posts, as on a real forum, rather than half of them.
EVERYDAY_WORDS = """
i the and to a it my of was in that is for have but so on me with this just be not we all
had at are been you as do what some about can get like one now will know out up she he they
if time feel her there would going really more has after them also very from your how much
back when had still good well think home little could over again only first then because
by our other any even new here those which way no make said went want need take right
"""
COMMUNITY_WORDS = """
scan results oncologist treatment ibrance letrozole fulvestrant faslodex verzenio kisqali
tamoxifen chemo radiation bones liver lungs brain fatigue nausea appetite sleep tired
hopeful scared grateful family daughter son husband wife partner friend nurse appointment
tumour markers stable progression shrinking side effects neuropathy hair garden walk tea
coffee rain sunshine morning evening week month year today tomorrow thank you thinking of
sending love hugs strength courage patience questions answers trial clinic infusion port
blood counts neutrophils holiday birthday grandchildren dog cat music book knitting support
group caregiver stage four metastatic hormone positive her2 triple negative biopsy ct pet
mri wait anxious calm breathe day by
"""
TITLE_WORDS = COMMUNITY_WORDS.split()
# How many different words the made-up forum uses, and what the made-up ones are made of.
VOCABULARY_SIZE = 6_000
SYLLABLES = [consonant + vowel for consonant in "bdklmn" for vowel in "aeio"]


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    cumulative_weights: list[float]

    def sample(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative_weights, k=count)


def vocabulary() -> Vocabulary:
    """The same words with the same weights for every seed, so queries in the benchmark
    match comparable numbers of posts from one run to the next."""
    words = list(dict.fromkeys((EVERYDAY_WORDS + COMMUNITY_WORDS).split()))
    known = set(words)
    rng = random.Random(0)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in known:
            known.add(word)
            words.append(word)
    return Vocabulary(words, list(accumulate(1 / rank for rank in range(1, len(words) + 1))))


@dataclass
class Plan:
    members: int
    threads: int
    posts: int
    seed: int = 1


@dataclass
class Progress:
    """Prints "posts 120,000/1,000,000  41,000/s  ETA 0:21" on one line as work goes."""

    total: int
    label: str
    echo: Callable[[str], None]
    done: int = 0
    started: float = field(default_factory=time.monotonic)

    def advance(self, count: int) -> None:
        self.done += count
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        self.echo(
            f"\r{self.label} {self.done:,}/{self.total:,}  {rate:,.0f}/s  "
            f"ETA {int(left // 60)}:{int(left % 60):02d}   "
        )

    def finish(self) -> None:
        self.echo(f"\r{self.label} {self.done:,} in {time.monotonic() - self.started:.1f}s\n")


class HasRealMembers(Exception):
    """The database has members who were not made by ``fake``: refuse without --force."""


def real_member_count() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.is_system.is_(False), ~func.coalesce(User.email, "").like(f"%@{FAKE_DOMAIN}"))
    )


def fake(plan: Plan, echo: Callable[[str], None], force: bool = False) -> dict:
    if not force and real_member_count():
        raise HasRealMembers()
    rng = random.Random(plan.seed)
    boards = list(db.session.scalars(select(Board).order_by(Board.position)))
    if not boards:
        raise ValueError("There are no boards: run `flask seed` first.")
    member_ids = _make_members(plan, rng, echo)
    paragraphs = _paragraphs(rng, vocabulary())
    lengths = _thread_lengths(plan, rng)
    authored: dict[int, int] = {}
    made = _make_threads_and_posts(
        plan, rng, boards, member_ids, lengths, paragraphs, echo, authored
    )
    _make_reactions_and_read_markers(rng, member_ids, made, echo)
    _count_boards_and_members(boards, authored)
    db.session.commit()
    echo("Optimizing the search index…")
    searching.optimize()
    return {"members": len(member_ids), "threads": len(lengths), "posts": sum(lengths)}


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _make_members(plan: Plan, rng: random.Random, echo) -> list[int]:
    first = _next_id(User)
    password_hash = generate_password_hash(FAKE_PASSWORD)
    joined = SINCE - timedelta(days=30)
    rows = [
        {
            "id": first + n,
            "username": f"fake{first + n}",
            "username_key": f"fake{first + n}",
            "email": f"fake{first + n}@{FAKE_DOMAIN}",
            "email_confirmed_at": joined,
            "password_hash": password_hash,
            "session_token": f"fake-{plan.seed}-{first + n}-{rng.getrandbits(64):016x}",
            "created_at": joined,
            "email_frequency": EmailFrequency.NEVER,
            "story": rng.choice([None, None, "Stage IV since 2021, ER+", "Caregiver for my mum"]),
        }
        for n in range(plan.members)
    ]
    progress = Progress(len(rows), "members", echo)
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(User), rows[start : start + BATCH])
        progress.advance(len(rows[start : start + BATCH]))
    progress.finish()
    return [row["id"] for row in rows]


def _paragraphs(rng: random.Random, words_for: Vocabulary) -> list[tuple[str, str]]:
    """A pool of Markdown paragraphs, rendered once; posts are made of three of them."""
    pool = []
    for _ in range(PARAGRAPHS):
        words = words_for.sample(rng, rng.randint(22, 34))
        if rng.random() < 0.3:
            spot = rng.randrange(len(words))
            words[spot] = f"**{words[spot]}**"
        source = " ".join(words).capitalize() + "."
        if rng.random() < 0.15:
            source = "\n".join(f"- {' '.join(words_for.sample(rng, 5))}" for _ in range(3))
        pool.append((source, render_markdown(source)))
    return pool


def _thread_lengths(plan: Plan, rng: random.Random) -> list[int]:
    """How many posts each thread has: a few long ones, the rest log-normal, summing to posts."""
    long = [length for length in LONG_THREADS if length * 4 <= plan.posts][: plan.threads]
    rest = plan.threads - len(long)
    remaining = plan.posts - sum(long)
    if rest <= 0:
        return long
    weights = [rng.lognormvariate(0, 1.1) for _ in range(rest)]
    scale = (remaining - rest) / sum(weights)
    lengths = [1 + int(weight * scale) for weight in weights]
    for n in range(remaining - sum(lengths)):  # what rounding left over
        lengths[n % rest] += 1
    return long + lengths


@dataclass
class MadeThread:
    id: int
    first_post_id: int
    post_count: int


def _make_threads_and_posts(plan, rng, boards, member_ids, lengths, paragraphs, echo, authored):
    # Board sizes follow a steep curve: the first boards get most of the threads.
    # Cumulative weights, worked out once: random.choices would otherwise add them all up
    # again on every call, for every post.
    board_weights = list(accumulate(1 / (rank + 1) ** 1.2 for rank in range(len(boards))))
    author_weights = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(member_ids))))
    thread_id, post_id = _next_id(Thread), _next_id(Post)
    span = (datetime(2026, 11, 1) - SINCE).total_seconds()
    progress = Progress(sum(lengths), "posts", echo)
    made: list[MadeThread] = []
    threads, posts, first_last = [], [], []
    for length in lengths:
        board = rng.choices(boards, cum_weights=board_weights)[0]
        author = _pick(rng, member_ids, author_weights)
        started = SINCE + timedelta(seconds=rng.random() * span * 0.9)
        title = " ".join(rng.choice(TITLE_WORDS) for _ in range(rng.randint(3, 8))).capitalize()
        moment = started
        first = post_id
        for number in range(1, length + 1):
            source_html = [rng.choice(paragraphs) for _ in range(3)]
            writer = author if number == 1 else _pick(rng, member_ids, author_weights)
            authored[writer] = authored.get(writer, 0) + 1
            posts.append({
                "id": post_id, "thread_id": thread_id, "number": number, "author_id": writer,
                "source": "\n\n".join(s for s, _ in source_html),
                "html": "\n".join(h for _, h in source_html),
                "state": PostState.VISIBLE, "created_at": moment,
            })  # fmt: skip
            post_id += 1
            moment += timedelta(minutes=rng.expovariate(1 / 90))
        threads.append({
            "id": thread_id, "board_id": board.id, "author_id": author, "title": title,
            "slug": slugify(title)[:80], "created_at": started, "last_post_at": moment,
            "post_count": length, "reply_count": length - 1,
        })  # fmt: skip
        first_last.append({"tid": thread_id, "first": first, "last": post_id - 1})
        made.append(MadeThread(thread_id, first, length))
        thread_id += 1
        if len(posts) >= BATCH:
            _write(threads, posts, first_last, progress)
    _write(threads, posts, first_last, progress)
    progress.finish()
    return made


def _pick(rng: random.Random, items: list, cumulative_weights: list[float]):
    return rng.choices(items, cum_weights=cumulative_weights)[0]


def _write(threads: list, posts: list, first_last: list, progress: Progress) -> None:
    by_id = {thread["id"]: thread for thread in threads}
    if threads:
        db.session.execute(insert(Thread), threads)
    if posts:
        db.session.execute(insert(Post), posts)
        searching.index_many([
            {"post_id": post["id"], "body": post["source"], "author_id": post["author_id"],
             "title": by_id[post["thread_id"]]["title"] if post["number"] == 1 else "",
             "board_id": by_id[post["thread_id"]]["board_id"]}
            for post in posts
        ])  # fmt: skip
    if first_last:
        threads_table = Thread.__table__
        db.session.execute(
            update(threads_table)  # Core: one statement, many rows
            .where(threads_table.c.id == bindparam("tid"))
            .values(first_post_id=bindparam("first"), last_post_id=bindparam("last")),
            first_last,
        )
    progress.advance(len(posts))
    threads.clear()
    posts.clear()
    first_last.clear()
    db.session.commit()


def _make_reactions_and_read_markers(rng, member_ids, made, echo) -> None:
    """Support on about a third of posts, and read markers for a few hundred members."""
    posts = sum(thread.post_count for thread in made)
    first_post, last_post = made[0].first_post_id, made[-1].first_post_id + made[-1].post_count - 1
    kinds = list(ReactionKind)
    reactions = {
        (rng.randint(first_post, last_post), rng.choice(member_ids), rng.choice(kinds))
        for _ in range(posts // 3)
    }
    progress = Progress(len(reactions), "reactions", echo)
    rows = [{"post_id": p, "user_id": u, "kind": k, "created_at": SINCE} for p, u, k in reactions]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Reaction), rows[start : start + BATCH])
        progress.advance(len(rows[start : start + BATCH]))
    progress.finish()
    readers = member_ids[: min(len(member_ids), 300)]
    markers = {
        (reader, thread.id): rng.randint(1, thread.post_count)
        for reader in readers
        for thread in rng.sample(made, min(len(made), 20))
    }
    rows = [
        {"user_id": u, "thread_id": t, "last_read_number": n, "updated_at": SINCE}
        for (u, t), n in markers.items()
    ]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(ThreadRead), rows[start : start + BATCH])
    db.session.commit()


def _count_boards_and_members(boards: list[Board], authored: dict[int, int]) -> None:
    """The counts, once, at the end: members' from what was made, boards' by recounting."""
    rows = [{"uid": user_id, "posts": count} for user_id, count in authored.items()]
    for start in range(0, len(rows), BATCH):
        users = User.__table__
        db.session.execute(
            update(users)
            .where(users.c.id == bindparam("uid"))
            .values(post_count=bindparam("posts"), visible_post_count=bindparam("posts")),
            rows[start : start + BATCH],
        )
    for board in boards:
        posting.recount_board(board)
