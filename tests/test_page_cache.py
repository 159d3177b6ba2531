"""Pages and posts are kept rendered and handed out again until anything on them changes.

A visitor's second look at a thread costs one read (the page generation). Any change
a page could show moves the generation on in the same commit, so the next visitor sees it
at once; a member's own reading place does not. Members never get a kept page, but share
kept posts with members who may do the same things with them, each with their own token.
"""

import re
from contextlib import contextmanager

import pytest

from forum import page_cache
from forum.models import ReactionKind, ReportReason
from forum.services import community, moderation, reading
from forum.threads import post_html

from .factories import log_in, submit


def path_of(thread, page: int | None = None) -> str:
    return f"/t/{thread.id}/{thread.slug}" + (f"?page={page}" if page else "")


def test_a_visitors_second_look_is_the_kept_page_for_one_read(client, make, count_statements):
    thread = make.thread(title="Scanxiety, again", body="Three days until the results.")
    path = path_of(thread)
    first = client.get(path)
    with count_statements() as counted, generation_reads() as reads:
        again = client.get(path)
    assert counted.count == 0, counted.statements
    assert reads == [page_cache.GENERATION_SQL]
    assert again.data == first.data and "Three days until the results." in again.text
    # Headers are added afresh: the kept page is the same page, with the same tag.
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


@contextmanager
def generation_reads():
    """The reads of the page generation, which go to the driver without SQLAlchemy."""
    reads = []
    real = page_cache.current_generation

    def reading():
        reads.append(page_cache.GENERATION_SQL)
        return real()

    page_cache.current_generation = reading
    try:
        yield reads
    finally:
        page_cache.current_generation = real


def test_each_page_of_a_thread_is_kept_apart(client, make):
    thread = make.thread(title="A long one")
    for n in range(25):
        make.reply(thread, body=f"Reply number {n}")
    client.get(path_of(thread))
    page_two = client.get(path_of(thread, page=2)).text
    assert "Reply number 24" in page_two and "Reply number 10" not in page_two
    assert "Reply number 10" in client.get(path_of(thread)).text


def reply_again(thread, reply, make):
    make.reply(thread, body="Sending strength")


def hide_the_reply(thread, reply, make):
    moderation.hide_post(reply, make.moderator(), ReportReason.OTHER)


def send_support(thread, reply, make):
    community.toggle_reaction(reply, make.member(), ReactionKind.HUGS)


def rename(thread, reply, make):
    moderation.rename_thread(thread, make.moderator(), "Waiting for scan results")


def lock(thread, reply, make):
    moderation.set_locked(thread, make.moderator(), True)


# Each change, and what the page says (or no longer says) once it is made.
CHANGES = {
    "a reply": (reply_again, "Sending strength", None),
    "a moderator hiding a reply": (hide_the_reply, None, "Thinking of you"),
    "support sent": (send_support, 'class="reaction-count">1<', None),
    "a new title": (rename, "Waiting for scan results", "Scan on Friday"),
    "a lock": (lock, "new replies are closed", None),
}  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_change_shows_to_the_next_visitor_at_once(client, make, change):
    thread = make.thread(title="Scan on Friday")
    reply = make.reply(thread, body="Thinking of you")
    make_change, shown, gone = CHANGES[change]
    before = client.get(path_of(thread)).text
    assert (shown is None or shown not in before) and (gone is None or gone in before)
    assert client.get(path_of(thread)).text == before  # kept now
    make_change(thread, reply, make)
    after = client.get(path_of(thread)).text
    assert (shown is None or shown in after) and (gone is None or gone not in after)


def test_a_board_and_the_index_show_a_new_thread_at_once(client, make):
    board = make.board()
    make.thread(board=board, title="First thread")
    client.get(f"/b/{board.slug}"), client.get("/")
    make.thread(board=board, title="Second thread")
    assert "Second thread" in client.get(f"/b/{board.slug}").text
    assert "Second thread" in client.get("/").text


def test_a_member_marking_their_place_keeps_visitors_pages(client, make, ctx):
    thread = make.thread()
    make.reply(thread)
    reader = make.member("reader")
    before = page_cache.current_generation()
    reading.mark_read_upto(reader, thread, 2)
    assert page_cache.current_generation() == before
    make.reply(thread)
    assert page_cache.current_generation() > before


def test_a_member_never_gets_a_visitors_page(app, client, make):
    thread = make.thread(title="Scan on Friday")
    visitor_page = client.get(path_of(thread)).text
    assert "Post reply" not in visitor_page
    log_in(client, make.member("june"))
    member_page = client.get(path_of(thread)).text
    assert "Post reply" in member_page and "june" in member_page
    # And what a member was shown is not kept for the next visitor.
    assert "Post reply" not in app.test_client().get(path_of(thread)).text


def test_a_message_flashed_to_one_visitor_is_never_kept_for_another(app, client, make):
    client.get("/")
    log_in(client, make.member("june"))
    submit(client, "/logout")
    assert "You have logged out" in client.get("/").text
    assert "You have logged out" not in app.test_client().get("/").text
    assert "You have logged out" not in client.get("/").text


def test_only_the_page_argument_makes_a_kept_copy(client, make, count_statements):
    path = path_of(make.thread()) + "?from=newsletter"
    for _ in range(2):
        with count_statements() as counted, generation_reads() as reads:
            client.get(path)
    assert reads == [] and counted.count == 3, "a stray argument renders afresh, unkept"


# Posts kept rendered for members (forum/threads/post_html.py)


def forms_token(page: str, post_id: int) -> str:
    """The CSRF token in the support form of one post on a page."""
    form = page[page.index(f'action="/p/{post_id}/react"') :]
    return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)


def test_members_in_the_same_place_share_kept_posts_each_with_their_own_token(
    app, make, monkeypatch
):
    thread = make.thread(title="Scan on Friday")
    reply = make.reply(thread, body="Thinking of you")
    june, ines = app.test_client(), app.test_client()
    log_in(june, make.member("june"))
    log_in(ines, make.member("ines"))
    rendered = []
    render_posts = post_html.render_posts

    def rendering(posts, thread):
        rendered.extend(post.id for post, *_ in posts)
        return render_posts(posts, thread)

    monkeypatch.setattr(post_html, "render_posts", rendering)
    junes_page = june.get(path_of(thread)).text
    assert rendered == [thread.first_post_id, reply.id]
    ines_page = ines.get(path_of(thread)).text
    assert rendered == [thread.first_post_id, reply.id], "Ines's page reuses both posts"
    assert forms_token(junes_page, reply.id) != forms_token(ines_page, reply.id)
    assert post_html.CSRF_SLOT not in ines_page
    # The token Ines was given is hers: the support she sends with it arrives.
    token = forms_token(ines_page, reply.id)
    sent = ines.post(f"/p/{reply.id}/react", data={"kind": "hugs", "csrf_token": token})
    assert sent.status_code == 302
    assert 'aria-pressed="true"' in post_of(ines.get(path_of(thread)).text, reply.id)
    assert 'aria-pressed="true"' not in post_of(june.get(path_of(thread)).text, reply.id)


def post_of(page: str, post_id: int) -> str:
    start = page.index(f'id="p{post_id}"')
    return page[start : page.index("</article>", start)]


def test_what_one_member_may_do_is_never_shown_to_another(app, make):
    thread = make.thread(title="Scan on Friday")
    june = make.member("june")
    own = make.reply(thread, author=june, body="My own words")
    as_june, as_ines, as_moderator = app.test_client(), app.test_client(), app.test_client()
    log_in(as_june, june)
    log_in(as_ines, make.member("ines"))
    log_in(as_moderator, make.moderator("mo"))
    for _ in range(2):  # rendered, then kept: the same either way
        junes = post_of(as_june.get(path_of(thread)).text, own.id)
        ines = post_of(as_ines.get(path_of(thread)).text, own.id)
        moderators = post_of(as_moderator.get(path_of(thread)).text, own.id)
        assert "Edit</a>" in junes and "Report</a>" not in junes
        assert "Edit</a>" not in ines and "Report</a>" in ines and "Moderate</a>" not in ines
        assert "Moderate</a>" in moderators


def test_a_post_cannot_carry_the_token_slot_into_a_page(app, make):
    """The slot is an HTML comment; sanitising turns a member's copy of it into text."""
    thread = make.thread(title="Scan on Friday")
    written = make.reply(thread, body=f"Look: {post_html.CSRF_SLOT} and `{post_html.CSRF_SLOT}`")
    reader = app.test_client()
    log_in(reader, make.member("june"))
    page = reader.get(path_of(thread)).text
    token = forms_token(page, written.id)
    body = post_of(page, written.id)
    assert token not in body[: body.index('action="/p/')]
    assert "&lt;!--harbor-csrf-token--&gt;" in body


def test_the_empty_reply_box_is_kept_but_a_draft_is_each_members_own(app, make):
    thread = make.thread(title="Scan on Friday")
    june, ines = make.member("june"), make.member("ines")
    community.save_draft(june, "Half a thought about my scan", thread=thread)
    as_june, as_ines = app.test_client(), app.test_client()
    log_in(as_june, june)
    log_in(as_ines, ines)
    first = reply_box_of(as_ines.get(path_of(thread)).text)
    junes = reply_box_of(as_june.get(path_of(thread)).text)
    again = reply_box_of(as_ines.get(path_of(thread)).text)
    assert "Half a thought about my scan" in junes
    assert "Half a thought" not in first and "Half a thought" not in again
    # The kept box, with Ines's own token filled in again (signed afresh: it carries a time).
    token = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+"')
    assert token.sub(r'\1"', again) == token.sub(r'\1"', first)
    assert post_html.CSRF_SLOT not in again
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', again)


def reply_box_of(page: str) -> str:
    start = page.index('<section class="reply"')
    return page[start : page.index("</section>", start)]
