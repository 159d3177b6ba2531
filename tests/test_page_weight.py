"""Light pages for slow phones: a thread of 20 posts, its stylesheet and script, and static
files that browsers keep for a year under names that change with their contents."""

import re
from pathlib import Path

import pytest

from forum.assets import hashed_names
from forum.models import ReactionKind
from forum.services import community, seeding

from .factories import log_in

# A typical post: a few sentences, a little Markdown.
BODY = (
    "I started **Ibrance** in March. The first two weeks were the hardest: tired by "
    "mid-afternoon, and my counts dipped, so they paused a week. What helped me:\n\n"
    "- a short walk every morning, even ten minutes\n"
    "- writing questions down before each appointment\n"
    "- saying yes when friends offered to cook\n\n"
    "It does get easier. Be gentle with yourself, and ask your team about the blood tests."
)
HTML_BUDGET = 60_000
STYLE_AND_SCRIPT_BUDGET = 30_000
SEEDED_BOARDS = len(seeding.read_boards(Path(__file__).resolve().parent.parent / "seed"))
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def fetch(client, path: str):
    """GET a path and close the response, as a browser would: static files come as open
    files, which would otherwise be left for the garbage collector."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def long_thread(make):
    thread = make.thread(title="Starting Ibrance next week", body=BODY)
    members = [make.member(f"friend{n}") for n in range(4)]
    for number in range(19):
        post = make.reply(thread, members[number % 4], BODY)
        community.toggle_reaction(post, members[(number + 1) % 4], ReactionKind.HUGS)
    return thread


# Readers, members and staff. Each post's moderation forms live on its own page (/mod/p/<id>),
# so a moderator's page carries one link per post, and the thread's tools once.
@pytest.mark.parametrize("who", ["visitor", "member", "moderator", "admin"])
def test_a_thread_of_twenty_posts_weighs_under_60_kb(client, make, long_thread, who):
    if who != "visitor":
        log_in(client, getattr(make, who)("rosa"))
    if who in ("moderator", "admin"):
        # As many boards as the seed has, for the "Move to" list in the thread's tools.
        for number in range(SEEDED_BOARDS - 1):
            make.board(
                f"board-of-the-seed-{number}", f"A board with a name as long as ours {number}"
            )
    page = client.get(f"/t/{long_thread.id}/{long_thread.slug}")
    assert page.status_code == 200
    assert page.text.count('class="post"') == 20
    if who in ("moderator", "admin"):
        assert page.text.count('">Moderate</a>') == 20 + 1  # and the header's link to /mod
        assert page.text.count('<option value="board-of-the-seed-') == SEEDED_BOARDS - 1
    assert len(page.data) < HTML_BUDGET


def test_its_stylesheet_and_script_together_weigh_under_30_kb(client, long_thread):
    page = client.get(f"/t/{long_thread.id}/{long_thread.slug}").text
    assets = ASSET.findall(page)
    assert len(assets) == 2
    assert sum(len(fetch(client, path).data) for path in assets) < STYLE_AND_SCRIPT_BUDGET


def test_static_files_are_named_by_their_contents_and_kept_for_a_year(client):
    stylesheet = ASSET.search(client.get("/").text).group(1)
    assert re.fullmatch(r"/static/harbor\.[0-9a-f]{10}\.css", stylesheet)
    response = fetch(client, stylesheet)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert set(response.headers["Cache-Control"].split(", ")) == {
        "public", "max-age=31536000", "immutable"
    }  # fmt: skip
    # The plain name still answers, but is not kept for long: its contents may change.
    plain = fetch(client, "/static/harbor.css")
    assert plain.data == response.data
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    assert fetch(client, "/static/harbor.0000000000.css").status_code == 404


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black; }")
    before = hashed_names(tmp_path)["site.css"]
    (tmp_path / "site.css").write_text("body { color: navy; }")
    after = hashed_names(tmp_path)["site.css"]
    assert before != after
    assert re.fullmatch(r"site\.[0-9a-f]{10}\.css", after)
