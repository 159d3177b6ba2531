"""Moderators keeping Harbor safe: the queues, curation, sanctions and the log."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from forum import policy
from forum.extensions import db
from forum.models import (
    Board,
    Case,
    ModerationLog,
    Notification,
    Post,
    PostState,
    Report,
    Role,
    Sanction,
    Thread,
    ThreadState,
    User,
    utcnow,
)
from forum.services import moderation, posting

from .factories import PASSWORD, count, csrf_token, example_paths, log_in, run_at_once, submit


def opening(thread) -> Post:
    return db.session.get(Post, thread.first_post_id)


def log_actions() -> list[str]:
    return db.session.scalars(select(ModerationLog.action).order_by(ModerationLog.id)).all()


def log_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


# Who may do what


def test_every_mod_page_turns_away_visitors_and_members(app, client, make):
    thread = make.thread()
    values = {"thread_id": thread.id, "post_id": thread.first_post_id, "username": "target",
              "case_id": 1, "word_id": 1, "notification_id": 1, "slug": "board", "token": "x",
              "decision": "approve", "conversation_id": 1, "message_id": 1}  # fmt: skip
    make.member("target")
    mod_paths = [(rule, path) for rule, path in example_paths(app, values)
                 if rule.rule.startswith("/mod")]  # fmt: skip
    assert len(mod_paths) >= 25

    def visit(rule, path):
        if "GET" in rule.methods:
            return client.get(path)
        return client.post(path, data={"csrf_token": csrf_token(client), "reason": "x"})

    for rule, path in mod_paths:
        response = visit(rule, path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path

    log_in(client, make.member("plain"))
    for rule, path in mod_paths:
        assert visit(rule, path).status_code == 403, path
    assert log_actions() == []


MEMBER, MODERATOR, ADMIN = Role.MEMBER, Role.MODERATOR, Role.ADMIN


@pytest.mark.parametrize(
    ("actor_role", "target_role", "allowed"),
    [
        (MEMBER, MEMBER, False),
        (MODERATOR, MEMBER, True),
        (MODERATOR, MODERATOR, False),
        (MODERATOR, ADMIN, False),
        (ADMIN, MEMBER, True),
        (ADMIN, MODERATOR, True),
        (ADMIN, ADMIN, False),
    ],
)
def test_who_may_sanction_whom(make, actor_role, target_role, allowed):
    actor, target = make.member(role=actor_role), make.member(role=target_role)
    assert policy.can_sanction(actor, target) is allowed
    assert policy.can_sanction(actor, actor) is False


def test_an_admin_makes_a_member_a_moderator_and_it_is_logged(client, make):
    member = make.member("helper")
    log_in(client, make.admin())
    submit(client, "/mod/u/helper/role", {"role": "moderator", "reason": "Trusted volunteer"})
    assert db.session.get(User, member.id).role is Role.MODERATOR
    entry = db.session.scalar(select(ModerationLog))
    assert (entry.action, entry.reason, entry.details) == (
        "set-role", "Trusted volunteer", {"role": ["member", "moderator"]})  # fmt: skip


def test_only_admins_manage_words_boards_and_roles(client, make):
    log_in(client, make.moderator())
    assert client.get("/mod/words").status_code == 403
    assert client.get("/mod/boards").status_code == 403
    member = make.member("rosa")
    assert submit(client, "/mod/u/rosa/role", {"role": "admin"}).status_code == 403
    assert db.session.get(User, member.id).role is Role.MEMBER


# Reports


def report(client, post, reason="spam", note=""):
    return submit(client, f"/p/{post.id}/report", {"reason": reason, "note": note})


def test_spam_is_reported_auto_hidden_then_confirmed_and_the_spammer_suspended(client, make):
    """The story from the issue, through the pages."""
    board = make.board()
    spammer = make.member("cheap_pills")
    thread = make.thread(board=board, author=make.member("rosa"), title="Coping with fatigue")
    spam = make.reply(thread, author=spammer, body="Cure cancer with these pills! Buy now")

    for name in ("ana", "ben", "cleo"):
        log_out(client)
        log_in(client, make.joined_long_ago(make.member(name)))
        response = report(client, spam, note="selling fake cures")
        assert "Thank you for telling us" in unescape(client.get(response.headers["Location"]).text)

    assert db.session.get(Post, spam.id).state is PostState.HIDDEN
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Hidden for now while moderators look at reports." in page and "Buy now" not in page

    log_out(client)
    log_in(client, make.moderator("mo"))
    assert "1</strong> posts hidden by members" in client.get("/mod").text or (
        "<strong>1</strong> post hidden by members" in client.get("/mod").text
    )
    queue = client.get("/mod/reports").text
    assert "Hidden by reports" in queue and "selling fake cures" in queue
    case = db.session.scalar(select(Case))
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "hidden", "reason": "Spam"})
    submit(client, "/mod/u/cheap_pills/suspend",
           {"reason": "Selling fake cures to members", "duration": "0"})  # fmt: skip

    assert log_actions() == ["auto-hide", "resolve-hidden", "suspend"]
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Removed by a moderator: Spam or a scam." in page
    log_page = client.get("/mod/log").text
    assert "Selling fake cures to members" in log_page and "auto-hide" in log_page

    log_out(client)
    response = submit(client, "/login", {"username": "cheap_pills", "password": PASSWORD})
    assert response.status_code == 403
    assert (
        "Selling fake cures to members" in response.text and "until further notice" in response.text
    )


def settled_member(make, name: str):
    """A member who has been here a while and posted: their reports count towards hiding."""
    return make.joined_long_ago(make.earn_trust(make.member(name)))


def report_as(client, member, post, reason="spam"):
    log_out(client)
    log_in(client, member)
    return report(client, post, reason)


def notices(member) -> list[str]:
    return db.session.scalars(
        select(Notification.text).where(Notification.user_id == member.id)
        .order_by(Notification.id)
    ).all()  # fmt: skip


def test_accounts_made_a_minute_ago_cannot_hide_a_members_post(client, make, default_gates):
    """The audit's story: three fresh accounts report a good post as spam."""
    rosa = settled_member(make, "rosa")
    thread = make.thread(author=rosa, title="Coping with fatigue", body="Short walks help me.")
    post = opening(thread)
    for name in ("fresh1", "fresh2", "fresh3"):
        response = report_as(client, make.newcomer(name), post)
        assert "Thank you for telling us" in unescape(client.get(response.headers["Location"]).text)

    assert db.session.get(Post, post.id).is_visible
    log_out(client)
    assert "Short walks help me." in client.get(f"/t/{thread.id}", follow_redirects=True).text
    # Still recorded, and still in the moderators' queue: only the hiding waits.
    log_in(client, make.moderator("mo"))
    queue = client.get("/mod/reports").text
    assert "Coping with fatigue" in queue and "Hidden by reports" not in queue
    assert db.session.scalar(select(Case.report_count)) == 3
    assert "auto-hide" not in log_actions()


def test_only_reports_from_members_who_earned_trust_count_towards_hiding(
    client, make, default_gates
):
    rosa = settled_member(make, "rosa")
    post = opening(make.thread(author=rosa, title="Coping with fatigue"))
    not_yet = [
        make.newcomer("unconfirmed"),  # here for ages, posted, but never confirmed an address
        make.joined_long_ago(make.member("quiet")),  # confirmed long ago, yet to post
        make.earn_trust(make.member("today")),  # confirmed and posted, all in their first day
    ]
    unconfirmed = make.joined_long_ago(not_yet[0])
    make.thread(author=unconfirmed, title="Hello")  # held, as a newcomer's first posts are
    for member in [*not_yet, settled_member(make, "ana"), settled_member(make, "ben")]:
        report_as(client, member, post)
    assert db.session.get(Post, post.id).is_visible
    report_as(client, settled_member(make, "cleo"), post)
    assert db.session.get(Post, post.id).is_hidden
    assert db.session.scalar(select(Case.report_count)) == 6


def test_a_moderators_report_counts_towards_hiding(client, make, default_gates):
    post = opening(make.thread(author=settled_member(make, "rosa")))
    for member in (settled_member(make, "ana"), settled_member(make, "ben"), make.moderator()):
        report_as(client, member, post)
    assert db.session.get(Post, post.id).is_hidden


def test_a_post_hidden_by_reports_waits_for_a_moderator_and_its_author_is_told(
    client, make, default_gates
):
    rosa = settled_member(make, "rosa")
    thread = make.thread(author=make.moderator(), title="Coping with fatigue")
    post = make.reply(thread, author=rosa, body="Short walks help me.")
    for name in ("ana", "ben", "cleo"):
        report_as(client, settled_member(make, name), post)

    log_out(client)
    page = unescape(client.get(f"/t/{thread.id}", follow_redirects=True).text)
    assert "Hidden for now while moderators look at reports." in page
    assert "Removed by a moderator" not in page and "Short walks" not in page
    log_in(client, rosa)
    page = unescape(client.get(f"/t/{thread.id}", follow_redirects=True).text)
    assert "Short walks help me." in page and "Removed by a moderator" not in page
    assert "waiting for a moderator to review it" in page
    assert notices(rosa)[-1] == (
        "Your post in “Coping with fatigue” is hidden for now because members reported it. "
        "A moderator will look at it soon; until then only you and the moderators can see it."
    )

    log_out(client)
    log_in(client, make.moderator("mo"))
    case = db.session.scalar(select(Case))
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "hidden", "reason": "Spam"})
    log_out(client)
    page = unescape(client.get(f"/t/{thread.id}", follow_redirects=True).text)
    assert "Removed by a moderator: Spam or a scam." in page and "Hidden for now" not in page
    assert notices(rosa)[-1] == (
        "A moderator looked at your post in “Coping with fatigue” and it stays hidden "
        "(Spam or a scam). Only you and the moderators can see it."
    )


def test_a_post_hidden_by_reports_comes_back_when_a_moderator_dismisses_them(
    client, make, default_gates
):
    rosa = settled_member(make, "rosa")
    post = opening(make.thread(author=rosa, title="Coping with fatigue"))
    for name in ("ana", "ben", "cleo"):
        report_as(client, settled_member(make, name), post)
    log_out(client)
    log_in(client, make.moderator("mo"))
    case = db.session.scalar(select(Case))
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "dismissed"})
    assert db.session.get(Post, post.id).is_visible
    assert notices(rosa)[-1] == (
        "A moderator restored your post in “Coping with fatigue”. Everyone can see it again."
    )


def test_authors_are_told_when_a_moderator_hides_or_restores_their_post(client, make):
    rosa = make.member("rosa")
    thread = make.thread(title="Coping with fatigue")
    post = make.reply(thread, author=rosa, body="Try this supplement")
    log_in(client, make.moderator("mo"))
    submit(client, f"/mod/p/{post.id}/hide", {"category": "misinformation", "reason": "unproven"})
    assert notices(rosa) == [
        "A moderator hid your post in “Coping with fatigue” (Medical misinformation). "
        "Only you and the moderators can see it now."
    ]
    submit(client, f"/mod/p/{post.id}/restore", {"reason": "Sources added"})
    assert notices(rosa)[-1] == (
        "A moderator restored your post in “Coping with fatigue”. Everyone can see it again."
    )
    assert db.session.get(User, rosa.id).unread_notifications == 2


def test_one_open_report_per_member_per_post(client, make):
    post = opening(make.thread())
    log_in(client, make.member())
    report(client, post)
    response = report(client, post, reason="unkind")
    assert "already reported" in unescape(client.get(response.headers["Location"]).text)
    assert count(Report) == 1


def test_someone_at_risk_goes_to_the_top_marked_urgent(client, make):
    older = make.thread(title="A spam thread")
    newer = make.thread(title="Feeling low tonight")
    log_in(client, make.member("friend"))
    report(client, opening(newer), reason="at-risk", note="she said goodbye")
    report(client, opening(older), reason="spam")
    log_out(client)
    log_in(client, make.moderator())
    queue = client.get("/mod/reports").text
    assert queue.index("Feeling low tonight") < queue.index("A spam thread")
    assert "Urgent: someone may be at risk" in queue
    assert "<strong>1</strong> urgent report" in client.get("/mod").text


def test_members_cannot_report_their_own_post_or_a_missing_one(client, make):
    member = make.member()
    thread = make.thread(author=member)
    log_in(client, member)
    assert client.get(f"/p/{thread.first_post_id}/report").status_code == 403
    assert report(client, type("Missing", (), {"id": 99999})).status_code == 404


def test_dismissing_an_auto_hidden_post_brings_it_back(client, make, app):
    post = opening(make.thread())
    for _ in range(app.config["REPORTS_TO_HIDE"]):
        reporter = make.joined_long_ago(make.member())
        moderation.report_post(post, reporter, moderation.ReportReason.UNKIND)
    assert db.session.get(Post, post.id).state is PostState.HIDDEN
    log_in(client, make.moderator())
    case = db.session.scalar(select(Case))
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "dismissed", "reason": "Fine"})
    assert db.session.get(Post, post.id).state is PostState.VISIBLE
    assert count(Report, Report.is_open) == 0


def test_two_moderators_resolving_one_case_give_one_result_and_one_log_entry(client, make):
    post = make.reply(make.thread())
    moderation.report_post(post, make.member(), moderation.ReportReason.SPAM)
    case = db.session.scalar(select(Case))
    log_in(client, make.moderator("first"))
    other = make.moderator("second").id
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "hidden", "reason": "a"})
    with pytest.raises(moderation.AlreadyHandled):
        moderation.resolve_case(
            case.id, db.session.get(User, other), moderation.Resolution.DISMISSED
        )
    response = submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "dismissed"})
    assert "already dealt with" in unescape(client.get(response.headers["Location"]).text)
    assert log_actions() == ["resolve-hidden"]
    assert db.session.get(Post, post.id).state is PostState.HIDDEN


def test_two_moderators_clicking_at_the_same_moment_give_one_result(app, make):
    post = opening(make.thread())
    moderation.report_post(post, make.member(), moderation.ReportReason.SPAM)
    case_id = db.session.scalar(select(Case.id))
    names = [make.moderator().username for _ in range(2)]
    outcomes = []

    def resolve(username, resolution):
        client = app.test_client()
        with app.app_context():
            log_in(client, db.session.scalar(select(User).where(User.username == username)))
            response = submit(client, f"/mod/cases/{case_id}/resolve", {"resolution": resolution})
            outcomes.append(response.status_code)

    run_at_once(resolve, list(zip(names, ("hidden", "dismissed"), strict=True)))
    assert outcomes == [302, 302]
    assert len([a for a in log_actions() if a.startswith("resolve-")]) == 1


def test_hide_and_warn_shows_the_author_a_warning_until_acknowledged(client, make):
    author = make.member("jo")
    post = make.reply(make.thread(), author=author)
    moderation.report_post(post, make.member(), moderation.ReportReason.UNKIND)
    case = db.session.scalar(select(Case))
    log_in(client, make.moderator())
    submit(client, f"/mod/cases/{case.id}/resolve",
           {"resolution": "hidden-warned", "reason": "Please be gentle with others."})  # fmt: skip
    log_out(client)
    log_in(client, author)
    page = client.get("/").text
    assert "A message from the moderators" in page and "Please be gentle with others." in page
    submit(client, "/warnings/acknowledge", {"next": "/"})
    assert "A message from the moderators" not in client.get("/").text
    assert log_actions() == ["resolve-hidden-warned"]


# First posts wait for approval


def test_a_newcomers_first_two_posts_wait_then_they_post_freely(client, make, default_gates):
    assert default_gates["FIRST_POSTS_HELD"] == 2
    newcomer = make.newcomer("nell")
    board = make.board()
    log_in(client, newcomer)
    submit(client, f"/b/{board.slug}/new", {"title": "Hello from Nell", "body": "First post"})
    thread = db.session.scalar(select(Thread))
    assert thread.state is ThreadState.HELD
    submit(client, f"/t/{thread.id}/reply", {"body": "Second post"})
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert [post.state for post in posts] == [PostState.HELD, PostState.HELD]
    assert db.session.get(Board, board.id).thread_count == 0

    # Only Nell and staff can see them; Nell sees they are waiting.
    own_view = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Waiting for a moderator" in own_view and "Second post" in own_view
    log_out(client)
    assert client.get(f"/t/{thread.id}", follow_redirects=True).status_code == 404
    assert client.get(f"/p/{posts[1].id}").status_code == 404

    log_in(client, make.moderator())
    queue = client.get("/mod/queue").text
    assert "First post" in queue and "Second post" in queue
    for post in posts:
        submit(client, f"/mod/p/{post.id}/approve")
    log_out(client)
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "First post" in page and "Second post" in page
    assert db.session.get(Board, board.id).thread_count == 1
    assert db.session.get(Board, board.id).post_count == 2
    assert db.session.get(User, newcomer.id).post_count == 2

    log_in(client, newcomer)
    submit(client, f"/t/{thread.id}/reply", {"body": "Third post, straight through"})
    assert db.session.scalar(select(Post).order_by(Post.id.desc())).state is PostState.VISIBLE
    notes = db.session.scalars(select(Notification.text)).all()
    assert len(notes) == 2 and all("approved your post" in note for note in notes)
    assert log_actions() == ["approve", "approve"]


def test_a_rejected_post_tells_its_author_why(client, make, default_gates):
    newcomer = make.newcomer("nell")
    thread = make.thread()
    log_in(client, newcomer)
    submit(client, f"/t/{thread.id}/reply", {"body": "Visit my shop"})
    held = db.session.scalar(select(Post).where(Post.state == PostState.HELD))
    log_out(client)
    log_in(client, make.moderator())
    refused = submit(client, f"/mod/p/{held.id}/reject", {"reason": ""})
    assert "Please give a reason" in unescape(client.get(refused.headers["Location"]).text)
    submit(client, f"/mod/p/{held.id}/reject", {"reason": "No advertising, please."})
    assert db.session.get(Post, held.id).state is PostState.REJECTED
    assert "No advertising, please." in db.session.scalar(select(Notification.text))
    again = submit(client, f"/mod/p/{held.id}/approve")
    assert "already dealt with" in unescape(client.get(again.headers["Location"]).text)
    assert log_actions() == ["reject"]


def test_a_board_can_hold_every_post_but_never_stafs(client, make):
    board = make.board()
    board.requires_approval = True
    db.session.commit()
    thread = make.thread(board=board, author=make.moderator())
    assert thread.state is ThreadState.VISIBLE
    member = make.member()
    log_in(client, member)
    submit(client, f"/t/{thread.id}/reply", {"body": "Held even though I'm trusted"})
    assert db.session.scalar(select(Post).order_by(Post.id.desc())).state is PostState.HELD


def test_an_admin_turns_approval_on_for_a_board(client, make):
    board = make.board()
    log_in(client, make.admin())
    submit(client, f"/mod/boards/{board.slug}", {"requires_approval": "y", "reason": "Spam wave"})
    assert db.session.get(Board, board.id).requires_approval is True
    assert log_actions() == ["board-approval"]


# Watched words


@pytest.mark.parametrize(
    ("phrase", "text", "matches"),
    [
        ("scam", "This is a SCAM!", True),
        ("scam", "I love scampi", False),
        ("scam", "a scam.", True),
        ("miracle cure", "a Miracle\n  Cure for all", True),
        ("miracle cure", "miracle-cure", True),  # punctuation between words is a space
        ("crème", "CRÈME brûlée", True),
        ("crème", "crèmes", False),
        ("$$$", "earn $$$ now", True),
        ("c.o.d.", "pay c.o.d. today", True),
        ("grüße", "GRÜSSE an alle", True),
        ("Кредит", "быстрый кредит сегодня", True),
    ],
)
def test_watched_words_match_whole_words_in_any_case_and_script(make, phrase, text, matches):
    from forum.services import watchwords

    moderation.add_watched_word(phrase, moderation.WordAction.FLAG, make.admin())
    assert bool(watchwords.find(text)) is matches


def test_a_blocked_word_refuses_the_post_and_keeps_the_text(client, make):
    moderation.add_watched_word("casino", moderation.WordAction.BLOCK, make.admin())
    thread = make.thread()
    log_in(client, make.member())
    response = submit(client, f"/t/{thread.id}/reply", {"body": "Try the Casino tonight, friends"})
    assert response.status_code == 200
    assert "doesn't allow (casino)" in unescape(response.text)
    assert "Try the Casino tonight, friends" in response.text
    assert count(Post) == 1


def test_a_hold_word_waits_and_a_flag_word_reports(client, make):
    admin = make.admin()
    moderation.add_watched_word("wire money", moderation.WordAction.HOLD, admin)
    moderation.add_watched_word("supplement", moderation.WordAction.FLAG, admin)
    thread = make.thread()
    log_in(client, make.member())
    submit(client, f"/t/{thread.id}/reply", {"body": "Please wire money to me"})
    submit(client, f"/t/{thread.id}/reply", {"body": "This supplement helped me"})
    held, flagged = db.session.scalars(select(Post).order_by(Post.id.desc()).limit(2)).all()[::-1]
    assert held.state is PostState.HELD
    assert flagged.state is PostState.VISIBLE
    assert "Watched words: supplement" in db.session.scalar(select(Report.note))


def test_admins_manage_watched_words_through_the_page(client, make):
    log_in(client, make.admin())
    submit(client, "/mod/words", {"phrase": "  Miracle   Cure ", "action": "hold"})
    assert "Miracle Cure" in client.get("/mod/words").text
    word_id = db.session.scalar(select(moderation.WatchedWord.id))
    submit(client, f"/mod/words/{word_id}/delete")
    assert "No watched words yet" in client.get("/mod/words").text
    assert log_actions() == ["watch-word", "unwatch-word"]


# Curating threads and posts: every action, and its log row


def test_every_curation_action_writes_its_log_row(client, make):
    board, other_board = make.board("here"), make.board("there")
    author = make.member("rosa")
    thread = make.thread(board=board, author=author, title="Original title")
    target = make.thread(board=other_board, title="Merge target")
    replies = [make.reply(thread, body=f"Reply {n}") for n in range(3)]
    log_in(client, make.moderator("mo"))

    steps = [
        (f"/mod/t/{thread.id}/pin", {}, "pin"),
        (f"/mod/t/{thread.id}/unpin", {}, "unpin"),
        (f"/mod/t/{thread.id}/lock", {}, "lock"),
        (f"/mod/t/{thread.id}/unlock", {}, "unlock"),
        (f"/mod/t/{thread.id}/hide", {}, "hide-thread"),
        (f"/mod/t/{thread.id}/restore", {}, "restore-thread"),
        (f"/mod/t/{thread.id}/move", {"board": "there"}, "move"),
        (f"/mod/t/{thread.id}/rename", {"title": "Better title"}, "rename"),
        (f"/mod/p/{replies[0].id}/hide", {"category": "unkind"}, "hide-post"),
        (f"/mod/p/{replies[0].id}/restore", {}, "restore-post"),
        (f"/mod/p/{replies[1].id}/edit", {"body": "Phone number removed"}, "edit-post"),
        (f"/mod/t/{thread.id}/split", {"posts": [replies[2].id], "title": "Split off"}, "split"),
        (f"/mod/t/{thread.id}/merge", {"into": target.id}, "merge"),
        ("/mod/u/rosa/warn", {}, "warn"),
        ("/mod/u/rosa/silence", {"duration": "24"}, "silence"),
        ("/mod/u/rosa/lift", {}, "lift"),
        ("/mod/u/rosa/suspend", {"duration": "72"}, "suspend"),
        ("/mod/u/rosa/note", {"body": "Spoke to her by message"}, "note"),
    ]
    for number, (path, data, action) in enumerate(steps):
        reason = f"reason {number}"
        response = submit(client, path, {"reason": reason, **data})
        assert response.status_code == 302, path
        entry = db.session.scalar(select(ModerationLog).order_by(ModerationLog.id.desc()))
        assert entry.action == action, path
        # A staff note's words stay in the note (deleted with the account), not in the log.
        assert entry.reason == ("" if action == "note" else reason)
    assert count(ModerationLog) == len(steps)


def test_a_lock_says_so_and_why(client, make):
    thread = make.thread()
    log_in(client, make.moderator())
    submit(client, f"/mod/t/{thread.id}/lock", {"reason": "The conversation has run its course"})
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "This thread is locked" in page and "The conversation has run its course" in page


def test_hidden_threads_show_only_to_staff_and_their_author(client, make):
    author = make.member("rosa")
    thread = make.thread(author=author, title="Quietly hidden")
    moderation.set_thread_hidden(thread, make.moderator(), True, "off topic")
    assert client.get(f"/t/{thread.id}", follow_redirects=True).status_code == 404
    assert "Quietly hidden" not in client.get("/u/rosa").text
    log_in(client, author)
    assert (
        "A moderator has hidden this thread"
        in client.get(f"/t/{thread.id}", follow_redirects=True).text
    )


def test_hiding_an_opening_post_hides_its_thread_and_restoring_it_brings_it_back(client, make):
    board = make.board(slug="treatments")
    thread = make.thread(board=board, author=make.member("rosa"), title="Miracle cure inside")
    log_in(client, make.moderator("mo"))
    submit(client, f"/mod/p/{thread.first_post_id}/hide", {"category": "spam", "reason": "Scam"})
    assert db.session.get(Thread, thread.id).state is ThreadState.HIDDEN
    assert log_actions() == ["hide-post", "hide-thread"]
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "hide-thread"))
    assert (entry.reason, entry.details["opening_post"]) == ("Scam", thread.first_post_id)

    log_out(client)
    for path in ("/b/treatments", "/u/rosa", "/b/treatments/feed.atom"):
        assert "Miracle cure inside" not in client.get(path).text, path
    assert client.get(f"/t/{thread.id}", follow_redirects=True).status_code == 404
    assert client.get(f"/t/{thread.id}/feed.atom").status_code == 404

    log_in(client, make.moderator("kai"))
    submit(client, f"/mod/p/{thread.first_post_id}/restore", {"reason": "Checked: genuine"})
    assert db.session.get(Thread, thread.id).state is ThreadState.VISIBLE
    assert log_actions()[2:] == ["restore-post", "restore-thread"]
    log_out(client)
    assert "Miracle cure inside" in client.get("/b/treatments").text


def test_an_opening_post_hidden_by_reports_takes_its_thread_along_until_reviewed(
    client, make, default_gates
):
    rosa = settled_member(make, "rosa")
    thread = make.thread(author=rosa, title="Coping with fatigue")
    for name in ("ana", "ben", "cleo"):
        report_as(client, settled_member(make, name), opening(thread))
    assert db.session.get(Thread, thread.id).state is ThreadState.HIDDEN
    assert log_actions()[-2:] == ["auto-hide", "hide-thread"]
    log_out(client)
    assert client.get(f"/t/{thread.id}", follow_redirects=True).status_code == 404
    log_in(client, rosa)
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Hidden for now while moderators look at reports." in page
    assert "A moderator has hidden this thread" not in page

    log_out(client)
    log_in(client, make.moderator("mo"))
    case = db.session.scalar(select(Case))
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "dismissed", "reason": "Fine"})
    assert db.session.get(Thread, thread.id).state is ThreadState.VISIBLE
    assert log_actions()[-2:] == ["resolve-dismissed", "restore-thread"]


def test_a_hidden_post_shows_readers_the_reason_and_staff_the_words(client, make):
    thread = make.thread()
    reply = make.reply(thread, body="Stop your chemo, take vitamin C")
    moderation.hide_post(reply, make.moderator(), moderation.ReportReason.MISINFORMATION)
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert "Removed by a moderator: Medical misinformation" in page
    assert "vitamin C" not in page
    log_in(client, make.moderator())
    assert "vitamin C" in client.get(f"/t/{thread.id}", follow_redirects=True).text


def test_merging_moves_every_post_and_the_old_address_redirects(client, make):
    board = make.board()
    source = make.thread(board=board, title="Source")
    make.reply(source, body="From the source")
    target = make.thread(board=board, title="Target")
    moderation.merge_threads(source, target, make.moderator())
    response = client.get(f"/t/{source.id}/source")
    assert response.status_code == 301 and f"/t/{target.id}/" in response.headers["Location"]
    target = db.session.get(Thread, target.id)
    numbers = db.session.scalars(
        select(Post.number).where(Post.thread_id == target.id).order_by(Post.number)
    ).all()
    assert numbers == [1, 2, 3] and target.reply_count == 2
    assert db.session.get(Board, board.id).thread_count == 1


def test_splitting_moves_chosen_replies_and_renumbers_both_threads(client, make):
    board = make.board()
    thread = make.thread(board=board, title="Long thread")
    replies = [make.reply(thread, body=f"Reply {n}") for n in range(4)]
    log_in(client, make.moderator())
    page = client.get(f"/mod/t/{thread.id}/split").text
    assert "Reply 2" in page
    empty = submit(client, f"/mod/t/{thread.id}/split", {"title": "New", "posts": []})
    assert "Choose at least one reply" in empty.text
    submit(client, f"/mod/t/{thread.id}/split",
           {"title": "Side topic", "posts": [replies[1].id, replies[3].id]})  # fmt: skip
    new = db.session.scalar(select(Thread).where(Thread.title == "Side topic"))
    assert new.first_post_id == replies[1].id and new.reply_count == 1
    old_numbers = db.session.scalars(
        select(Post.number).where(Post.thread_id == thread.id).order_by(Post.number)
    ).all()
    assert old_numbers == [1, 2, 3]
    assert db.session.get(Thread, thread.id).reply_count == 2
    assert db.session.get(Board, board.id).thread_count == 2


def form_actions(page: str) -> set[str]:
    """Where a page's forms and their buttons send their POSTs."""
    return set(re.findall(r'(?:action|formaction)="(/mod/[^"]+)"', page))


def test_each_post_links_to_its_own_page_of_moderation_forms(client, make):
    thread = make.thread(title="Scan day")
    reply = make.reply(thread, body="Buy my miracle tea")
    log_in(client, make.moderator())
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    # The thread page carries a link per post, not the post's forms.
    assert f'href="/mod/p/{reply.id}">Moderate</a>' in page
    assert not {f"/mod/p/{reply.id}/hide", f"/mod/p/{reply.id}/note"} & form_actions(page)

    tools = client.get(f"/mod/p/{reply.id}")
    assert tools.status_code == 200
    assert "Buy my miracle tea" in tools.text and "Scan day" in tools.text
    assert form_actions(tools.text) == {f"/mod/p/{reply.id}/hide", f"/mod/p/{reply.id}/note"}
    for link in (f"/mod/p/{reply.id}/edit", f"/mod/p/{reply.id}/history", "/mod/u/"):
        assert f'href="{link}' in tools.text
    assert "Send support" not in tools.text  # the post alone, without its reaction buttons

    # Its forms post to the usual actions, which come back to the post in its thread.
    hidden = submit(client, f"/mod/p/{reply.id}/hide", {"category": "spam", "reason": "Selling"})
    assert hidden.headers["Location"] == f"/p/{reply.id}"
    assert db.session.get(Post, reply.id).is_hidden
    assert form_actions(client.get(f"/mod/p/{reply.id}").text) == {
        f"/mod/p/{reply.id}/restore", f"/mod/p/{reply.id}/note"
    }  # fmt: skip
    assert log_actions() == ["hide-post"]


def test_a_held_post_is_approved_or_rejected_from_its_page(client, make, default_gates):
    thread = make.thread(author=make.moderator())
    log_in(client, make.newcomer("nell"))
    submit(client, f"/t/{thread.id}/reply", {"body": "Hello, I'm new"})
    held = db.session.scalar(select(Post).where(Post.state == PostState.HELD))
    log_out(client)
    log_in(client, make.admin())
    assert form_actions(client.get(f"/mod/p/{held.id}").text) == {
        f"/mod/p/{held.id}/approve", f"/mod/p/{held.id}/reject", f"/mod/p/{held.id}/note"
    }  # fmt: skip


def test_the_thread_tools_send_one_reason_with_whichever_button_is_pressed(client, make):
    thread = make.thread()
    log_in(client, make.moderator())
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    toggles = {f"/mod/t/{thread.id}/{action}" for action in ("pin", "lock", "hide")}
    assert toggles <= form_actions(page)
    assert 'data-confirm="Hide this whole thread from members?"' in page
    submit(client, f"/mod/t/{thread.id}/lock", {"reason": "Answered"})
    page = client.get(f"/t/{thread.id}", follow_redirects=True).text
    assert f"/mod/t/{thread.id}/unlock" in form_actions(page)


def test_staff_edits_keep_history_and_are_marked(client, make):
    reply = make.reply(make.thread(), body="Call me on 07700 900123")
    log_in(client, make.moderator())
    submit(
        client, f"/mod/p/{reply.id}/edit", {"body": "(phone number removed)", "reason": "privacy"}
    )
    history = client.get(f"/mod/p/{reply.id}/history").text
    assert "07700 900123" in history and "(phone number removed)" in history
    page = client.get(f"/p/{reply.id}", follow_redirects=True).text
    assert "edited by staff" in page


def test_acting_on_missing_things_is_a_404_page_not_an_error(client, make):
    log_in(client, make.moderator())
    for path in ("/mod/t/9999/lock", "/mod/p/9999/hide", "/mod/cases/9999/resolve",
                 "/mod/u/nobody/warn", "/mod/p/9999/approve"):  # fmt: skip
        assert submit(client, path, {"reason": "x", "resolution": "dismissed"}).status_code == 404
    assert client.get("/mod/u/nobody").status_code == 404
    assert client.get("/mod/p/9999").status_code == 404
    assert log_actions() == []


# Members in trouble


def test_a_silenced_member_can_read_but_not_post_or_report(client, make):
    member = make.member("loud")
    thread = make.thread()
    moderation.silence(member, make.moderator(), "Cooling off", utcnow() + timedelta(days=1))
    log_in(client, member)
    assert client.get(f"/t/{thread.id}", follow_redirects=True).status_code == 200
    response = submit(client, f"/t/{thread.id}/reply", {"body": "Let me speak"})
    assert response.status_code == 409 and "Let me speak" in response.text
    assert client.get(f"/b/{_board_slug(thread)}/new").status_code == 403
    assert client.get(f"/p/{thread.first_post_id}/report").status_code == 403
    assert count(Post) == 1


def _board_slug(thread):
    return db.session.get(Board, thread.board_id).slug


def test_a_suspension_ends_current_sessions_and_lifting_restores_access(client, make):
    member = make.member("gone")
    log_in(client, member)
    moderation.suspend(member, make.moderator(), "Harassment", utcnow() + timedelta(days=3))
    assert "Log out" not in client.get("/").text
    response = submit(client, "/login", {"username": "gone", "password": PASSWORD})
    assert response.status_code == 403 and "Harassment" in response.text
    moderation.lift(db.session.get(User, member.id), make.admin(), "Appeal accepted")
    log_in(client, member)
    assert "Log out" in client.get("/").text


def test_a_silence_can_last_until_a_chosen_time(client, make):
    member = make.member("loud")
    log_in(client, make.moderator())
    past = submit(client, "/mod/u/loud/silence",
                  {"reason": "x", "duration": "24", "until": "2001-01-01T10:00"})  # fmt: skip
    assert "Choose a time in the future" in client.get(past.headers["Location"]).text
    until = (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0)
    chosen = {"reason": "Ten days", "duration": "24", "until": until.strftime("%Y-%m-%dT%H:%M")}
    submit(client, "/mod/u/loud/silence", chosen)
    assert db.session.get(User, member.id).silenced_until == until
    assert log_actions() == ["silence"]


def test_moderators_cannot_sanction_each_other(client, make):
    make.moderator("peer")
    log_in(client, make.moderator())
    assert (
        submit(client, "/mod/u/peer/suspend", {"reason": "x", "duration": "24"}).status_code == 403
    )
    assert count(Sanction) == 0 and log_actions() == []


def test_staff_see_a_members_email_only_on_the_moderation_page(client, make):
    make.member("rosa", email="rosa.private@example.org")
    log_in(client, make.moderator())
    assert "rosa.private@example.org" in client.get("/mod/u/rosa").text
    assert "rosa.private" not in client.get("/u/rosa").text


def test_the_log_filters_by_moderator_action_and_member(client, make):
    first, second = make.moderator("first"), make.moderator("second")
    rosa, jun = make.member("rosa"), make.member("jun")
    moderation.warn(rosa, first, "one")
    moderation.warn(jun, second, "two")
    moderation.set_role(rosa, second, Role.MEMBER, "three")
    log_in(client, first)
    assert _reasons(client.get("/mod/log?actor=second").text) == ["three", "two"]
    assert _reasons(client.get("/mod/log?member=rosa").text) == ["three", "one"]
    assert _reasons(client.get("/mod/log?action=warn&member=rosa").text) == ["one"]
    assert "no member with that name" in client.get("/mod/log?member=ghost").text


def _reasons(page: str) -> list[str]:
    import re

    return re.findall(r"<td>([a-z]+)</td>\s*</tr>", page)


# The log nobody can rewrite


def test_the_database_refuses_to_change_or_delete_a_log_entry(make):
    moderation.warn(make.member(), make.moderator(), "Be kind")
    for statement in ("UPDATE moderation_log SET reason = 'forged'", "DELETE FROM moderation_log"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.scalar(select(ModerationLog.reason)) == "Be kind"


def test_no_page_edits_or_deletes_log_entries(app):
    log_routes = [
        rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/mod/log")
    ]
    assert log_routes == ["/mod/log"]
    assert next(r for r in app.url_map.iter_rules() if r.rule == "/mod/log").methods <= {
        "GET", "HEAD", "OPTIONS"}  # fmt: skip


# The queues stay quick however long they grow


def test_the_queues_read_a_fixed_number_of_statements(client, make, count_statements):
    moderator = make.moderator()
    log_in(client, moderator)

    def cost(path):
        with count_statements() as counted:
            assert client.get(path).status_code == 200
        return counted.count

    for _ in range(2):
        post = opening(make.thread(author=make.member()))
        moderation.report_post(post, make.member(), moderation.ReportReason.SPAM)
        make.thread(author=make.newcomer())
    small = (cost("/mod/reports"), cost("/mod/queue"), cost("/mod"))
    for _ in range(6):
        post = opening(make.thread(author=make.member()))
        moderation.report_post(post, make.member(), moderation.ReportReason.SPAM)
        make.thread(author=make.newcomer())
    assert (cost("/mod/reports"), cost("/mod/queue"), cost("/mod")) == small


def test_the_queues_use_indexes_not_scans_or_sorts(client, make, count_statements):
    """With 10,000 open items a queue must still read only what it shows."""
    from forum.dialects import is_sqlite

    if not is_sqlite(db.engine):
        pytest.skip("reads SQLite's query plans")
    post = opening(make.thread())
    moderation.report_post(post, make.member(), moderation.ReportReason.SPAM)
    make.thread(author=make.newcomer())
    moderation.warn(make.member(), make.moderator(), "x")
    log_in(client, make.moderator())
    # Whole-table reads allowed: the index of held posts, and the log read newest-first.
    allowed_scans = ("SCAN posts USING INDEX ix_posts_held", "SCAN moderation_log", "SCAN boards")
    for path in ("/mod", "/mod/reports", "/mod/queue", "/mod/log"):
        with count_statements() as counted:
            assert client.get(path).status_code == 200
        for statement, parameters in zip(counted.statements, counted.parameters, strict=True):
            with db.engine.connect() as connection:
                steps = [row[-1] for row in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters)]  # fmt: skip
            assert not any("TEMP B-TREE" in step for step in steps), (path, steps)
            for step in steps:
                if step.startswith("SCAN"):
                    assert step.startswith(allowed_scans), (path, steps)


def test_an_admin_opens_the_board_settings(client, make):
    make.board(slug="quiet-room")
    log_in(client, make.admin())
    page = client.get("/mod/boards")
    assert page.status_code == 200
    assert 'value="members"' in page.text and "quiet-room" in page.text


def test_only_a_hidden_post_can_be_restored(client, make, default_gates):
    """A post its author deleted stays deleted ("You can't undo this"), and a waiting one
    is approved from the queue, whatever a moderator's form is made to send."""
    thread = make.thread(author=make.moderator())
    rosa = make.earn_trust(make.member("rosa"))
    deleted = make.reply(thread, author=rosa, body="Words I took back")
    posting.delete_post(deleted)
    held = make.reply(thread, author=make.newcomer("nell"), body="Hello, I'm new")
    log_in(client, make.moderator("mo"))
    logged = log_actions()
    for post in (deleted, held):
        answer = submit(client, f"/mod/p/{post.id}/restore", {"reason": "Oops"}, follow=True)
        assert "Only a hidden post can be restored" in unescape(answer.text)
    assert db.session.get(Post, deleted.id).state is PostState.DELETED
    assert db.session.get(Post, held.id).state is PostState.HELD
    assert log_actions() == logged, "nothing restored, nothing logged"


def test_everyone_who_wrote_in_a_thread_is_told_when_it_is_hidden_and_when_it_is_back(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    thread = make.thread(author=rosa, title="Scan day nerves")
    make.reply(thread, author=jun, body="Thinking of you.")
    mo = make.moderator("mo")
    log_in(client, mo)
    submit(client, f"/mod/t/{thread.id}/hide", {"reason": "Shared someone's private details"})
    told = {
        name: [n.text for n in notices_of(name) if n.kind == "moderation"]
        for name in ("rosa", "jun", "mo")
    }
    assert told == {
        "rosa": ["A moderator hid your thread “Scan day nerves”. Only you and the moderators "
                 "can see it now."],
        "jun": ["A moderator hid the thread “Scan day nerves”, where you replied. Your words "
                "are kept, but only the moderators can see them while it is hidden."],
        "mo": [],
    }  # fmt: skip
    submit(client, f"/mod/t/{thread.id}/restore", {"reason": ""})
    for name in ("rosa", "jun"):
        assert (
            notices_of(name)[-1].text
            == "The thread “Scan day nerves” is back: everyone can see it again."
        )


def notices_of(username: str) -> list[Notification]:
    member = db.session.scalar(select(User).where(User.username == username))
    return db.session.scalars(
        select(Notification).where(Notification.user_id == member.id).order_by(Notification.id)
    ).all()


def test_a_thread_is_hidden_once_and_a_waiting_one_cannot_be_restored_into_view(
    client, make, default_gates
):
    """ "Restore" on a thread that waits for approval would publish it unapproved; hiding a
    hidden thread again would tell its writers twice. Neither changes anything."""
    waiting = make.thread(author=make.newcomer("nell", confirmed=True), title="Hello all")
    rosa = make.earn_trust(make.member("rosa"))
    shown = make.thread(author=rosa, title="Scan day nerves")
    log_in(client, make.moderator("mo"))
    logged = log_actions()
    page = submit(client, f"/mod/t/{waiting.id}/restore", {"reason": ""}, follow=True)
    assert "only a hidden one restored" in unescape(page.text)
    assert db.session.get(Thread, waiting.id).state is ThreadState.HELD
    submit(client, f"/mod/t/{shown.id}/hide", {"reason": "Private details"})
    submit(client, f"/mod/t/{shown.id}/hide", {"reason": "Private details"})
    assert log_actions() == [*logged, "hide-thread"]
    assert [n.kind for n in notices_of("rosa")].count("moderation") == 1
