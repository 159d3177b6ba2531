"""Private messages, safe by design: earned by public posts, closed to everyone outside
the conversation (staff too), with blocks, plain-text links from new members, and
reports that reach the moderators' one queue."""

from html import unescape

from sqlalchemy import select

from forum.dialects import is_sqlite
from forum.extensions import db
from forum.models import (
    Block,
    Case,
    Conversation,
    ConversationMember,
    Message,
    MessageState,
    ModerationLog,
    Notification,
    Post,
    PostState,
    Thread,
    User,
)
from forum.services import accounts, community, messaging

from .factories import PASSWORD, count, csrf_token, log_in, submit


def unread(member) -> list[str]:
    return db.session.scalars(
        select(Notification.text)
        .where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .order_by(Notification.id)
    ).all()


def log_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


def as_member(client, member):
    log_out(client)
    log_in(client, member)
    return client


def write(client, to, subject="Hello", body="How are you doing this week?"):
    return submit(client, "/messages/new", {"to": to, "subject": subject, "body": body})


def only_conversation() -> Conversation:
    return db.session.scalar(select(Conversation))


# Starting, reading and replying


def test_a_member_writes_privately_and_the_reply_comes_back(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    log_in(client, rosa)
    assert "New message" in client.get("/messages").text
    response = write(client, "jun", "Scan day", "Thinking of you today. Text me after?")
    conversation = only_conversation()
    assert response.headers["Location"] == f"/messages/{conversation.id}"
    assert "Thinking of you today" in client.get(response.headers["Location"]).text
    assert unread(jun) == ["rosa sent you a message: “Scan day”"]
    assert db.session.get(User, jun.id).unread_notifications == 1

    as_member(client, jun)
    listing = client.get("/messages").text
    assert "Scan day" in listing and 'class="unread"' in listing
    notice = db.session.scalar(select(Notification).where(Notification.user_id == jun.id))
    opened = submit(client, f"/notifications/{notice.id}/open")
    assert opened.headers["Location"] == f"/messages/{conversation.id}"
    assert unread(jun) == [] and db.session.get(User, jun.id).unread_notifications == 0
    assert 'class="unread"' not in client.get("/messages").text, "opening it read it"

    replied = submit(client, f"/messages/{conversation.id}/reply", {"body": "All clear!"})
    assert replied.status_code == 302
    assert "All clear!" in client.get(f"/messages/{conversation.id}").text
    assert unread(rosa) == ["jun sent you a message: “Scan day”"]
    assert db.session.get(Conversation, conversation.id).message_count == 2


def test_many_messages_make_one_notification_until_it_is_read(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(rosa, [jun], subject="Recipes")
    messaging.reply(conversation, rosa, "And another thing")
    messaging.reply(conversation, rosa, "Oh, and one more")
    assert unread(jun) == ["New messages in “Recipes”"]
    log_in(client, jun)
    submit(client, f"/messages/{conversation.id}/read")
    assert unread(jun) == []
    assert db.session.get(User, jun.id).unread_notifications == 0


def test_reading_a_conversation_writes_nothing(client, make, count_statements):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(rosa, [jun])
    log_in(client, jun)
    with count_statements() as counted:
        assert client.get(f"/messages/{conversation.id}").status_code == 200
        assert client.get("/messages").status_code == 200
    assert not [sql for sql in counted.statements if sql.lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE"))]  # fmt: skip
    membership = db.session.scalar(
        select(ConversationMember).where(ConversationMember.user_id == jun.id)
    )
    assert membership.is_unread


def test_group_conversations_reach_everyone_but_the_writer(client, make):
    rosa, jun, mae = make.member("rosa"), make.member("jun"), make.member("mae")
    log_in(client, rosa)
    write(client, "jun, @Mae", "Walking group")
    assert unread(jun) == unread(mae) == ["rosa sent you a message: “Walking group”"]
    page = client.get(f"/messages/{only_conversation().id}").text
    assert "jun" in page and "mae" in page


# Who may write


def test_a_new_member_cannot_start_a_conversation_but_can_reply(client, make, default_gates):
    rosa, newcomer = make.earn_trust(make.member("rosa")), make.newcomer("ana")
    conversation = make.conversation(rosa, [newcomer], subject="Welcome")
    log_in(client, newcomer)
    page = client.get("/messages/new")
    assert page.status_code == 403
    assert "once a member has shared 3 posts" in page.text and "reply" in page.text
    assert write(client, "rosa").status_code == 403
    assert 'href="/messages/new?to=rosa"' not in client.get("/u/rosa").text
    assert count(Conversation) == 1

    reply = submit(client, f"/messages/{conversation.id}/reply", {"body": "Thank you!"})
    assert reply.status_code == 302
    assert unread(rosa) == ["ana sent you a message: “Welcome”"]


def test_a_new_members_links_stay_plain_text(client, make, default_gates):
    rosa, newcomer = make.earn_trust(make.member("rosa")), make.newcomer("ana")
    conversation = make.conversation(
        rosa, [newcomer], body="See [my clinic](https://clinic.example)"
    )
    log_in(client, newcomer)
    scam = "Please log in at [your bank](https://bank.example/login) or https://x.example"
    submit(client, f"/messages/{conversation.id}/reply", {"body": scam})
    sent = db.session.scalar(select(Message).where(Message.author_id == newcomer.id))
    assert "<a" not in sent.html
    assert "your bank (https://bank.example/login)" in sent.html
    page = client.get(f"/messages/{conversation.id}").text
    assert 'href="https://bank.example' not in page and 'href="https://x.example' not in page
    assert 'href="https://clinic.example"' in page, "an established member's links work"


def test_recipients_that_cannot_be_reached_are_named_and_the_words_kept(client, make):
    rosa = make.member("rosa")
    make.member("jun")
    blocker = make.member("mae")
    db.session.add(Block(blocker_id=blocker.id, blocked_id=rosa.id))
    db.session.commit()
    log_in(client, rosa)
    accounts.system_account()  # "harbor", who writes the guides
    names = "jun, nobody_here, mae, rosa, harbor"
    response = write(client, names, "About Tuesday", "My long words")
    page = unescape(response.text)
    assert response.status_code == 200
    assert "There is no member called “nobody_here”" in page
    assert "“harbor” is the site's own account, which no one reads" in page
    assert "mae can't receive messages from you." in page
    assert "blocked" not in page.split("<main")[1].lower()
    assert "You don't need to add yourself" in page
    assert "About Tuesday" in page and "My long words" in page
    assert count(Conversation) == 0 and count(Message) == 0


def test_bad_input_on_the_new_message_form_keeps_what_was_typed(client, make):
    make.member("jun")
    log_in(client, make.member("rosa"))
    blank = write(client, "jun", "   ", "Words I typed")
    assert "Please give your message a subject." in unescape(blank.text)
    assert "Words I typed" in blank.text
    nothing = write(client, "", "A subject", "\u200b ")
    assert "Who is this message for?" in nothing.text
    assert "Please write something before sending." in nothing.text
    assert "A subject" in nothing.text
    crowd = write(client, " ".join(f"m{n}" for n in range(11)), "Hi all", "Hello")
    assert "up to 10 other members" in crowd.text
    nul = write(client, "jun", "Hi", "bad\x00byte")
    assert "null" in nul.text and nul.status_code == 200
    huge = write(client, "jun", "Hi", "x" * 20_001)
    assert "can be up to 20,000 characters" in huge.text
    assert count(Conversation) == 0 and count(Message) == 0


def test_to_prefills_the_recipient_and_the_profile_offers_a_message(client, make):
    make.member("jun")
    log_in(client, make.member("rosa"))
    assert 'href="/messages/new?to=jun"' in client.get("/u/jun").text
    assert 'value="jun"' in client.get("/messages/new?to=jun").text


def test_a_blank_reply_is_refused_with_the_conversation_still_shown(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(rosa, [jun], body="First words")
    log_in(client, jun)
    response = submit(client, f"/messages/{conversation.id}/reply", {"body": "  "})
    assert response.status_code == 400
    assert "First words" in response.text and "Please write something" in response.text
    assert count(Message) == 1


# Nobody else reads


def test_outsiders_and_staff_find_nothing_at_a_conversation(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(rosa, [jun], body="Private words")
    message = db.session.scalar(select(Message))
    paths = [f"/messages/{conversation.id}", f"/messages/m/{message.id}/report"]
    for outsider in (make.member("mae"), make.moderator("mod"), make.admin("boss")):
        as_member(client, outsider)
        for path in paths:
            assert client.get(path).status_code == 404, (outsider.username, path)
        for action in ("reply", "read", "leave"):
            response = submit(client, f"/messages/{conversation.id}/{action}", {"body": "Hi"})
            assert response.status_code == 404
        assert "Private words" not in client.get("/messages").text
    assert count(Message) == 1
    log_out(client)
    assert client.get(paths[0]).headers["Location"].startswith("/login")


def test_leaving_a_conversation(client, make):
    rosa, jun, mae = make.member("rosa"), make.member("jun"), make.member("mae")
    conversation = make.conversation(rosa, [jun, mae], subject="Group chat")
    log_in(client, jun)
    response = submit(client, f"/messages/{conversation.id}/leave", follow=True)
    assert "You have left “Group chat”" in unescape(response.text)
    assert "Group chat" not in client.get("/messages").text.split("</h1>")[1].split("flash")[-1]
    assert client.get(f"/messages/{conversation.id}").status_code == 404
    assert unread(jun) == []
    messaging.reply(conversation, rosa, "Still there, mae?")
    assert unread(jun) == [] and unread(mae) == ["New messages in “Group chat”"]

    as_member(client, mae)
    submit(client, f"/messages/{conversation.id}/leave")
    page = as_member(client, rosa).get(f"/messages/{conversation.id}").text
    assert "nobody to reply to" in page and 'action="/messages/1/reply"' not in page


# Blocking


def block(client, username):
    return submit(client, f"/u/{username}/block")


def test_a_block_stops_new_conversations_and_two_person_replies(client, make):
    rosa, pest = make.member("rosa"), make.member("pest")
    conversation = make.conversation(pest, [rosa], subject="Investment chance")
    log_in(client, rosa)
    assert block(client, "pest").status_code == 302
    assert "Unblock" in client.get("/u/pest").text
    assert "pest" in client.get("/settings/blocked").text

    as_member(client, pest)
    assert 'href="/messages/new?to=rosa"' not in client.get("/u/rosa").text
    assert "Block" in client.get("/u/rosa").text, "nothing tells them they were blocked"
    assert "rosa can't receive messages from you." in unescape(write(client, "rosa").text)
    page = client.get(f"/messages/{conversation.id}").text
    assert "rosa can't receive messages from you." in unescape(page)
    refused = submit(client, f"/messages/{conversation.id}/reply", {"body": "Hello?"})
    assert refused.status_code == 403
    assert count(Message) == 1 and count(Conversation) == 1


def test_a_block_silences_mentions_replies_reactions_and_group_messages(client, make):
    rosa, pest, jun = make.member("rosa"), make.member("pest"), make.member("jun")
    thread = make.thread(author=rosa, title="Good days")
    group = make.conversation(jun, [rosa, pest], subject="Group")
    messaging.block(rosa, pest)
    make.reply(thread, author=pest, body="@rosa hello again")
    community.toggle_reaction(db.session.get(Post, thread.first_post_id), pest,
                              community.ReactionKind.HUGS)  # fmt: skip
    messaging.reply(group, pest, "Hi everyone")
    assert unread(rosa) == ["jun sent you a message: “Group”"]
    messaging.mark_read(db.session.scalar(select(ConversationMember).where(
        ConversationMember.user_id == rosa.id)), rosa)  # fmt: skip
    messaging.reply(group, pest, "Anyone?")
    assert unread(rosa) == []
    make.reply(thread, author=jun, body="Lovely")
    assert unread(rosa) == ["jun replied to “Good days”"]

    log_in(client, rosa)
    page = client.get(f"/messages/{group.id}").text
    assert "A message from a member you blocked." in page and "Anyone?" not in page
    submit(client, "/u/pest/unblock", {"next": "/settings/blocked"})
    assert count(Block) == 0
    make.reply(thread, author=pest, body="Back again")
    assert unread(rosa)[-1] == "pest replied to “Good days”"


def test_members_cannot_block_staff_or_themselves(client, make):
    rosa = make.member("rosa")
    make.moderator("helper")
    log_in(client, rosa)
    assert "Block" not in client.get("/u/helper").text.split("<main")[1]
    assert block(client, "helper").status_code == 403
    assert block(client, "rosa").status_code == 403
    assert count(Block) == 0


# Reports


def test_a_reported_message_is_hidden_by_a_moderator_and_logged(client, make):
    rosa, scammer = make.member("rosa"), make.member("scammer")
    conversation = make.conversation(scammer, [rosa], subject="Miracle cure",
                                     body="Send $500 for the cure")  # fmt: skip
    messaging.reply(conversation, scammer, "A second message nobody reported")
    message = db.session.scalar(select(Message).order_by(Message.id))
    log_in(client, rosa)
    assert "Report" in client.get(f"/messages/{conversation.id}").text
    filed = submit(client, f"/messages/m/{message.id}/report", {"reason": "at-risk", "note": "X"})
    assert filed.status_code == 302
    again = submit(client, f"/messages/m/{message.id}/report", {"reason": "spam"}, follow=True)
    assert "already reported" in again.text
    case = db.session.scalar(select(Case))
    assert (case.message_id, case.post_id, case.is_urgent) == (message.id, None, True)

    moderator = make.moderator("mod")
    queue = as_member(client, moderator).get("/mod/reports").text
    assert "Send $500 for the cure" in queue and "Miracle cure" in queue and "scammer" in queue
    assert "A second message nobody reported" not in queue
    assert "Urgent" in queue
    submit(client, f"/mod/cases/{case.id}/resolve", {"resolution": "hidden", "reason": "Scam"})
    assert db.session.get(Message, message.id).state is MessageState.HIDDEN
    entry = db.session.scalar(select(ModerationLog))
    assert (entry.action, entry.case_id, entry.subject_id) == ("resolve-hidden", case.id,
                                                              scammer.id)  # fmt: skip
    assert entry.details == {"message": message.id, "conversation": conversation.id}
    assert client.get(f"/messages/{conversation.id}").status_code == 404, "still private"

    for reader in (rosa, scammer):
        page = as_member(client, reader).get(f"/messages/{conversation.id}").text
        assert "removed by a moderator" in page and "Send $500" not in page
        assert "A second message nobody reported" in page


def test_a_dismissed_message_report_changes_nothing_and_warn_warns(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(jun, [rosa], body="A joke in poor taste")
    message = db.session.scalar(select(Message))
    log_in(client, rosa)
    submit(client, f"/messages/m/{message.id}/report", {"reason": "unkind"})
    case_id = db.session.scalar(select(Case.id))
    as_member(client, make.moderator())
    submit(client, f"/mod/cases/{case_id}/resolve", {"resolution": "dismissed"})
    assert db.session.get(Message, message.id).is_visible
    as_member(client, rosa)
    submit(client, f"/messages/m/{message.id}/report", {"reason": "unkind", "note": "Again"})
    second = db.session.scalar(select(Case.id).order_by(Case.id.desc()))
    assert second != case_id, "a new case once the first is closed"
    as_member(client, make.moderator())
    decision = {"resolution": "hidden-warned", "reason": "Be kind"}
    submit(client, f"/mod/cases/{second}/resolve", decision)
    assert db.session.get(User, jun.id).has_pending_warning
    assert "Be kind" in as_member(client, jun).get(f"/messages/{conversation.id}").text


def test_members_cannot_report_their_own_messages(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    make.conversation(rosa, [jun])
    message = db.session.scalar(select(Message))
    log_in(client, rosa)
    assert client.get(f"/messages/m/{message.id}/report").status_code == 403
    assert count(Case) == 0


def test_every_message_form_refuses_a_missing_token(client, make):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(rosa, [jun])
    message = db.session.scalar(select(Message))
    log_in(client, jun)
    paths = ["/messages/new", f"/messages/{conversation.id}/reply",
             f"/messages/{conversation.id}/read", f"/messages/{conversation.id}/leave",
             f"/messages/m/{message.id}/report", "/u/rosa/block", "/u/rosa/unblock"]  # fmt: skip
    for path in paths:
        response = client.post(path, data={"to": "rosa", "subject": "x", "body": "x",
                                           "reason": "spam"})  # fmt: skip
        assert response.status_code == 400, path
    assert (count(Conversation), count(Message), count(Block), count(Case)) == (1, 1, 0, 0)
    assert (
        db.session.scalar(
            select(ConversationMember.left_at).where(ConversationMember.user_id == jun.id)
        )
        is None
    )


def test_message_pages_cost_a_fixed_number_of_indexed_statements(client, make, count_statements):
    rosa, jun = make.member("rosa"), make.member("jun")
    conversation = make.conversation(rosa, [jun])
    log_in(client, jun)

    def costs():
        found = {}
        for path in ("/messages", f"/messages/{conversation.id}"):
            with count_statements() as counted:
                assert client.get(path).status_code == 200
            found[path] = counted
        return found

    small = costs()
    for n in range(5):
        messaging.reply(conversation, rosa, f"Message {n}")
        make.conversation(make.member(), [jun, make.member()])
    large = costs()
    assert {path: c.count for path, c in small.items()} == {
        path: c.count for path, c in large.items()
    }
    if not is_sqlite(db.engine):
        return
    for counted in large.values():
        for statement, parameters in zip(counted.statements, counted.parameters, strict=True):
            with db.engine.connect() as connection:
                plan = connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                ).all()
            steps = [row[-1] for row in plan]
            assert not any("TEMP B-TREE" in step for step in steps), (statement, steps)
            assert not [step for step in steps if step.startswith("SCAN")], (statement, steps)


def test_a_message_to_nobody_is_refused_with_the_words_kept(client, rosa):
    response = submit(client, "/messages/new", {"to": " , @ ", "subject": "Hi",
                                                "body": "Words worth keeping"})  # fmt: skip
    assert "Please type the username" in response.text
    assert "Words worth keeping" in response.text


def test_a_newcomer_earns_messages_by_posting_with_the_default_settings(
    client, make, default_gates
):
    """Nothing set by hand: Ana joins through the form, her first two posts wait for a
    moderator, her third goes straight up, and then she may start a conversation."""
    assert default_gates == {"FIRST_POSTS_HELD": 2, "MESSAGES_AFTER_POSTS": 3}
    make.board(slug="hello", name="Say hello")
    make.member("rosa")
    submit(client, "/register", {"username": "ana", "email": "ana@example.org",
                                 "password": PASSWORD, "confirm": PASSWORD})  # fmt: skip
    not_yet = client.get("/messages/new")
    assert not_yet.status_code == 403
    assert "3 more posts and you're there" in unescape(not_yet.text)

    submit(client, "/b/hello/new", {"title": "Hello from Ana", "body": "Diagnosed in May."})
    thread = db.session.scalar(select(Thread).where(Thread.title == "Hello from Ana"))
    submit(client, f"/t/{thread.id}/reply", {"body": "And a little more about me."})
    held = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).all()
    assert [post.state for post in held] == [PostState.HELD, PostState.HELD]
    assert "3 more posts" in unescape(client.get("/messages/new").text), "held posts wait"

    moderator = client.application.test_client()
    log_in(moderator, make.moderator("mo"))
    for post in held:
        submit(moderator, f"/mod/p/{post.id}/approve")
    assert "One more post and you're there" in unescape(client.get("/messages/new").text)

    submit(client, f"/t/{thread.id}/reply", {"body": "Thank you all for the welcome."})
    third = db.session.scalar(select(Post).order_by(Post.id.desc()))
    assert third.state is PostState.VISIBLE, "after two approved posts, no more waiting"
    assert client.get("/messages/new").status_code == 200
    sent = write(client, "rosa")
    assert sent.status_code == 302 and count(Conversation) == 1


def test_a_post_taken_down_no_longer_counts_towards_messages(client, make, default_gates):
    ana = make.earn_trust(make.member("ana"))
    log_in(client, ana)
    assert client.get("/messages/new").status_code == 200
    latest = db.session.scalar(
        select(Post).where(Post.author_id == ana.id).order_by(Post.id.desc())
    )
    submit(client, f"/p/{latest.id}/delete")
    page = client.get("/messages/new")
    assert page.status_code == 403 and "One more post" in unescape(page.text)
