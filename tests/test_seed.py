"""The seed: eleven boards, a pinned guide on each topic board, and idempotent runs."""

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Board, BoardVisibility, Post, PostRevision, SitePage, Thread, User
from forum.services import seeding, site_pages

SEED = Path(__file__).resolve().parent.parent / "seed"
ARTICLE_TITLE = "10 Things to Know About Metastatic Breast Cancer"
CREDIT = re.compile(rf"“{ARTICLE_TITLE}” by PJ Hamel, published by HealthCentral")


def snapshot():
    """Everything seeding could touch, as plain values."""
    return [
        [tuple(row) for row in db.session.execute(select(*model.__table__.columns))]
        for model in (Board, Thread, Post, User, PostRevision)
    ]


def test_seed_creates_eleven_boards_in_the_article_order_then_two_for_members(make):
    seeding.seed(SEED)
    boards = db.session.scalars(select(Board).order_by(Board.position)).all()
    assert len(boards) == 13
    assert boards[0].slug == "welcome" and boards[0].topic is None
    assert [board.topic for board in boards[1:11]] == list(range(1, 11))
    assert [board.name for board in boards[11:]] == ["Caregivers, family and friends", "In memory"]


def test_seed_sets_who_reads_each_board_and_who_may_post_anonymously(make):
    seeding.seed(SEED)
    boards = {board.slug: board for board in db.session.scalars(select(Board))}
    settings = {
        slug: (board.visibility.value, board.noindex, board.allows_anonymous, board.is_gentle)
        for slug, board in boards.items()
    }
    assert settings["welcome"] == ("public", False, False, False)
    assert settings["when-it-returns"] == ("public", False, False, False)
    assert settings["living-with-mbc"] == ("public", False, True, False)
    assert settings["caregivers"] == ("members", True, True, False)
    assert settings["in-memory"] == ("members", True, False, True)
    # Each members' board opens with a pinned note on what it is for.
    for slug in ("caregivers", "in-memory"):
        pinned = db.session.scalars(
            select(Thread).where(Thread.board_id == boards[slug].id, Thread.is_pinned)
        ).all()
        assert len(pinned) == 1, slug


def test_seeding_again_keeps_the_settings_an_admin_chose(make):
    seeding.seed(SEED)
    caregivers = db.session.scalar(select(Board).where(Board.slug == "caregivers"))
    caregivers.visibility = BoardVisibility.STAFF
    caregivers.allows_anonymous = False
    db.session.commit()
    seeding.seed(SEED)
    db.session.refresh(caregivers)
    assert caregivers.visibility is BoardVisibility.STAFF and not caregivers.allows_anonymous


def test_each_topic_board_opens_with_one_pinned_guide_crediting_the_article(make):
    seeding.seed(SEED)
    for board in db.session.scalars(select(Board).where(Board.topic.is_not(None))):
        pinned = db.session.scalars(
            select(Thread).where(Thread.board_id == board.id, Thread.is_pinned)
        ).all()
        assert len(pinned) == 1, board.slug
        guide = db.session.get(Post, pinned[0].first_post_id)
        assert CREDIT.search(guide.source), board.slug
        assert "not medical advice" in guide.source
        assert db.session.get(User, guide.author_id).username == "harbor"


def test_welcome_board_pins_guidelines_moderation_and_disclaimer_in_order(client):
    seeding.seed(SEED)
    page = client.get("/b/welcome").text
    titles = re.findall(r'href="/t/\d+/[^"]+">([^<]+)</a>', page)
    assert titles == [
        "Our community guidelines",
        "How moderation works here",
        "A note about medical information",
    ]


def test_seeding_twice_changes_nothing(make):
    first = seeding.seed(SEED)
    before = snapshot()
    second = seeding.seed(SEED)
    assert first.changed_anything and not second.changed_anything
    assert snapshot() == before


def test_an_edited_guide_updates_its_text_and_keeps_replies(make, tmp_path):
    seed_copy = tmp_path / "seed"
    shutil.copytree(SEED, seed_copy)
    seeding.seed(seed_copy)
    guide = db.session.scalar(select(Thread).where(Thread.seed_key == "guides/07-treatments"))
    reply = make.reply(guide, body="This guide helped me.")

    path = seed_copy / "guides" / "07-treatments.md"
    path.write_text(path.read_text().replace("\n---\n", "\n---\nA new opening line.\n\n", 1))
    report = seeding.seed(seed_copy)

    assert report.threads_updated == 1 and report.threads_created == 0
    db.session.expire_all()
    opening = db.session.get(Post, guide.first_post_id)
    assert opening.source.startswith("A new opening line.")
    assert "A new opening line." in opening.html
    assert db.session.get(Post, reply.id).source == "This guide helped me."
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 1


def test_seeding_brings_a_guide_rendered_by_older_markup_rules_up_to_date(make):
    """A release that changes the markup rules (headings, say) seeds as every release does:
    the guides' stored HTML follows, with no revision, since their words did not change."""
    seeding.seed(SEED)
    guide = db.session.scalar(select(Thread).where(Thread.seed_key == "guides/07-treatments"))
    opening = db.session.get(Post, guide.first_post_id)
    fresh = opening.html
    opening.html = fresh.replace("<h3>", "<h4>").replace("</h3>", "</h4>")  # as rule 1 had it
    db.session.commit()

    assert seeding.seed(SEED).threads_updated == 1
    assert db.session.get(Post, guide.first_post_id).html == fresh
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 0


def test_seeding_renders_the_crisis_protocol_again_but_keeps_an_admins_words(make):
    seeding.seed(SEED)
    page = db.session.get(SitePage, site_pages.CRISIS_PROTOCOL)
    page.source = "## Our own first step\n\nCall them."
    page.html = "<h4>Our own first step</h4><p>Call them.</p>"  # as the old rules had it
    db.session.commit()

    assert seeding.seed(SEED).pages_updated == 1
    page = db.session.get(SitePage, site_pages.CRISIS_PROTOCOL)
    assert page.source == "## Our own first step\n\nCall them."
    assert page.html == "<h2>Our own first step</h2>\n<p>Call them.</p>"


def test_a_guide_moved_to_another_board_in_its_file_moves_its_thread(make, tmp_path):
    seed_copy = tmp_path / "seed"
    shutil.copytree(SEED, seed_copy)
    seeding.seed(seed_copy)
    path = seed_copy / "guides" / "07-treatments.md"
    path.write_text(path.read_text().replace("board: treatments", "board: care-team", 1))
    assert seeding.seed(seed_copy).threads_updated == 1
    guide = db.session.scalar(select(Thread).where(Thread.seed_key == "guides/07-treatments"))
    boards = {board.slug: board for board in db.session.scalars(select(Board))}
    assert guide.board_id == boards["care-team"].id
    assert (boards["treatments"].thread_count, boards["care-team"].thread_count) == (0, 2)
    assert not seeding.seed(seed_copy).changed_anything


def test_the_harbor_account_cannot_log_in(client):
    seeding.seed(SEED)
    from .factories import submit

    response = submit(client, "/login", {"username": "harbor", "password": ""})
    assert "Log out" not in response.text
    assert db.session.scalar(select(User).where(User.username == "harbor")).password_hash is None


GUIDES = sorted((SEED / "guides").glob("*.md"))
# Hashes of every eight-word run in the article, so the test runs without its text.
ARTICLE_RUNS = {
    line
    for line in (Path(__file__).parent / "article_runs.txt").read_text().splitlines()
    if line and not line.startswith("#")
}
RUN_LENGTH = 8


@pytest.mark.parametrize("path", GUIDES, ids=lambda path: path.stem)
def test_guides_are_in_our_own_words(path):
    """No run of eight words may be copied from the article, outside the credit line."""
    front_matter, body = seeding.split_front_matter(path.read_text())
    body = CREDIT.sub("", body)
    assert 250 <= len(body.split()) <= 700, f"{path.name} should be 250-700 words"
    words = re.findall(r"[a-z0-9']+", body.lower().replace("’", "'"))
    runs = {
        hashlib.sha256(" ".join(words[i : i + RUN_LENGTH]).encode()).hexdigest()[:16]
        for i in range(len(words) - RUN_LENGTH + 1)
    }
    assert not runs & ARTICLE_RUNS
    assert front_matter["board"] in {board["slug"] for board in seeding.read_boards(SEED)}
