"""Email: confirming addresses, resetting passwords, notifications and digests, and an
outbox that neither loses nor doubles a message when the worker dies."""

import base64
import email
import email.policy
import re
import socket
import threading
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum import tokens
from forum.extensions import db
from forum.models import EmailFrequency, OutboxEmail, Post, ReportReason, Thread, User, utcnow
from forum.services import mail, moderation, posting

from .factories import PASSWORD, count, log_in, submit

LINK = re.compile(r"http://127\.0\.0\.1:5000(/\S+)")


@pytest.fixture
def mailbox(app, tmp_path):
    """Email delivered as files into a folder of the test's own; ``mailbox.deliver()``
    runs the worker once and returns every message written so far."""
    app.config["MAIL_URL"] = f"file:{tmp_path / 'mail'}"

    class Mailbox:
        folder = tmp_path / "mail"

        def deliver(self):
            mail.deliver_waiting(mail.transport_for(app))
            return self.messages()

        def messages(self):
            files = sorted(self.folder.glob("*.eml")) if self.folder.exists() else []
            return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                    for f in files]  # fmt: skip

        def to(self, address):
            return [m for m in self.deliver() if m["To"] == address]

    yield Mailbox()
    app.config["MAIL_URL"] = ""


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message) -> str:
    return LINK.search(text_of(message)).group(1)


def outbox(kind=None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(query))


# Joining and confirming an address


def register(client, username="ana", address="ana@example.org"):
    return submit(client, "/register", {"username": username, "email": address,
                                        "password": PASSWORD, "confirm": PASSWORD})  # fmt: skip


def test_a_newcomer_confirms_her_address_from_the_link_in_her_welcome_email(client, mailbox):
    response = register(client)
    assert response.status_code == 302
    page = client.get("/").text
    assert "Please confirm your email address" in page

    [welcome] = mailbox.to("ana@example.org")
    assert welcome["Subject"] == "Please confirm your email address"
    assert "List-Unsubscribe" not in welcome  # an account email, not a subscription
    link = link_in(welcome)
    assert link in html_of(welcome)

    # Opening the link only shows a button: mail scanners open links too.
    assert "Yes, confirm it" in client.get(link).text
    ana = db.session.scalar(select(User).where(User.username == "ana"))
    assert ana.email_confirmed_at is None
    response = submit(client, link)
    assert response.status_code == 302
    db.session.refresh(ana)
    assert ana.email_confirmed_at is not None
    assert "Please confirm your email address" not in client.get("/").text


def test_a_link_that_was_cut_short_or_changed_explains_itself(client, mailbox):
    register(client)
    link = link_in(mailbox.to("ana@example.org")[0])
    for broken in (link[:-6], link + "x", "/confirm/nonsense"):
        response = client.get(broken)
        assert response.status_code == 400
        assert "It may have been cut short" in response.text


def test_joining_with_an_address_already_in_use_tells_its_owner_and_nobody_else(
    client, make, mailbox
):
    make.member("bea", email="bea@example.org")
    response = register(client, "stranger", "Bea@Example.org")
    # The stranger sees exactly what anyone joining sees.
    assert response.status_code == 302
    [note] = mailbox.to("bea@example.org")
    assert note["Subject"] == "Someone tried to use your email address"
    assert "Hello bea" in text_of(note)
    assert "/confirm/" not in text_of(note)
    stranger = db.session.scalar(select(User).where(User.username == "stranger"))
    assert stranger.email is None and stranger.email_confirmed_at is None


def test_an_operator_created_account_needs_no_confirming(runner, ctx, mailbox):
    result = runner.invoke(args=["users", "create", "ops", "--email", "ops@example.org",
                                 "--password", PASSWORD])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert outbox() == []
    ops = db.session.scalar(select(User).where(User.username == "ops"))
    assert ops.email_confirmed_at is not None


def test_the_confirmation_link_can_be_sent_again_but_not_in_a_flood(client, mailbox):
    register(client)
    for _ in range(5):
        submit(client, "/confirm/resend", {"next": "/"})
    assert len(mailbox.to("ana@example.org")) == 1  # the first is still on its way
    db.session.execute(update(OutboxEmail).values(created_at=utcnow() - timedelta(minutes=3)))
    db.session.commit()
    submit(client, "/confirm/resend", {"next": "/"})
    first, second = mailbox.to("ana@example.org")
    assert link_in(first).startswith("/confirm/") and link_in(second).startswith("/confirm/")


def test_settings_never_tell_whether_an_address_already_has_an_account(client, make):
    make.member("bea", email="bea@example.org")
    pages = {}
    for username, address in (("stranger", "bea@example.org"), ("newbie", "new@example.org")):
        register(client, username, address)
        page = client.get("/settings").text
        page = re.sub(r'name="csrf_token"[^>]*', "TOKEN", page)  # signed with the time
        pages[username] = page.replace(username, "NAME").replace(address, "ADDRESS")
        submit(client, "/logout")
    assert "waiting for you to confirm <strong>ADDRESS</strong>" in pages["newbie"]
    assert pages["stranger"] == pages["newbie"]


# Forgotten passwords


def test_a_member_who_forgot_her_password_sets_a_new_one_from_an_email(app, client, make, mailbox):
    rosa = make.member("rosa", email="rosa@example.org")
    elsewhere = app.test_client()
    log_in(elsewhere, rosa)

    response = submit(client, "/reset", {"email": "ROSA@example.org"})
    assert "Check your email" in response.text
    [reset] = mailbox.to("rosa@example.org")
    link = link_in(reset)
    assert "Choose a new password" in client.get(link).text

    response = submit(client, link, {"password": "a new calm password", "confirm": "x"})
    assert "The two passwords don" in response.text
    response = submit(client, link, {"password": "a new calm password",
                                     "confirm": "a new calm password"})  # fmt: skip
    assert response.status_code == 302
    assert "rosa" in client.get("/settings").text  # logged in
    # Her other devices are logged out, and the link worked once.
    assert elsewhere.get("/settings").status_code == 302
    again = client.get(link)
    assert again.status_code == 400 and "already been used" in again.text
    notices = [m["Subject"] for m in mailbox.to("rosa@example.org")]
    assert notices == ["Reset your password", "Your password was changed"]


def test_asking_for_a_reset_never_says_whether_an_account_exists(client, make, mailbox):
    make.member("rosa", email="rosa@example.org")
    known = submit(client, "/reset", {"email": "rosa@example.org"}).text
    unknown = submit(client, "/reset", {"email": "nobody@example.org"}).text
    assert known.replace("rosa@", "X@") == unknown.replace("nobody@", "X@")
    assert [m["To"] for m in mailbox.deliver()] == ["rosa@example.org"]


def test_no_reset_link_goes_to_an_address_nobody_confirmed(client, make, mailbox):
    make.newcomer("nia", email="nia@gmial.example")  # mistyped, never confirmed
    response = submit(client, "/reset", {"email": "nia@gmial.example"})
    assert "Check your email" in response.text
    assert [m["Subject"] for m in mailbox.to("nia@gmial.example")] == [
        "Please confirm your email address"
    ]


def test_a_reset_link_expires_after_an_hour(client, make, mailbox, monkeypatch):
    make.member("rosa", email="rosa@example.org")
    submit(client, "/reset", {"email": "rosa@example.org"})
    link = link_in(mailbox.to("rosa@example.org")[0])
    import itsdangerous.timed

    later = itsdangerous.timed.time.time() + 61 * 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    response = client.get(link)
    assert response.status_code == 400 and "expired" in response.text


def test_a_bad_address_on_the_reset_form_is_explained_and_kept(client):
    response = submit(client, "/reset", {"email": "rosa at home"})
    assert "look like an email address" in response.text
    assert 'value="rosa at home"' in response.text


# Changing an address


def test_changing_address_confirms_the_new_one_and_tells_the_old_one(client, rosa, mailbox):
    response = submit(client, "/settings/email", {"email": "rosa@new.example", "password": "no"})
    assert "your password." in response.text
    assert 'value="rosa@new.example"' in response.text

    submit(client, "/settings/email", {"email": "rosa@new.example", "password": PASSWORD})
    [notice] = mailbox.to("rosa@example.org")
    assert notice["Subject"] == "Your email address is being changed"
    assert "r***@new.example" in text_of(notice)
    [confirm] = mailbox.to("rosa@new.example")
    db.session.refresh(rosa)
    assert rosa.email == "rosa@example.org" and rosa.pending_email == "rosa@new.example"

    submit(client, link_in(confirm))
    db.session.refresh(rosa)
    assert rosa.email == "rosa@new.example" and rosa.pending_email is None


def test_a_confirmation_link_binds_its_address_without_carrying_it(client, rosa, mailbox):
    """Links end up in URL logs (the site's, a proxy's, a mail scanner's): the address is
    bound into the signed token, but not written in it."""
    submit(client, "/settings/email", {"email": "rosa.first@new.example", "password": PASSWORD})
    [first] = mailbox.to("rosa.first@new.example")
    token = link_in(first).rsplit("/", 1)[1]
    payload = token.removeprefix(".").split(".")[0]  # a leading "." means zlib-compressed
    readable = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if token.startswith("."):
        readable = zlib.decompress(readable)
    assert b"rosa" not in readable and b"new.example" not in readable, readable

    # Asking for another address instead: the first link no longer applies.
    submit(client, "/settings/email", {"email": "rosa.second@new.example", "password": PASSWORD})
    response = submit(client, link_in(first))
    assert "no longer waiting" in response.text
    db.session.refresh(rosa)
    assert rosa.email == "rosa@example.org"
    [second] = mailbox.to("rosa.second@new.example")
    assert "rosa.second@new.example" in client.get(link_in(second)).text
    submit(client, link_in(second))
    db.session.refresh(rosa)
    assert rosa.email == "rosa.second@new.example" and rosa.pending_email is None


def test_a_confirmation_link_that_named_its_address_asks_for_a_new_one(client, make):
    ana = make.newcomer("ana")
    written_before = tokens.make(tokens.CONFIRM_EMAIL, {"member": ana.id, "email": ana.email})
    assert "This link has expired" in client.get(f"/confirm/{written_before}").text


def test_an_address_taken_while_waiting_for_confirmation_is_refused(client, rosa, make, mailbox):
    submit(client, "/settings/email", {"email": "shared@example.org", "password": PASSWORD})
    [confirm] = mailbox.to("shared@example.org")
    make.member("sam", email="shared@example.org")
    response = submit(client, link_in(confirm))
    assert response.status_code == 409
    assert "used by another account" in response.text
    db.session.refresh(rosa)
    assert rosa.email == "rosa@example.org"


# Notifications by email


def test_a_member_who_wants_every_email_hears_of_a_reply_with_an_excerpt(client, make, mailbox):
    rosa = make.member("rosa", email="rosa@example.org")
    rosa.email_frequency = EmailFrequency.EVERY_EVENT
    thread = make.thread(author=rosa, title="Starting Ibrance next week")
    log_in(client, make.member("jun"))
    submit(client, f"/t/{thread.id}/reply",
           {"body": "## Day one\nYou've got this. **Thinking of you.**"})  # fmt: skip

    [message] = mailbox.to("rosa@example.org")
    assert message["Subject"] == "jun replied to “Starting Ibrance next week”"
    # The words as they read, a heading not run into the sentence after it.
    assert "Day one You've got this. Thinking of you." in text_of(message)
    reply_id = thread.last_post_id
    assert link_in(message) == f"/p/{reply_id}"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:5000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@127.0.0.1>")
    assert unsubscribe in text_of(message) and unsubscribe in html_of(message)
    # As plain ASCII, never an encoded word, which mail programs' unsubscribe buttons ignore.
    raw = b"".join(path.read_bytes() for path in mailbox.folder.glob("*.eml"))
    assert f"List-Unsubscribe: <{unsubscribe}>".encode() in raw


def test_no_email_for_members_who_chose_digests_none_or_have_not_confirmed(client, make, mailbox):
    digest, never = make.member("dee"), make.member("ned")
    never.email_frequency = EmailFrequency.NEVER
    unconfirmed = make.newcomer("una")
    unconfirmed.email_frequency = EmailFrequency.EVERY_EVENT
    thread = make.thread(author=make.member("host"))
    for member in (digest, never, unconfirmed):
        make.reply(thread, author=member)
    outbox_before = count(OutboxEmail)
    make.reply(thread, author=make.member("jun"))
    assert count(OutboxEmail) == outbox_before


def test_the_daily_digest_gathers_unread_news_once_a_day(client, make, mailbox):
    rosa = make.member("rosa", email="rosa@example.org")  # digests are the default
    thread = make.thread(author=rosa, title="Scan day")
    make.reply(thread, author=make.member("jun"), body="Fingers crossed.")
    make.reply(thread, author=make.member("kim"), body="Here if you need us.")

    mail.queue_digests()
    [digest] = mailbox.to("rosa@example.org")
    assert digest["Subject"] == "Your Harbor summary: 2 new things"
    assert "jun replied to “Scan day”" in text_of(digest)
    assert "kim replied to “Scan day”" in html_of(digest)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Nothing more today, even with news; tomorrow only what is new since.
    make.reply(thread, author=make.member("lee"), body="Sending love.")
    mail.queue_digests()
    assert len(mailbox.to("rosa@example.org")) == 1
    mail.queue_digests(now=utcnow() + timedelta(days=1, minutes=1))
    later = mailbox.to("rosa@example.org")[1]
    assert "lee replied" in text_of(later) and "jun replied" not in text_of(later)


def test_news_already_read_on_the_site_is_not_emailed(client, make, mailbox):
    rosa = make.member("rosa")
    thread = make.thread(author=rosa)
    make.reply(thread, author=make.member("jun"))
    log_in(client, rosa)
    submit(client, "/notifications/read")
    assert mail.queue_digests() == 0


def test_two_workers_queue_one_digest_each(app, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    thread = make.thread(author=rosa)
    make.reply(thread, author=jun)
    make.reply(thread, author=make.member("kim"))  # rosa and jun both have news
    db.session.commit()

    def worker():
        with app.app_context():
            mail.queue_digests()

    both = [threading.Thread(target=worker) for _ in range(2)]
    for worker_thread in both:
        worker_thread.start()
    for worker_thread in both:
        worker_thread.join()
    assert sorted(email.to_address for email in outbox("digest")) == [
        "jun@example.org",
        "rosa@example.org",
    ]


def test_one_click_unsubscribe_from_a_mail_program_needs_no_form_token(client, make, mailbox):
    rosa = make.member("rosa", email="rosa@example.org")
    with client.application.test_request_context():
        link = mail.unsubscribe_url(rosa).removeprefix("http://127.0.0.1:5000")
    assert "Stop emails" in client.get(link).text
    db.session.refresh(rosa)
    assert rosa.email_frequency is EmailFrequency.DAILY_DIGEST  # looking changes nothing

    response = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Emails stopped" in response.text
    db.session.refresh(rosa)
    assert rosa.email_frequency is EmailFrequency.NEVER
    assert client.post("/unsubscribe/forged-token").status_code == 400


# Delivery that neither loses nor doubles


def queue_one(make):
    rosa = make.member("rosa", email="rosa@example.org")
    rosa.email_frequency = EmailFrequency.EVERY_EVENT
    make.reply(make.thread(author=rosa), author=make.member("jun"))
    [waiting] = outbox("notification")
    return waiting


def lease_runs_out():
    db.session.execute(update(OutboxEmail).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_held_reply_is_emailed_only_once_a_moderator_approves_it(
    client, make, mailbox, default_gates
):
    rosa = make.earn_trust(make.member("rosa", email="rosa@example.org"))
    rosa.email_frequency = EmailFrequency.EVERY_EVENT
    thread = make.thread(author=rosa, title="Scan day")
    held = make.reply(thread, author=make.newcomer("nia"), body="Hoping with you.")
    assert mailbox.to("rosa@example.org") == []
    log_in(client, make.moderator())
    assert submit(client, f"/mod/p/{held.id}/approve").status_code == 302
    [message] = mailbox.to("rosa@example.org")
    assert "nia replied" in message["Subject"]


def test_a_worker_that_dies_before_sending_leaves_the_email_for_the_next(app, make, mailbox):
    waiting = queue_one(make)
    claimed = mail.claim_next(utcnow())  # then the worker is killed
    assert claimed.id == waiting.id
    db.session.remove()
    assert mailbox.deliver() == []  # the dead worker's lease still holds
    lease_runs_out()
    [message] = mailbox.deliver()
    assert message["To"] == "rosa@example.org"
    assert db.session.get(OutboxEmail, waiting.id).sent_at is not None


def test_a_worker_that_dies_after_sending_does_not_double_the_email(app, make, mailbox):
    waiting = queue_one(make)
    claimed = mail.claim_next(utcnow())
    transport = mail.transport_for(app)
    transport.send(claimed, mail.build_message(claimed))  # sent, then killed before recording
    db.session.remove()
    lease_runs_out()
    messages = mailbox.deliver()
    assert len(messages) == 1
    row = db.session.get(OutboxEmail, waiting.id)
    assert row.sent_at is not None and row.attempts == 2
    assert [m["Message-ID"] for m in mailbox.deliver()] == [messages[0]["Message-ID"]]


def test_a_mail_server_that_is_down_is_retried_with_growing_waits(app, make):
    waiting = queue_one(make)
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    try:
        report = mail.deliver_waiting(mail.transport_for(app))
        assert report.retrying == 1 and report.sent == 0
        row = db.session.get(OutboxEmail, waiting.id)
        first_wait = row.send_after - utcnow()
        assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)
        assert "Connection" in row.last_error
        # Not due yet: the next round leaves it alone.
        assert mail.deliver_waiting(mail.transport_for(app)).retrying == 0
        row.send_after, row.attempts = utcnow(), mail.MOST_ATTEMPTS - 1
        db.session.commit()
        report = mail.deliver_waiting(mail.transport_for(app))
        assert report.given_up == 1
        assert db.session.get(OutboxEmail, waiting.id).given_up_at is not None
    finally:
        app.config["MAIL_URL"] = ""


def test_a_password_is_never_sent_to_a_mail_server_without_tls(app):
    app.config["MAIL_URL"] = "smtp://harbor:secret@mail.example.org:587"
    try:
        with pytest.raises(ValueError, match="no TLS"):
            mail.transport_for(app)
    finally:
        app.config["MAIL_URL"] = ""


def smtp_server(reply_to_rcpt: str | None = None):
    """A real SMTP server on a free port; ``reply_to_rcpt`` refuses every recipient."""
    from aiosmtpd.controller import Controller

    class Handler:
        received = []

        async def handle_RCPT(self, server, session, envelope, address, options):
            if reply_to_rcpt:
                return reply_to_rcpt
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            Handler.received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return Controller(Handler(), hostname="127.0.0.1", port=port), Handler.received, port


@pytest.mark.parametrize(
    ("refusal", "outcome"),
    [("450 4.2.0 Greylisted, try again later", "retrying"), ("550 5.1.1 No such user", "given_up")],
)
def test_a_temporary_refusal_is_retried_and_a_final_one_is_not(app, make, refusal, outcome):
    server, _, port = smtp_server(reply_to_rcpt=refusal)
    server.start()
    try:
        waiting = queue_one(make)
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        report = mail.deliver_waiting(mail.transport_for(app))
    finally:
        server.stop()
        app.config["MAIL_URL"] = ""
    assert getattr(report, outcome) == 1
    row = db.session.get(OutboxEmail, waiting.id)
    assert (row.given_up_at is not None) is (outcome == "given_up")


def test_email_goes_out_over_smtp(app, make):
    server, received, port = smtp_server()
    server.start()
    try:
        queue_one(make)
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        assert mail.deliver_waiting(mail.transport_for(app)).sent == 1
    finally:
        server.stop()
        app.config["MAIL_URL"] = ""
    [envelope] = received
    assert envelope.rcpt_tos == ["rosa@example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["From"] == "Harbor <harbor@localhost>"
    assert message.get_body(preferencelist=("html",)) is not None


def test_the_worker_will_not_send_real_email_with_links_to_localhost(app, runner, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", "smtps://harbor:secret@mail.example.org")
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "HARBOR_BASE_URL" in result.output


def test_the_mail_commands_send_and_report(runner, make, mailbox):
    queue_one(make)
    assert "1 emails waiting" in runner.invoke(args=["mail", "status"]).output
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 sent" in result.output
    assert len(mailbox.messages()) == 1
    assert "0 emails waiting" in runner.invoke(args=["mail", "status"]).output


def test_a_mistyped_mail_url_is_refused_clearly(app, runner, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", "smpt://mail.example.org")
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "MAIL_URL must start with" in result.output


def test_a_private_message_is_emailed_without_its_words_and_links_to_the_conversation(
    make, mailbox
):
    rosa = make.member("rosa", email="rosa@example.org")
    rosa.email_frequency = EmailFrequency.EVERY_EVENT
    conversation = make.conversation(author=make.member("jun"), recipients=[rosa],
                                     subject="Coffee?", body="My private words")  # fmt: skip
    [message] = mailbox.to("rosa@example.org")
    assert message["Subject"] == "You have a new private message"  # not "Coffee?"
    assert link_in(message) == f"/messages/{conversation.id}"
    assert "My private words" not in text_of(message)


def test_a_digest_leaves_out_news_from_a_board_the_member_can_no_longer_read(make, mailbox):
    from forum.models import Board, BoardVisibility

    rosa = make.member("rosa", email="rosa@example.org")
    thread = make.thread(author=rosa, title="Open worry")
    make.reply(thread, author=make.member("jun"))
    closed = make.thread(author=rosa, title="Now behind closed doors")
    make.reply(closed, author=make.member("kim"))
    db.session.get(Board, closed.board_id).visibility = BoardVisibility.STAFF
    db.session.commit()
    mail.queue_digests()
    [digest] = mailbox.to("rosa@example.org")
    assert "Open worry" in text_of(digest)
    assert "Now behind closed doors" not in text_of(digest)


def test_the_digest_command_queues_what_is_due(runner, make, mailbox):
    rosa = make.member("rosa", email="rosa@example.org")
    make.reply(make.thread(author=rosa, title="Scan day"), author=make.member("jun"))
    result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code == 0 and "Queued 1 digests." in result.output
    assert "Scan day" in text_of(mailbox.to("rosa@example.org")[0])


# Emails about a post that is taken back


def test_a_reply_deleted_before_its_emails_go_is_never_emailed(client, make, mailbox):
    rosa = make.member("rosa", email="rosa@example.org")
    carol = make.member("carol", email="carol@example.org")
    rosa.email_frequency = carol.email_frequency = EmailFrequency.EVERY_EVENT
    thread = make.thread(author=rosa, title="Scan day")
    make.reply(thread, author=make.member("kim"), body="Here for you.")
    log_in(client, make.member("jun"))
    submit(client, f"/t/{thread.id}/reply", {"body": "@carol my scan showed new spots"})
    reply_id = db.session.get(Thread, thread.id).last_post_id
    about_reply = [email for email in outbox("notification") if email.post_id == reply_id]
    assert sorted(email.to_address for email in about_reply) == [
        "carol@example.org",
        "rosa@example.org",
    ]

    submit(client, f"/p/{reply_id}/delete")
    delivered = mailbox.deliver()
    assert [text_of(message) for message in delivered if "new spots" in text_of(message)] == []
    assert [message["To"] for message in delivered] == ["rosa@example.org"]  # kim's reply
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.post_id == reply_id)) is None


def test_an_email_on_its_way_when_its_post_goes_is_never_tried_again(app, make, mailbox):
    """A worker that has claimed an email may be sending it this moment: that one cannot be
    recalled, but if this attempt fails, it is not tried again."""
    waiting = queue_one(make)
    claimed = mail.claim_next(utcnow())
    posting.delete_post(db.session.get(Post, waiting.post_id))
    row = db.session.get(OutboxEmail, waiting.id)
    assert row.given_up_at is not None and row.sent_at is None
    mail.retry_later(claimed, "Connection refused")  # the worker's attempt failed
    lease_runs_out()
    db.session.execute(update(OutboxEmail).values(send_after=utcnow()))
    db.session.commit()
    assert mailbox.deliver() == []


def test_a_hidden_post_is_not_emailed_to_those_who_may_no_longer_read_it(client, make, mailbox):
    carol = make.member("carol", email="carol@example.org")
    mo = make.moderator("mo")
    carol.email_frequency = mo.email_frequency = EmailFrequency.EVERY_EVENT
    thread = make.thread(author=mo, title="Scan day")
    reply = make.reply(thread, author=make.member("jun"), body="@carol buy my miracle cure")
    moderation.hide_post(reply, mo, ReportReason.SPAM)
    [message] = mailbox.deliver()
    assert message["To"] == "mo@example.org"  # staff may still read it, and decide


def test_a_digest_leaves_out_a_post_deleted_since(make, mailbox):
    make.member("carol", email="carol@example.org")  # digests are the default
    thread = make.thread(author=make.member("rosa"), title="Scan day")
    regretted = make.reply(thread, author=make.member("jun"), body="@carol I'm scared")
    make.reply(thread, author=make.member("kim"), body="@carol thinking of you")
    posting.delete_post(regretted)
    mail.queue_digests()
    [digest] = mailbox.to("carol@example.org")
    assert "kim mentioned you" in text_of(digest)
    assert "jun" not in text_of(digest) and "jun" not in html_of(digest)
