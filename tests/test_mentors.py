"""Peer mentors: experienced members an admin gives a badge, who can choose to be listed on
/mentors so that a new member can write to one of them before they could message anyone
else. A new member's first thread says a mentor may reply."""

from html import unescape

from sqlalchemy import select

from forum.extensions import db
from forum.models import Conversation, ModerationLog, Post, User
from forum.services import accounts, moderation

from .factories import count, csrf_token, log_in, submit

SENT = "Your message is sent."


def log_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


def mentor(make, username="mia", story="Stage IV since 2014, still gardening", listed=True):
    member = make.member(username)
    member.story = story
    moderation.set_mentor(member, make.admin(), True, "Years of kind replies")
    accounts.set_mentor_listed(member, listed)  # her choice, as the settings form makes it
    return member


def write(client, to, body="I was diagnosed last month and I don't know where to start."):
    return submit(client, "/messages/new", {"to": to, "subject": "Hello", "body": body})


def test_an_admin_gives_the_badge_and_the_mentor_chooses_to_be_listed(client, make):
    mia = make.member("mia")
    mia.story = "Stage IV since 2014, still gardening"
    log_in(client, make.moderator())
    assert submit(client, "/mod/u/mia/mentor", {"is_mentor": "y"}).status_code == 403
    log_out(client)

    log_in(client, make.admin("ada"))
    assert "Give the peer mentor badge" in client.get("/mod/u/mia").text
    submit(client, "/mod/u/mia/mentor", {"is_mentor": "y", "reason": "Years of kind replies"})
    entry = db.session.scalar(select(ModerationLog))
    assert (entry.action, entry.subject_id, entry.reason) == (
        "grant-mentor", mia.id, "Years of kind replies")  # fmt: skip
    assert db.session.get(User, mia.id).is_mentor
    # The badge alone does not list her: that is her own choice.
    log_out(client)
    jun = make.member("jun")
    log_in(client, jun)
    assert 'href="/u/mia"' not in client.get("/mentors").text
    assert "Peer mentor" in client.get("/u/mia").text
    assert "List me on the peer mentors page" not in client.get("/settings").text
    assert submit(client, "/settings/mentor", {"listed": "y"}).status_code == 403
    log_out(client)

    log_in(client, mia)
    assert "List me on the peer mentors page" in client.get("/settings").text
    submit(client, "/settings/mentor", {"listed": "y"})
    assert db.session.get(User, mia.id).mentor_listed
    log_out(client)

    log_in(client, jun)
    page = client.get("/mentors").text
    assert 'href="/u/mia"' in page and "Stage IV since 2014, still gardening" in page
    assert 'href="/messages/new?to=mia"' in page
    log_out(client)
    # Visitors hear what the page is for, and are asked to log in to see who.
    visitor = client.get("/mentors").text
    assert 'href="/u/mia"' not in visitor and "/login?next=" in visitor


def test_a_new_member_can_write_to_a_listed_mentor_but_not_to_others(client, make, default_gates):
    mentor(make, "mia")
    mentor(make, "ned", listed=False)
    make.member("jun")
    ana = make.newcomer("ana")  # no approved posts yet
    log_in(client, ana)

    assert 'href="/messages/new?to=mia"' in client.get("/mentors").text
    assert "/messages/new?to=mia" in client.get("/u/mia").text
    assert "/messages/new?to=jun" not in client.get("/u/jun").text
    assert client.get("/messages/new?to=mia").status_code == 200
    for name in ("jun", "ned"):
        assert client.get(f"/messages/new?to={name}").status_code == 403
        assert write(client, name).status_code == 403
    # Adding someone else to the mentor keeps her words and says why it can't go.
    both = write(client, "mia, jun", body="Keep these words")
    assert both.status_code == 200 and "one peer mentor at a time" in unescape(both.text)
    assert "Keep these words" in both.text
    assert count(Conversation) == 0

    sent = write(client, "mia")
    assert sent.status_code == 302
    assert SENT in client.get(sent.location).text
    assert count(Conversation) == 1


def test_mentors_who_cannot_answer_are_not_listed(client, make):
    mentor(make, "mia")
    resting = mentor(make, "ned")
    admin = make.admin()
    moderation.suspend(resting, admin, "A pause", None)
    moderation.mark_remembered(mentor(make, "rue"), admin, "Forever loved.", "", "Her son")
    log_in(client, make.member("jun"))
    page = client.get("/mentors").text
    assert 'href="/u/mia"' in page
    assert 'href="/u/ned"' not in page and 'href="/u/rue"' not in page

    # Taking the badge back takes her off the list too.
    sam = mentor(make, "sam")
    moderation.set_mentor(sam, admin, False, "Stepping back")
    assert 'href="/u/sam"' not in client.get("/mentors").text
    assert not db.session.scalar(select(User.mentor_listed).where(User.username == "sam"))


def test_the_badge_shows_beside_the_name_at_no_extra_cost(client, make, count_statements):
    mia = make.member("mia")
    thread = make.thread(author=make.member("rosa"), title="Side effects of Ibrance")
    make.reply(thread, author=mia, body="It got easier for me after the first cycle.")
    path = f"/t/{thread.id}/{thread.slug}"

    def statements() -> int:
        with count_statements() as counted:
            assert client.get(path).status_code == 200
        return counted.count

    before = statements()
    assert "tag-mentor" not in client.get(path).text
    moderation.set_mentor(mia, make.admin(), True)
    after = statements()
    assert after == before == 3  # the visitor's budget in test_pages
    page = client.get(path).text
    assert page.count('<span class="tag tag-mentor">Peer mentor</span>') == 1


# A new member's first thread


def test_a_new_members_first_thread_says_a_mentor_may_reply(client, make, default_gates):
    ana = make.newcomer("ana", confirmed=True)
    first = make.thread(author=ana, title="Just diagnosed, stage IV")
    moderation.approve_post(db.session.get(Post, first.first_post_id), make.moderator())
    second = make.thread(author=ana, title="Questions about scans")
    assert first.is_authors_first and not second.is_authors_first

    note = 'A <a href="/mentors">peer mentor</a> — someone who has been where'
    page = client.get(f"/t/{first.id}/{first.slug}").text
    assert note in page and "a new member's first thread" in unescape(page)
    log_in(client, ana)
    page = client.get(f"/t/{first.id}/{first.slug}").text
    assert "Welcome. A" in page and note in page
    assert "peer mentor" not in client.get(f"/t/{second.id}/{second.slug}").text


def test_only_a_thread_opened_with_someones_first_post_is_welcomed(make):
    rosa = make.member("rosa")
    make.reply(make.thread(), author=rosa)
    assert not make.thread(author=rosa).is_authors_first
    assert not make.thread(author=make.moderator()).is_authors_first
    assert make.thread(author=make.member()).is_authors_first
