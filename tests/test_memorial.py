"""Remembering a member who has died: when their family asks, an admin closes the account
gently. Their words stay; nobody can log in as them, write to them or ping them, and no
email goes to them. Logged, and reversible by admins."""

from html import unescape

from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    Conversation,
    EmailFrequency,
    ModerationLog,
    Notification,
    OutboxEmail,
    Post,
    ReactionKind,
    Role,
    User,
)
from forum.services import community, mail, moderation

from .factories import PASSWORD, count, csrf_token, log_in, submit

LINE = "Forever loved. Sharing her strength with us since 2019."
DATES = "1961 – 2026"
FAMILY_NOTE = "Her daughter Ana wrote to the support address on 3 March."


def remember(client, username="rosa", **fields):
    data = {"remembrance": LINE, "dates": DATES, "reason": FAMILY_NOTE, **fields}
    return submit(client, f"/mod/u/{username}/remember", data)


def log_actions() -> list[str]:
    return db.session.scalars(select(ModerationLog.action).order_by(ModerationLog.id)).all()


def notifications_of(member) -> list[str]:
    return db.session.scalars(
        select(Notification.text).where(Notification.user_id == member.id)
    ).all()


def emails_to(member) -> list[OutboxEmail]:
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == member.id)).all()


def test_an_admin_marks_a_member_remembered_and_her_account_closes(app, client, make):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa, title="Ten years with mets", body="Still here, still **me**.")
    opening = db.session.get(Post, thread.first_post_id)
    words_before = (opening.source, opening.html, opening.state)
    # Rosa is logged in on her phone, and ticked "remember me".
    phone = app.test_client()
    submit(phone, "/login", {"username": "rosa", "password": PASSWORD, "remember": "y"})
    assert phone.get("/settings").status_code == 200

    log_in(client, make.moderator("mia"))
    assert "Mark as remembered" not in client.get("/mod/u/rosa").text
    assert remember(client).status_code == 403
    assert db.session.get(User, rosa.id).remembered_at is None

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, make.admin("ada"))
    assert "Mark as remembered" in client.get("/mod/u/rosa").text
    # The note on who asked is required: it is what the log keeps.
    assert remember(client, reason="").status_code == 302
    assert db.session.get(User, rosa.id).remembered_at is None
    assert remember(client).status_code == 302

    rosa = db.session.get(User, rosa.id)
    assert rosa.is_remembered and (rosa.remembrance, rosa.remembrance_dates) == (LINE, DATES)
    entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "remember"))
    assert (entry.subject_id, entry.reason) == (rosa.id, FAMILY_NOTE)
    assert entry.details == {}  # the family's words live on the profile, not in the log
    assert "Remembered since" in client.get("/mod/u/rosa").text

    # Her phone's session and remember-me cookie both end; logging in fails like any typo.
    assert phone.get("/settings").status_code == 302
    failed = submit(phone, "/login", {"username": "rosa", "password": PASSWORD})
    assert failed.status_code == 200 and "don't match our records" in unescape(failed.text)
    # No password reset can reopen the account either.
    submit(phone, "/reset", {"email": "rosa@example.org"})
    assert [email for email in emails_to(rosa) if email.kind == "reset-password"] == []

    profile = unescape(client.get("/u/rosa").text)
    assert f"Remembered with love · {DATES} · {LINE}" in profile
    # Her words stay exactly as they were, where they were.
    opening = db.session.get(Post, thread.first_post_id)
    assert (opening.source, opening.html, opening.state) == words_before
    page = client.get(f"/t/{thread.id}/{thread.slug}").text
    assert "Still here, still <strong>me</strong>." in page
    assert 'class="remembered-mark">remembered</span>' in page


def test_nobody_can_notify_email_or_message_a_remembered_member(client, make):
    rosa = make.member("rosa")
    rosa.email_frequency = EmailFrequency.EVERY_EVENT
    thread = make.thread(author=rosa, title="Scan day")
    make.reply(thread, author=make.member("jun"), body="Fingers crossed.")
    [waiting] = [email for email in emails_to(rosa) if email.kind == "notification"]
    moderation.mark_remembered(rosa, make.admin(), LINE, DATES, FAMILY_NOTE)
    # An email queued before is never sent.
    assert db.session.get(OutboxEmail, waiting.id).given_up_at is not None
    before = (len(notifications_of(rosa)), len(emails_to(rosa)))

    # A reply in her thread (which she watched), a mention, a quote, support for her post.
    kim = make.member("kim")
    tribute = make.reply(thread, author=kim, body="@rosa wrote:\n> Scan day\n\nWe miss you, @rosa.")
    community.toggle_reaction(db.session.get(Post, thread.first_post_id), kim, ReactionKind.LOVE)
    mail.queue_digests()
    db.session.commit()
    assert (len(notifications_of(rosa)), len(emails_to(rosa))) == before
    assert db.session.get(User, rosa.id).unread_notifications == 1  # only the one from before
    # The mention still leads to her profile, where her family's words are.
    assert 'href="/u/rosa"' in tribute.html

    # Members and staff alike: no "Message" button, and the form explains gently.
    for writer in (kim, make.moderator("mia")):
        log_in(client, writer)
        assert "/messages/new?to=rosa" not in client.get("/u/rosa").text
        sent = submit(client, "/messages/new", {"to": "rosa", "subject": "Hi", "body": "Hello"})
        assert "rosa is remembered with love here, and can't receive messages." in unescape(
            sent.text
        )
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert count(Conversation) == 0


def test_a_remembered_member_is_not_sanctioned_or_given_a_new_role(client, make):
    rosa = make.member("rosa")
    admin = make.admin("ada")
    moderation.mark_remembered(rosa, admin, LINE, DATES, FAMILY_NOTE)
    log_in(client, admin)
    page = client.get("/mod/u/rosa").text
    assert ">Warn</button>" not in page and "Change role" not in page and ">Undo<" in page
    assert submit(client, "/mod/u/rosa/warn", {"reason": "x"}).status_code == 403
    assert submit(client, "/mod/u/rosa/suspend", {"reason": "x"}).status_code == 403
    assert submit(client, "/mod/u/rosa/role", {"role": "moderator"}).status_code == 403
    assert submit(client, "/mod/u/rosa/mentor", {"is_mentor": "y"}).status_code == 403
    # Marking twice does nothing more; nor can an admin mark themselves.
    assert remember(client).status_code == 403
    assert remember(client, username="ada").status_code == 403
    assert log_actions() == ["remember"]


def test_nor_can_an_operator_give_a_remembered_member_a_role(make, runner):
    rosa = make.member("rosa")
    moderation.mark_remembered(rosa, make.admin("ada"), LINE, DATES, FAMILY_NOTE)
    result = runner.invoke(args=["users", "set-role", "rosa", "moderator"])
    assert result.exit_code != 0 and "remembered or deleted" in result.output
    assert db.session.get(User, rosa.id).role is Role.MEMBER


def test_an_admin_undoes_it_and_she_can_log_in_again(client, make):
    rosa = make.member("rosa")
    admin = make.admin("ada")
    moderation.mark_remembered(rosa, admin, LINE, DATES, FAMILY_NOTE)

    log_in(client, make.moderator("mia"))
    assert submit(client, "/mod/u/rosa/unremember", {"reason": "x"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    log_in(client, admin)
    undone = submit(client, "/mod/u/rosa/unremember", {"reason": "Marked by mistake: wrong Rosa."})
    assert undone.status_code == 302
    assert log_actions() == ["remember", "unremember"]
    assert db.session.get(User, rosa.id).remembered_at is None
    assert "Remembered with love" not in client.get("/u/rosa").text
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, rosa)
    assert client.get("/settings").status_code == 200
