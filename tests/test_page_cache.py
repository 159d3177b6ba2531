"""Pages and posts are kept rendered and handed out again until anything on them changes.

A visitor's second look at a thread costs one read (the page generation). Any change
a page could show moves the generation on in the same commit, so the next visitor sees it
at once; a member's own reading place does not. Members never get a kept page, but share
kept posts with members who may do the same things with them, each with their own token.
"""

import re

import pytest
from sqlalchemy import text

from forum import page_cache
from forum.extensions import db
from forum.models import ReactionKind, ReportReason, User
from forum.services import accounts, community, moderation, reading
from forum.threads import post_html
from forum.threads.forms import ReplyForm

from .factories import log_in, submit


def path_of(thread, page: int | None = None) -> str:
    return f"/t/{thread.id}/{thread.slug}" + (f"?page={page}" if page else "")


@pytest.fixture
def generation_reads(monkeypatch):
    """Each read of the page generation, which goes to the driver without SQLAlchemy (so
    the statement counter does not see it), noted in a list."""
    reads = []
    real = page_cache.current_generation
    monkeypatch.setattr(page_cache, "current_generation",
                        lambda: reads.append("generation") or real())  # fmt: skip
    return reads


def test_a_visitors_second_look_is_the_kept_page_for_one_read(
    client, make, count_statements, generation_reads
):
    thread = make.thread(title="Scanxiety, again", body="Three days until the results.")
    path = path_of(thread)
    first = client.get(path)
    generation_reads.clear()
    with count_statements() as counted:
        again = client.get(path)
    assert counted.count == 0, counted.statements
    assert generation_reads == ["generation"]
    assert again.data == first.data and "Three days until the results." in again.text
    # Headers are added afresh: the kept page is the same page, with the same tag.
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


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
def test_a_change_shows_to_the_next_visitor_at_once(client, make, count_statements, change):
    thread = make.thread(title="Scan on Friday")
    reply = make.reply(thread, body="Thinking of you")
    make_change, shown, gone = CHANGES[change]
    path = path_of(thread)
    before = client.get(path).text
    assert (shown is None or shown not in before) and (gone is None or gone in before)
    with count_statements() as counted:
        assert client.get(path).text == before
    assert counted.count == 0, "kept"
    make_change(thread, reply, make)
    after = client.get(path, follow_redirects=True).text  # a new title moves the address
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


def test_only_the_page_argument_makes_a_kept_copy(client, make, count_statements, generation_reads):
    path = path_of(make.thread()) + "?from=newsletter"
    for _ in range(2):
        with count_statements() as counted:
            client.get(path)
    assert generation_reads == [] and counted.count == 3, "a stray argument renders, unkept"


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


def test_the_empty_reply_box_is_kept_but_a_draft_is_each_members_own(app, make, monkeypatch):
    thread = make.thread(title="Scan on Friday")
    forms = []
    monkeypatch.setattr(post_html, "ReplyForm",
                        lambda **kwargs: forms.append(kwargs) or ReplyForm(**kwargs))  # fmt: skip
    june, ines = make.member("june"), make.member("ines")
    community.save_draft(june, "Half a thought about my scan", thread=thread)
    as_june, as_ines = app.test_client(), app.test_client()
    log_in(as_june, june)
    log_in(as_ines, ines)
    first = reply_box_of(as_ines.get(path_of(thread)).text)
    junes = reply_box_of(as_june.get(path_of(thread)).text)
    again = reply_box_of(as_ines.get(path_of(thread)).text)
    # One empty form made for Ines's first look, one around June's draft; none the second time.
    assert [form["data"]["body"] for form in forms] == ["", "Half a thought about my scan"]
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


# What the audit asked of keeping: it must fail safe


def test_the_generation_is_read_first_even_for_a_stale_cookie(
    app, make, count_statements, monkeypatch
):
    """On SQLite the first read fixes a request's snapshot: loading someone from a cookie
    before the number is read could file an older page under a newer number."""
    thread = make.thread()
    june = make.member("june")
    stale = app.test_client()
    log_in(stale, june)
    accounts._end_every_session(june)  # her cookie now names a session that has ended
    db.session.commit()
    path = path_of(thread)
    real = page_cache.current_generation
    with count_statements() as counted:
        # In the counter's own list, to see which came first.
        monkeypatch.setattr(page_cache, "current_generation",
                            lambda: counted.statements.append("generation") or real())  # fmt: skip
        page = stale.get(path)
    assert page.status_code == 200 and "Log in" in page.text
    assert counted.statements[0] == "generation"
    assert any("FROM users" in statement for statement in counted.statements[1:])


@pytest.mark.parametrize("query", ["?page=01", "?page=1&page=2", "?page=", "?Page=1"])
def test_only_the_page_written_plainly_is_kept(client, make, count_statements, query):
    thread = make.thread()
    for _ in range(2):
        with count_statements() as counted:
            client.get(path_of(thread) + query)
    assert counted.count > 0, "each look rendered afresh: nothing kept under a made-up address"


def test_the_index_is_kept_only_without_arguments(client, make, count_statements):
    make.thread()
    for _ in range(2):
        with count_statements() as counted:
            client.get("/?page=7")
    assert counted.count > 0
    client.get("/")
    with count_statements() as counted:
        client.get("/")
    assert counted.count == 0


def test_without_redis_pages_are_rendered_afresh_not_refused(build_app, make):
    # Nothing listens on port 1: every get and set fails at once.
    unreachable = build_app(CACHE_URL="redis://127.0.0.1:1/1")
    thread = make.thread(title="Scan on Friday")
    make.reply(thread, body="Thinking of you")
    visitor, member = unreachable.test_client(), unreachable.test_client()
    log_in(member, make.member("june"))
    for reader in (visitor, visitor, member, member):
        page = reader.get(path_of(thread))
        assert page.status_code == 200 and "Thinking of you" in page.text
    assert post_html.CSRF_SLOT not in page.text and "Post reply" in page.text


def test_a_savepoint_rolled_back_keeps_what_came_before_it(make, ctx):
    thread = make.thread(title="Scan on Friday")
    before = page_cache.current_generation()
    thread.title = "Scan moved to Monday"
    db.session.flush()
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert page_cache.current_generation() == before + 1
    savepoint = db.session.begin_nested()  # and a savepoint alone changes nothing
    savepoint.rollback()
    db.session.commit()
    assert page_cache.current_generation() == before + 1


def test_cache_forget_makes_every_kept_page_stale(client, runner, make, count_statements):
    """For a database changed behind the app's back, as pg_restore does."""
    thread = make.thread(title="Scan on Friday")
    path = path_of(thread)
    client.get(path)
    with db.engine.begin() as connection:  # not through the session: nothing moves on
        connection.execute(text("UPDATE threads SET title = 'Put back from a backup'"))
    assert "Scan on Friday" in client.get(path).text
    result = runner.invoke(args=["cache", "forget"])
    assert result.exit_code == 0 and "stale" in result.output
    assert "Put back from a backup" in client.get(path).text


def test_a_removed_post_shows_each_reader_what_they_may_see_once_kept(app, make):
    thread = make.thread(title="Scan on Friday")
    june = make.member("june")
    removed = make.reply(thread, author=june, body="Words a moderator removed")
    moderation.hide_post(removed, make.moderator("mo"), ReportReason.OTHER)
    readers = {"visitor": app.test_client(), "author": app.test_client(),
               "member": app.test_client(), "moderator": app.test_client()}  # fmt: skip
    log_in(readers["author"], june)
    log_in(readers["member"], make.member("ines"))
    log_in(readers["moderator"], make.moderator("kai"))
    for _ in range(2):  # rendered, then kept
        seen = {who: post_of(reader.get(path_of(thread)).text, removed.id)
                for who, reader in readers.items()}  # fmt: skip
        for who in ("visitor", "member"):
            assert "Removed by a moderator" in seen[who]
            assert "Words a moderator removed" not in seen[who]
        assert "Words a moderator removed" in seen["author"] and "you wrote it" in seen["author"]
        assert "Words a moderator removed" in seen["moderator"]
        assert "you are staff" in seen["moderator"]


def test_a_kept_post_cannot_ask_who_is_reading():
    with pytest.raises(RuntimeError, match="Viewing"):
        assert post_html.NoReader().is_authenticated


def test_a_member_logging_in_keeps_visitors_pages_but_a_new_name_does_not(app, make, ctx):
    june = make.member("june")
    before = page_cache.current_generation()
    log_in(app.test_client(), june)  # notes her visit on her row
    assert page_cache.current_generation() == before
    june = db.session.get(User, june.id)
    accounts.update_profile(june, "June B", "Stage IV since 2021", "", june.email_frequency)
    assert page_cache.current_generation() == before + 1


def test_private_messages_and_reports_keep_visitors_pages(make, ctx):
    thread = make.thread()
    reply = make.reply(thread, body="Thinking of you")
    june, ines = make.member("june"), make.member("ines")
    before = page_cache.current_generation()
    make.conversation(author=june, recipients=[ines], body="How did the scan go?")
    moderation.report_post(reply, ines, ReportReason.OTHER, "Not sure this belongs here")
    assert page_cache.current_generation() == before
