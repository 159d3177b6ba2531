"""A guide's link sent to a friend shows its title and first words; nothing private ever does.

Public pages carry <meta name="description"> and OpenGraph tags (forum/sharing.py); pages on
members' and staff boards, boards kept from search engines, and threads waiting for a
moderator carry none.
"""

import re
from html import unescape

from forum.extensions import db
from forum.models import BoardVisibility
from forum.services import posting

from .factories import log_in

GUIDE = (
    "Doctors have many ways to treat MBC and keep it in check. It can feel like a lot to "
    "take in.\n\n## 1. Whole-body treatment\n\n**Systemic** means the treatment travels "
    "through your bloodstream to reach cancer cells wherever they are, which is why it is "
    "usually the main kind of treatment."
)
META = re.compile(r'<meta (name|property)="([^"]+)" content="([^"]*)">')


def tags_of(page: str) -> dict[str, str]:
    """The description and OpenGraph tags in a page's head, by name."""
    head = page[: page.index("</head>")]
    return {name: unescape(content) for _, name, content in META.findall(head)
            if name == "description" or name.startswith("og:")}  # fmt: skip


def path_of(thread) -> str:
    return f"/t/{thread.id}/{thread.slug}"


def test_a_guide_shared_with_a_friend_shows_its_title_and_opening_words(client, make, app):
    board = make.board("treatments", "Treatments and side effects")
    guide = make.thread(board=board, title="Guide: The main kinds of treatment", body=GUIDE)
    tags = tags_of(client.get(path_of(guide)).text)
    description = tags["description"]
    assert description.startswith("Doctors have many ways to treat MBC and keep it in check.")
    assert "1. Whole-body treatment Systemic means" in description, "plain words, no Markdown"
    assert len(description) <= 160 and description.endswith("…")
    assert tags == {
        "description": description,
        "og:type": "article",
        "og:site_name": "Harbor",
        "og:title": "Guide: The main kinds of treatment",
        "og:description": description,
        "og:url": app.config["BASE_URL"] + path_of(guide),
    }, "no og:image: a picture from elsewhere would tell that site who reads"


def test_the_index_and_a_public_board_describe_themselves(client, make, app):
    board = make.board("treatments", "Treatments and side effects")
    board.description = "Getting through treatment, one day at a time."
    db.session.commit()
    index = tags_of(client.get("/").text)
    assert index["description"] == app.config["SITE_DESCRIPTION"]
    assert index["og:url"] == app.config["BASE_URL"] + "/"
    shown = tags_of(client.get("/b/treatments").text)
    assert shown["og:title"] == "Treatments and side effects"
    assert shown["description"] == "Getting through treatment, one day at a time."


def test_a_member_reads_the_same_tags_as_a_visitor(client, make):
    """Kept pages are the same for every visitor: the tags may not depend on the reader."""
    guide = make.thread(title="Guide: Your care team", body=GUIDE)
    as_visitor = tags_of(client.get(path_of(guide)).text)
    log_in(client, make.member("rosa"))
    assert tags_of(client.get(path_of(guide)).text) == as_visitor


def test_members_only_staff_and_unlisted_boards_say_nothing_to_the_outside(client, make):
    members, staff, unlisted = make.board("caregivers"), make.board("staff"), make.board("quiet")
    members.visibility = BoardVisibility.MEMBERS
    staff.visibility = BoardVisibility.STAFF
    unlisted.noindex = True
    db.session.commit()
    threads = [make.thread(board=board, body="My mother's scan was clear today.")
               for board in (members, staff, unlisted)]  # fmt: skip
    log_in(client, make.admin("ada"))
    for board, thread in zip((members, staff, unlisted), threads, strict=True):
        for path in (f"/b/{board.slug}", path_of(thread)):
            page = client.get(path).text
            assert tags_of(page) == {}, path
            assert "My mother's scan" not in page[: page.index("</head>")]


def test_a_held_thread_shows_its_words_to_nobody_outside(client, make, default_gates):
    newcomer = make.newcomer("nell", confirmed=True)
    post = posting.start_thread(
        make.board("treatments"), newcomer, "Hello from a newcomer", "I was diagnosed last month."
    )
    assert post.is_held
    thread = db.session.get(posting.Thread, post.thread_id)
    assert client.get(path_of(thread)).status_code == 404
    log_in(client, make.moderator("mo"))
    page = client.get(path_of(thread)).text
    assert "I was diagnosed last month." in page, "the moderator reads it, to approve it"
    assert tags_of(page) == {}


def test_a_post_behind_a_content_note_lends_none_of_its_words(client, make):
    board = make.board("living", "Living with MBC")
    board.description = "Day to day life with metastatic breast cancer."
    db.session.commit()
    post = posting.start_thread(board, make.member(), "Scan day", "The scan showed new spots.",
                                content_note="Scan results")  # fmt: skip
    thread = db.session.get(posting.Thread, post.thread_id)
    page = client.get(path_of(thread)).text
    assert tags_of(page)["description"] == "Day to day life with metastatic breast cancer."
    assert "new spots" not in page[: page.index("</head>")]


def test_an_anonymous_thread_never_names_its_author(client, make):
    board = make.board("living")
    board.allows_anonymous = True
    db.session.commit()
    rosa = make.member("rosa")
    post = posting.start_thread(board, rosa, "Telling my children", "How did you tell yours?",
                                anonymous=True)  # fmt: skip
    thread = db.session.get(posting.Thread, post.thread_id)
    head = client.get(path_of(thread)).text.split("</head>")[0]
    assert tags_of(head + "</head>")["description"] == "How did you tell yours?"
    assert "rosa" not in head
