"""Finding things: full-text search on SQLite (FTS5) and PostgreSQL (tsvector), one interface."""

import re

import pytest

from forum.extensions import db
from forum.models import Post
from forum.services import moderation, posting, searching

from .factories import log_in, submit


def titles(client, query: str, **filters) -> list[str]:
    page = client.get("/search", query_string={"q": query, **filters}).text
    return re.findall(r'<h2><a href="/p/\d+">([^<]+)</a></h2>', page)


def test_a_title_match_ranks_above_a_passing_mention(client, make):
    make.thread(title="Coping with neuropathy", body="Tingling toes since chemo.")
    other = make.thread(title="Weekend plans", body="Rest, mostly.")
    make.reply(other, body="My neuropathy is better on weekends.")
    assert titles(client, "neuropathy") == ["Coping with neuropathy", "Weekend plans"]


def test_words_in_quotes_are_found_together(client, make):
    make.thread(title="Walks", body="Short walks helped my fatigue.")
    make.thread(title="Helped", body="My walks were long and nothing helped.")
    assert titles(client, '"walks helped"') == ["Walks"]
    assert sorted(titles(client, "walks helped")) == ["Helped", "Walks"]


def test_results_narrow_by_board_and_author(client, make):
    here, there = make.board("here"), make.board("there")
    rosa = make.member("rosa")
    make.thread(board=here, author=rosa, title="Scan day here")
    make.thread(board=there, author=make.member("jun"), title="Scan day there")
    assert titles(client, "scan", board="here") == ["Scan day here"]
    assert titles(client, "scan", author="jun") == ["Scan day there"]
    assert "no member called" in client.get("/search?q=scan&author=ghost").text


def test_a_moved_thread_is_found_under_its_new_board(client, make):
    here, there = make.board("here"), make.board("there")
    thread = make.thread(board=here, title="Port flushes")
    make.reply(thread, body="Mine is every four weeks.")
    moderation.move_thread(thread, make.moderator(), there)
    assert titles(client, "weeks", board="there") == ["Port flushes"]
    assert titles(client, "weeks", board="here") == []


def test_a_small_board_is_narrowed_in_the_index_and_a_big_one_in_the_join(client, make):
    big, small = make.board("big"), make.board("small")
    for n in range(9):
        make.thread(board=big, title=f"Scan day {n}", body="Scan today.")
    make.thread(board=small, title="Scan news", body="Scan results came.")
    assert searching._narrows_in_index(small) and not searching._narrows_in_index(big)
    assert titles(client, "scan", board="small") == ["Scan news"]
    assert len(titles(client, "scan", board="big")) == 9


def test_the_index_filing_marks_cannot_be_searched_for(client, make):
    board, rosa = make.board("here"), make.member("rosa")
    make.thread(board=board, author=rosa, title="Quiet day", body="Nothing much.")
    assert titles(client, f"b{board.id}") == []
    assert titles(client, f"a{rosa.id}") == []
    assert titles(client, "scope") == []


def test_a_common_word_ranks_the_newest_matches_and_says_there_are_more(client, make, monkeypatch):
    monkeypatch.setattr(searching, "WINDOW", 3)
    for day in range(1, 6):
        make.thread(title=f"Chemo day {day}", body="Chemo again.")
    page = client.get("/search?q=chemo").text
    assert "More than 3 posts found" in page
    found = titles(client, "chemo")
    assert sorted(found) == ["Chemo day 3", "Chemo day 4", "Chemo day 5"]
    assert client.get("/search?q=chemo&board=&author=&page=2").status_code == 404


def test_snippets_highlight_the_words_and_stay_inert(client, make):
    make.thread(title="Odd", body="I typed <script>alert(1)</script> near the word lymphedema.")
    page = client.get("/search?q=lymphedema").text
    assert "<mark>lymphedema</mark>" in page
    assert "<script>alert(1)</script>" not in page


def test_the_index_follows_every_change_to_a_post(client, make):
    thread = make.thread(title="Tamoxifen questions", body="Hot flushes at night")
    opening = db.session.get(Post, thread.first_post_id)
    moderator = make.moderator()

    posting.edit_post(opening, make.member(), "Joint pain in the mornings")
    assert titles(client, "flushes") == [] and titles(client, "joint") == [thread.title]

    moderation.hide_post(opening, moderator, moderation.ReportReason.OTHER)
    assert titles(client, "joint") == []
    moderation.restore_post(opening, moderator)
    assert titles(client, "joint") == [thread.title]

    moderation.rename_thread(thread, moderator, "Letrozole questions")
    assert titles(client, "letrozole") == ["Letrozole questions"]
    assert titles(client, "tamoxifen") == []

    moderation.set_thread_hidden(thread, moderator, True)
    assert titles(client, "joint") == []
    moderation.set_thread_hidden(thread, moderator, False)
    posting.delete_post(db.session.get(Post, thread.first_post_id))
    assert titles(client, "joint") == []


def test_held_posts_are_found_only_once_approved(client, make, default_gates):
    thread = make.thread(author=make.moderator())
    log_in(client, make.newcomer("nell"))
    submit(client, f"/t/{thread.id}/reply", {"body": "Acupuncture helped my nausea"})
    assert titles(client, "acupuncture") == []
    held = db.session.query(Post).order_by(Post.id.desc()).first()
    moderation.approve_post(held, make.moderator())
    assert titles(client, "acupuncture") == [thread.title]


@pytest.mark.parametrize(
    "query",
    ['"', '""', '"unclosed', "NEAR(a b)", "a OR", "*", "title:x", "^x", "-x", "(", "%", "\\",
     "' OR 1=1 --", "\x00", "🌊", "a" * 5000, "AND", "NOT", ":", "x:*"],
)  # fmt: skip
def test_any_query_is_searched_as_plain_words(client, make, query):
    make.thread(title="Anything", body="Words and more words")
    assert client.get("/search", query_string={"q": query}).status_code == 200


def test_search_pages_past_the_end_are_404(client, make):
    make.thread(title="Only one", body="single")
    assert client.get("/search?q=single&page=2").status_code == 404
    assert client.get("/search?q=single&page=1").status_code == 200
    assert client.get("/search?q=single&page=abc").status_code == 404
    assert client.get("/search?q=single&page=0").status_code == 404


def test_rebuilding_the_index_finds_the_same_posts(client, make, runner):
    make.thread(title="Radiotherapy diary", body="Week one done")
    result = runner.invoke(args=["search", "rebuild"])
    assert "Indexed" in result.output
    assert titles(client, "radiotherapy") == ["Radiotherapy diary"]


def test_optimizing_the_index_keeps_every_match(client, make, runner):
    make.thread(title="Neuropathy in my feet", body="Cold packs help a little.")
    result = runner.invoke(args=["search", "optimize"])
    assert result.exit_code == 0 and "optimized" in result.output
    assert "Neuropathy in my feet" in client.get("/search?q=neuropathy").text
