"""Who may reach what, and that no form is accepted without its token.

Both tests walk ``app.url_map``, so a new route is checked the day it is added: it fails
here until it has an example URL (factories.example_paths) and a row in the matrix.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import FOREVER, Case, EmailFrequency, Notification, ReportReason, User, WordAction
from forum.services import messaging, moderation, posting

from .factories import Factories, csrf_token, example_paths, log_in

ROLES = ("anonymous", "member", "silenced", "suspended", "moderator", "admin")


@dataclass
class World:
    """A small forum with one of everything a URL can name, seen by ``visitor``."""

    values: dict
    visitor: User | None


def build_world(make: Factories, role: str) -> World:
    """Everyone is here so each role meets the same world; only ``role`` logs in.

    The things URLs point at belong to "author", a seventh member: nobody walking the
    matrix owns the post or thread, so rules for authors show as refusals.
    """
    admin = make.admin("admin")
    people = {
        "member": make.member("member"),
        "silenced": make.member("silenced"),
        "suspended": make.member("suspended"),
        "moderator": make.moderator("moderator"),
        "admin": admin,
    }
    author = make.member("author")
    board = make.board("treatments")
    board.allows_anonymous = True
    thread = make.thread(board=board, author=author, title="Starting a new treatment")
    # Anonymous, so that "reveal author" has something to reveal.
    reply = posting.reply(thread, author, "Thinking of you all.", anonymous=True)
    moderation.report_post(reply, people["member"], ReportReason.UNKIND, "Not kind.")
    conversation = messaging.start_conversation(
        admin, [author, *(people[name] for name in ("member", "silenced", "moderator"))],
        "Checking in", "How is everyone?",
    )  # fmt: skip
    message = messaging.reply(conversation, author, "Better today, thank you.")
    word = moderation.add_watched_word("bitcoin", WordAction.FLAG, admin)
    # A mention tells "member" (and only "member") something.
    posting.reply(thread, author, "@member, you asked about this.")
    notification_id = db.session.scalar(
        select(func.max(Notification.id)).where(Notification.user_id == people["member"].id)
    )
    db.session.commit()
    values = {
        "slug": board.slug, "thread_id": thread.id, "post_id": reply.id, "username": "author",
        "case_id": db.session.scalar(select(Case.id)), "word_id": word.id,
        "notification_id": notification_id, "conversation_id": conversation.id,
        "message_id": message.id, "token": "not-a-token",
    }  # fmt: skip
    return World(values, people.get(role))


def enter_as(client, world: World, role: str) -> str:
    """Log the visitor in and return their session's form token.

    A silenced or suspended member's sanction comes after they logged in: a suspension
    must end a session that is already open, not only stop the next log in.
    """
    if world.visitor is not None:
        log_in(client, world.visitor)
    token = csrf_token(client)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if role == "silenced":
        moderation.silence(world.visitor, admin, "A pause.", FOREVER)
    if role == "suspended":
        moderation.suspend(world.visitor, admin, "A longer pause.", None)
    return token


# What each role gets from each route. POSTs carry a valid form token and nothing else
# (see walk_posts). LOGIN is a redirect to the login page; 302 and 301 go anywhere else.
# A suspended member's open session is simply gone, so they meet what a visitor meets.
LOGIN = "log in"
L = LOGIN
# fmt: off
MATRIX = {
    #                                         anonymous member silenced suspended moderator admin
    # Open to everyone (signed-in members are sent on from the join and login forms)
    ("GET", "/"):                                  (200, 200, 200, 200, 200, 200),
    ("GET", "/healthz"):                           (200, 200, 200, 200, 200, 200),
    ("GET", "/robots.txt"):                        (200, 200, 200, 200, 200, 200),
    ("GET", "/b/<slug>"):                          (200, 200, 200, 200, 200, 200),
    ("GET", "/b/<slug>/feed.atom"):                (200, 200, 200, 200, 200, 200),
    ("GET", "/t/<int:thread_id>"):                 (301, 301, 301, 301, 301, 301),
    ("GET", "/t/<int:thread_id>/<slug>"):          (301, 301, 301, 301, 301, 301),
    ("GET", "/t/<int:thread_id>/unread"):          (302, 302, 302, 302, 302, 302),
    ("GET", "/t/<int:thread_id>/feed.atom"):       (200, 200, 200, 200, 200, 200),
    ("GET", "/p/<int:post_id>"):                   (302, 302, 302, 302, 302, 302),
    ("GET", "/p/<int:post_id>/quote"):             (200, 200, 200, 200, 200, 200),
    ("GET", "/p/<int:post_id>/reactions"):         (200, 200, 200, 200, 200, 200),
    ("GET", "/u/<username>"):                      (200, 200, 200, 200, 200, 200),
    ("GET", "/mentors"):                           (200, 200, 200, 200, 200, 200),
    ("GET", "/search"):                            (200, 200, 200, 200, 200, 200),
    ("GET", "/register"):                          (200, 302, 302, 200, 302, 302),
    ("POST", "/register"):                         (200, 302, 302, 200, 302, 302),
    ("GET", "/login"):                             (200, 302, 302, 200, 302, 302),
    ("POST", "/login"):                            (200, 302, 302, 200, 302, 302),
    ("GET", "/reset"):                             (200, 200, 200, 200, 200, 200),
    ("POST", "/reset"):                            (200, 200, 200, 200, 200, 200),
    # Emailed links: the signed token is the key, whoever holds it (this one is not valid)
    ("GET", "/confirm/<token>"):                   (400, 400, 400, 400, 400, 400),
    ("POST", "/confirm/<token>"):                  (400, 400, 400, 400, 400, 400),
    ("GET", "/reset/<token>"):                     (400, 400, 400, 400, 400, 400),
    ("POST", "/reset/<token>"):                    (400, 400, 400, 400, 400, 400),
    ("GET", "/unsubscribe/<token>"):               (400, 400, 400, 400, 400, 400),
    ("POST", "/unsubscribe/<token>"):              (400, 400, 400, 400, 400, 400),
    # Members, silenced ones too: their own pages, reading places, watches, support
    ("POST", "/logout"):                           (L,   302, 302, L,   302, 302),
    ("POST", "/confirm/resend"):                   (L,   302, 302, L,   302, 302),
    ("GET", "/settings"):                          (L,   200, 200, L,   200, 200),
    ("POST", "/settings"):                         (L,   200, 200, L,   200, 200),
    ("POST", "/settings/password"):                (L,   200, 200, L,   200, 200),
    ("POST", "/settings/sessions"):                (L,   302, 302, L,   302, 302),
    ("POST", "/settings/email"):                   (L,   200, 200, L,   200, 200),
    ("GET", "/settings/blocked"):                  (L,   200, 200, L,   200, 200),
    ("GET", "/settings/export"):                   (L,   200, 200, L,   200, 200),
    ("GET", "/settings/export.zip"):               (L,   200, 200, L,   200, 200),
    ("GET", "/notifications"):                     (L,   200, 200, L,   200, 200),
    ("POST", "/notifications/read"):               (L,   302, 302, L,   302, 302),
    ("POST", "/warnings/acknowledge"):             (L,   302, 302, L,   302, 302),
    ("GET", "/bookmarks"):                         (L,   200, 200, L,   200, 200),
    ("POST", "/b/<slug>/<any(watch, unwatch):choice>"): (L, 302, 302, L, 302, 302),
    ("POST", "/b/<slug>/read"):                    (L,   302, 302, L,   302, 302),
    ("POST", "/t/<int:thread_id>/<any(watch, unwatch):choice>"): (L, 302, 302, L, 302, 302),
    ("POST", "/t/<int:thread_id>/read"):           (L,   400, 400, L,   400, 400),  # no number sent
    ("POST", "/drafts/save"):                      (L,   400, 400, L,   400, 400),  # nor a place
    ("POST", "/p/<int:post_id>/react"):            (L,   302, 302, L,   302, 302),
    ("POST", "/p/<int:post_id>/bookmark"):         (L,   302, 302, L,   302, 302),
    ("POST", "/u/<username>/<any(block, unblock):action>"): (L, 302, 302, L, 302, 302),
    # A notification is its owner's ("member" was mentioned): nobody else finds it
    ("POST", "/notifications/<int:notification_id>/open"): (L, 302, 404, L, 404, 404),
    # Members who may speak: the silenced are told why
    ("GET", "/b/<slug>/new"):                      (L,   200, 403, L,   200, 200),
    ("POST", "/b/<slug>/new"):                     (L,   200, 403, L,   200, 200),
    ("POST", "/t/<int:thread_id>/reply"):          (L,   200, 409, L,   200, 200),
    ("GET", "/p/<int:post_id>/report"):            (L,   200, 403, L,   200, 200),
    ("POST", "/p/<int:post_id>/report"):           (L,   200, 403, L,   200, 200),
    # Authors only, and the post is "author"'s: staff edit from /mod instead
    ("GET", "/p/<int:post_id>/edit"):              (L,   403, 403, L,   403, 403),
    ("POST", "/p/<int:post_id>/edit"):             (L,   403, 403, L,   403, 403),
    ("GET", "/p/<int:post_id>/delete"):            (L,   403, 403, L,   403, 403),
    ("POST", "/p/<int:post_id>/delete"):           (L,   403, 403, L,   403, 403),
    # Peer mentors only, and nobody here is one
    ("POST", "/settings/mentor"):                  (L,   403, 403, L,   403, 403),
    # Members may delete their accounts; staff hand back their role first
    ("GET", "/settings/delete"):                   (L,   200, 200, L,   403, 403),
    ("POST", "/settings/delete"):                  (L,   200, 200, L,   403, 403),
    # Private messages: everyone walking is in the conversation, written by "author"
    ("GET", "/messages"):                          (L,   200, 200, L,   200, 200),
    ("GET", "/messages/new"):                      (L,   200, 403, L,   200, 200),
    ("POST", "/messages/new"):                     (L,   200, 403, L,   200, 200),
    ("GET", "/messages/<int:conversation_id>"):    (L,   200, 200, L,   200, 200),
    ("POST", "/messages/<int:conversation_id>/reply"): (L, 400, 400, L,  400, 400),  # no words
    ("POST", "/messages/<int:conversation_id>/read"): (L,  302, 302, L,  302, 302),
    ("POST", "/messages/<int:conversation_id>/leave"): (L, 302, 302, L,  302, 302),
    # The silenced may still report a message sent to them: their safety comes first
    ("GET", "/messages/m/<int:message_id>/report"): (L,  200, 200, L,   200, 200),
    ("POST", "/messages/m/<int:message_id>/report"): (L, 200, 200, L,   200, 200),
    # Staff
    ("GET", "/mod"):                               (L,   403, 403, L,   200, 200),
    ("GET", "/mod/reports"):                       (L,   403, 403, L,   200, 200),
    ("POST", "/mod/cases/<int:case_id>/resolve"):  (L,   403, 403, L,   302, 302),
    ("GET", "/mod/queue"):                         (L,   403, 403, L,   200, 200),
    ("POST", "/mod/p/<int:post_id>/<any(approve, reject):decision>"): (L, 403, 403, L, 302, 302),
    ("POST", "/mod/t/<int:thread_id>/<any(pin, unpin, lock, unlock, hide, restore):action>"):
                                                   (L,   403, 403, L,   302, 302),
    ("POST", "/mod/t/<int:thread_id>/move"):       (L,   403, 403, L,   302, 302),
    ("POST", "/mod/t/<int:thread_id>/rename"):     (L,   403, 403, L,   302, 302),
    ("POST", "/mod/t/<int:thread_id>/merge"):      (L,   403, 403, L,   302, 302),
    ("GET", "/mod/t/<int:thread_id>/split"):       (L,   403, 403, L,   200, 200),
    ("POST", "/mod/t/<int:thread_id>/split"):      (L,   403, 403, L,   200, 200),
    ("GET", "/mod/p/<int:post_id>"):               (L,   403, 403, L,   200, 200),
    ("POST", "/mod/p/<int:post_id>/hide"):         (L,   403, 403, L,   302, 302),
    ("POST", "/mod/p/<int:post_id>/restore"):      (L,   403, 403, L,   302, 302),
    ("GET", "/mod/p/<int:post_id>/edit"):          (L,   403, 403, L,   200, 200),
    ("POST", "/mod/p/<int:post_id>/edit"):         (L,   403, 403, L,   302, 302),
    ("POST", "/mod/p/<int:post_id>/note"):         (L,   403, 403, L,   302, 302),
    ("POST", "/mod/p/<int:post_id>/reveal"):       (L,   403, 403, L,   302, 302),
    ("GET", "/mod/p/<int:post_id>/history"):       (L,   403, 403, L,   200, 200),
    ("GET", "/mod/u/<username>"):                  (L,   403, 403, L,   200, 200),
    ("POST", "/mod/u/<username>/<any(warn, silence, suspend, lift):action>"):
                                                   (L,   403, 403, L,   302, 302),
    ("POST", "/mod/u/<username>/note"):            (L,   403, 403, L,   302, 302),
    ("GET", "/mod/log"):                           (L,   403, 403, L,   200, 200),
    ("GET", "/mod/help/crisis"):                   (L,   403, 403, L,   200, 200),
    # Admins
    ("GET", "/mod/help/crisis/edit"):              (L,   403, 403, L,   403, 200),
    ("POST", "/mod/help/crisis/edit"):             (L,   403, 403, L,   403, 302),
    ("GET", "/mod/words"):                         (L,   403, 403, L,   403, 200),
    ("POST", "/mod/words"):                        (L,   403, 403, L,   403, 200),
    ("POST", "/mod/words/<int:word_id>/delete"):   (L,   403, 403, L,   403, 302),
    ("GET", "/mod/boards"):                        (L,   403, 403, L,   403, 200),
    ("POST", "/mod/boards/<slug>"):                (L,   403, 403, L,   403, 302),
    ("POST", "/mod/u/<username>/role"):            (L,   403, 403, L,   403, 302),
    ("POST", "/mod/u/<username>/delete"):          (L,   403, 403, L,   403, 302),
    ("POST", "/mod/u/<username>/remember"):        (L,   403, 403, L,   403, 302),
    ("POST", "/mod/u/<username>/mentor"):          (L,   403, 403, L,   403, 302),
    # ... and only for a member who is remembered, which "author" is not
    ("POST", "/mod/u/<username>/unremember"):      (L,   403, 403, L,   403, 403),
}
# fmt: on
# Walked last, in this order: after them the visitor is no longer where they were.
SESSION_ENDING = ("messages.leave", "auth.logout")


def routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in ("GET", "POST")
        if method in rule.methods
    }


def test_the_matrix_has_a_row_for_every_route_and_no_more(app):
    assert set(MATRIX) == routes(app)


def outcome(response):
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/login"):
        return LOGIN
    return response.status_code


def table_rows() -> dict[str, list[tuple]]:
    """Every row of every table: enough to see that nothing at all was written."""
    return {
        table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def walk_gets(app, client, world):
    for rule, path in example_paths(app, world.values, methods={"GET"}):
        yield "GET", rule, path, client.get(path)


def walk_posts(app, client, world, token):
    """Each POST with the session's valid token and no fields.

    A real token meets the route exactly as a browser's form would (the token check runs
    first, before any guard), which a copy of the app with CSRF switched off would not.
    With no fields, the forms' required fields keep nearly every action from happening,
    so one small world serves a whole walk; the button-only actions that do act (watch,
    bookmark, hide with an optional reason...) leave everything reachable.
    """
    paths = list(example_paths(app, world.values, methods={"POST"}))
    paths.sort(key=lambda pair: SESSION_ENDING.index(pair[0].endpoint)
               if pair[0].endpoint in SESSION_ENDING else -1)  # fmt: skip
    for rule, path in paths:
        yield "POST", rule, path, client.post(path, data={"csrf_token": token})


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_matrix_says(app, client, make, role):
    world = build_world(make, role)
    token = enter_as(client, world, role)
    column = ROLES.index(role)
    unexpected = []

    def check(method, rule, path, response):
        expected = MATRIX[(method, rule.rule)][column]
        if outcome(response) != expected:
            unexpected.append(f"{method} {path}: {outcome(response)}, expected {expected}")

    before = table_rows()
    for method, rule, path, response in walk_gets(app, client, world):
        check(method, rule, path, response)
    assert table_rows() == before, "a GET wrote to the database"
    for method, rule, path, response in walk_posts(app, client, world, token):
        check(method, rule, path, response)
    assert unexpected == []
    if role in ("anonymous", "suspended"):
        assert table_rows() == before, "someone without a session changed something"
    if role in ("member", "silenced"):
        assert table_rows()["moderation_log"] == before["moderation_log"]


# Mail programs unsubscribe with one click (RFC 8058) and cannot send a form token; the
# signed link is the proof there. Nothing else may be exempt.
CSRF_EXEMPT = {"users.unsubscribe"}
# What a person might have typed: the resubmit page must offer it back, and nothing else.
TYPED = {"title": "My scan results", "body": "Stable again!", "reason": "spam",
         "note": "Just checking", "number": "1", "kind": "love"}  # fmt: skip


def refusal(response) -> str | None:
    """Which friendly CSRF page this is, if it is one."""
    if response.status_code != 400:
        return None
    if "Please press send again" in response.text:
        return "resubmit"
    if "We couldn't accept that form" in response.text:
        return "refused"
    return None


@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_every_post_without_a_token_is_refused_and_changes_nothing(app, client, make, role):
    """From this site the words come back to send again; from another, nothing is echoed."""
    world = build_world(make, role)
    enter_as(client, world, role)
    before = table_rows()
    accepted, checked = set(), 0
    for rule, path in example_paths(app, world.values, methods={"POST"}):
        ours = client.post(path, data=TYPED)
        theirs = client.post(path, data=TYPED, headers={"Origin": "https://elsewhere.example"})
        if rule.endpoint in CSRF_EXEMPT:
            accepted.add(rule.endpoint)
            assert refusal(ours) is None and refusal(theirs) is None, path
            continue
        assert refusal(ours) == "resubmit", path
        assert "Stable again!" in ours.text and "My scan results" in ours.text, path
        assert refusal(theirs) == "refused", path
        assert "Stable again!" not in theirs.text, path
        checked += 1
    assert accepted == CSRF_EXEMPT
    assert checked >= 60
    assert table_rows() == before


def test_the_one_exempt_post_works_with_its_signed_link_alone(app, client, make):
    from forum.services.mail import unsubscribe_url

    rosa = make.member("rosa")
    link = unsubscribe_url(rosa).removeprefix(app.config["BASE_URL"])
    response = client.post(link, headers={"Origin": "https://mail.example"})
    assert response.status_code == 200
    assert db.session.get(User, rosa.id).email_frequency is EmailFrequency.NEVER


def post_routes(app):
    """Every route about one post outside /mod, with its methods."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/p/<int:post_id>"):
            yield rule.rule.replace("<int:post_id>", "{}"), rule.methods & {"GET", "POST"}


def answers(client, path: str, methods: set[str], token: str) -> dict[str, int]:
    found = {}
    if "GET" in methods:
        found["GET"] = client.get(path).status_code
    if "POST" in methods:
        found["POST"] = client.post(path, data={"csrf_token": token, "reason": "spam"}).status_code
    return found


def test_a_post_one_may_not_read_is_not_there_on_any_post_route(app, client, make, default_gates):
    """Held, hidden, or in a hidden thread: 404 everywhere, as if it did not exist, so no
    route tells a member more than the post's own page does. 403 is for a post they may
    read but not act on: a held post's own author may not report it."""
    newcomer = make.newcomer("newcomer", confirmed=True)
    thread = make.thread(author=make.moderator("mo"), title="Starting a new treatment")
    held = posting.reply(thread, newcomer, "My first words here.")
    hidden = make.reply(thread, body="Words a moderator removed.")
    moderation.hide_post(hidden, make.moderator(), ReportReason.OTHER)
    hidden_thread = make.thread(author=make.moderator(), title="A thread a moderator hid")
    moderation.set_thread_hidden(hidden_thread, make.moderator(), True, "Off topic")
    unreadable = {"held": held.id, "hidden": hidden.id, "in a hidden thread":
                  hidden_thread.first_post_id}  # fmt: skip
    routes = list(post_routes(app))
    assert len(routes) >= 8

    log_in(client, make.member("jun"))
    token = csrf_token(client)
    for kind, post_id in unreadable.items():
        for path, methods in routes:
            # A hidden post's placeholder is in its thread for all to see, so its own link
            # still leads there; nothing else about it answers.
            wanted = 302 if (kind, path) == ("hidden", "/p/{}") else 404
            for method, status in answers(client, path.format(post_id), methods, token).items():
                assert status == wanted, f"{method} {path.format(post_id)} ({kind}): {status}"
    assert answers(client, f"/p/{thread.first_post_id}/report", {"GET"}, token) == {"GET": 200}

    client.post("/logout", data={"csrf_token": token})
    log_in(client, newcomer)
    token = csrf_token(client)
    assert answers(client, f"/p/{held.id}/report", {"GET", "POST"}, token) == {
        "GET": 403, "POST": 403}  # fmt: skip
