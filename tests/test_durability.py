"""Real processes sharing one database: eight gunicorn workers replying to a thread at the
same moment lose nothing, and workers killed with SIGKILL mid-burst leave nothing half
written. Both run on whichever database the suite runs on (SQLite in WAL mode, or
PostgreSQL through DATABASE_URL)."""

import http.client
import threading
import time

import pytest
from sqlalchemy import event, func, select, text

from forum.dialects import is_sqlite
from forum.extensions import db
from forum.models import Board, Post, Thread, User
from forum.services import doctor, posting

from .factories import run_at_once
from .served import Site, Visitor, harbor_environment, run_flask

WRITERS = 8
REPLIES_EACH = 8
# A request cut off by a kill; refusals (nothing listening) are not "in flight".
CUT_OFF = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
# Starting gunicorn workers takes most of a minute on a busy machine.
slow = pytest.mark.slow


@pytest.fixture
def environment(app, tmp_path):
    return harbor_environment(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance")


@pytest.fixture
def serve(environment, tmp_path):
    """Start ``gunicorn --workers N`` on the suite's database; stopped after the test."""
    started = []

    def serve(workers: int) -> Site:
        # The test's own transaction would hold SQLite's write lock: end it first.
        db.session.commit()
        site = Site(environment, tmp_path / "gunicorn.log", workers)
        started.append(site)
        return site.start()

    yield serve
    for site in started:
        site.stop()


def wait_for(condition, site: Site, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s:\n{site.log()}")
        time.sleep(0.05)


def stored_posts(thread_ids) -> dict[str, tuple[int, int, int]]:
    """Every post in these threads: body -> (thread id, number, post id)."""
    db.session.commit()  # a fresh look at what the site wrote
    rows = db.session.execute(
        select(Post.source, Post.thread_id, Post.number, Post.id).where(
            Post.thread_id.in_(thread_ids)
        )
    )
    return {source: (thread_id, number, post_id) for source, thread_id, number, post_id in rows}


def assert_counts_exact(thread_ids, board_id) -> None:
    """Counts and "last post" links are what the posts beneath them say, checked directly."""
    for thread_id in thread_ids:
        thread = db.session.get(Thread, thread_id)
        numbers = db.session.scalars(select(Post.number).where(Post.thread_id == thread_id)).all()
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), "numbers have gaps"
        last = db.session.scalar(select(func.max(Post.id)).where(Post.thread_id == thread_id))
        assert (thread.post_count, thread.reply_count) == (len(numbers), len(numbers) - 1)
        assert thread.last_post_id == last
        assert thread.last_post_at == db.session.get(Post, last).created_at
    board = db.session.get(Board, board_id)
    in_board = (
        select(Post.id).join(Thread, Thread.id == Post.thread_id).where(Thread.board_id == board_id)
    )
    assert board.post_count == db.session.scalar(
        select(func.count()).select_from(in_board.subquery())
    )
    assert board.last_post_id == db.session.scalar(
        select(func.max(Post.id))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.board_id == board_id)
    )
    assert doctor.examine() == []


def assert_log_clean(site: Site) -> None:
    log = site.log()
    assert "database is locked" not in log
    assert "Traceback" not in log, log


@slow
def test_eight_workers_replying_to_one_thread_at_once_store_every_reply(serve, make):
    board = make.board()
    thread_id = make.thread(board=board, title="Scan results tomorrow").id
    # A quarter of the replies go to a second thread: the board's "last post" must still
    # end on the newest, whichever thread reached the board's row last.
    other_id = make.thread(board=board, title="Tips for scan days", body="Bring a book.").id
    names = [make.member().username for _ in range(WRITERS)]
    site = serve(workers=WRITERS)
    all_at_once = threading.Barrier(WRITERS)
    answers = {}

    def write(name):
        visitor = Visitor(site.address).log_in(name)
        all_at_once.wait()
        for n in range(REPLIES_EACH):
            body = f"{name} is thinking of you ({n})"
            answers[body] = visitor.reply(other_id if n % 4 == 3 else thread_id, body)

    writers = [threading.Thread(target=write, args=(name,)) for name in names]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    failed = {body: answer.status for body, answer in answers.items() if answer.post_id is None}
    assert failed == {}, site.log()
    assert len(answers) == WRITERS * REPLIES_EACH
    stored = stored_posts([thread_id, other_id])
    assert {body: stored[body][2] for body in answers} == {
        body: answer.post_id for body, answer in answers.items()
    }
    assert len(stored) == 2 + WRITERS * REPLIES_EACH
    assert_counts_exact([thread_id, other_id], board.id)
    members = db.session.scalars(select(User).where(User.username.in_(names))).all()
    assert {member.post_count for member in members} == {REPLIES_EACH}
    assert_log_clean(site)


@slow
def test_workers_killed_mid_burst_lose_no_accepted_post(serve, make, environment):
    board = make.board()
    thread_ids = [
        make.thread(board=board, title=f"Good days {n}", body=f"Day {n}").id for n in (1, 2)
    ]
    names = [make.member().username for _ in range(6)]
    site = serve(workers=3)
    visitors = [Visitor(site.address).log_in(name) for name in names]
    accepted, refused, cut_off = {}, {}, []
    stop = threading.Event()

    def post_until_stopped(visitor, name):
        n = 0
        while not stop.is_set():
            n += 1
            body = f"{name} checking in ({n})"
            try:
                answer = visitor.reply(thread_ids[n % 2], body)
            except CUT_OFF:
                cut_off.append(body)
                continue
            except ConnectionRefusedError:  # the site is down: wait for the test to end
                time.sleep(0.05)
                continue
            if answer.post_id is None:
                refused[body] = answer.status
            else:
                accepted[body] = answer.post_id

    burst = [
        threading.Thread(target=post_until_stopped, args=p)
        for p in zip(visitors, names, strict=True)
    ]
    for client in burst:
        client.start()
    try:
        wait_for(lambda: len(accepted) >= 10, site)
        site.kill_workers()
        # The master starts new workers, which take up the queued requests...
        after_first_kill = len(accepted)
        wait_for(lambda: len(accepted) >= after_first_kill + 10, site)
        # ...until the master goes down with them.
        site.kill_everything()
    finally:
        stop.set()
        for client in burst:
            client.join()

    assert refused == {}
    assert cut_off, "the kills should have cut requests off mid-flight"
    restarted = serve(workers=2)
    assert Visitor(restarted.address).log_in(names[0]).reply(thread_ids[0], "Back").post_id
    checked = run_flask(environment, "doctor")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Everything is consistent" in checked.stdout
    stored = stored_posts(thread_ids)
    assert {body: stored[body][2] for body in accepted} == accepted
    assert_counts_exact(thread_ids, board.id)
    if is_sqlite(db.engine):
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert "database is locked" not in site.log()


def test_a_later_post_that_reaches_the_board_first_stays_its_last_post(app, make):
    """Replies to two threads of a board: the older reaches the board's row second.

    On PostgreSQL nothing makes replies to different threads queue, so the board's "last
    post" must be the newer of the two whichever writes last. (SQLite queues whole
    writes, so there one reply cannot overtake another.)
    """
    if is_sqlite(db.engine):
        pytest.skip("SQLite writes one transaction at a time")
    board = make.board()
    older_id, newer_id = (make.thread(board=board, title=t, body=t).id for t in ("Older", "Newer"))
    author_ids = [make.member().id, make.member().id]
    board_id = board.id
    at_board, newer_done = threading.Event(), threading.Event()
    holding = threading.local()

    def pause_before_the_board(conn, cursor, statement, *_):
        if getattr(holding, "back", False) and statement.startswith("UPDATE boards"):
            at_board.set()
            assert newer_done.wait(30), "the newer reply never finished"

    def reply(thread_id, author_id, is_older):
        with app.app_context():
            holding.back = is_older
            if not is_older:
                assert at_board.wait(30), "the older reply never reached the board"
            thread, author = db.session.get(Thread, thread_id), db.session.get(User, author_id)
            posting.reply(thread, author, "Me too")
            if not is_older:
                newer_done.set()
            db.session.remove()

    event.listen(db.engine, "before_cursor_execute", pause_before_the_board)
    try:
        run_at_once(reply, [(older_id, author_ids[0], True), (newer_id, author_ids[1], False)])
    finally:
        event.remove(db.engine, "before_cursor_execute", pause_before_the_board)

    newest = db.session.scalar(select(func.max(Thread.last_post_id)))
    assert db.session.get(Thread, newer_id).last_post_id == newest
    assert db.session.get(Board, board_id).last_post_id == newest
    assert doctor.examine() == []
