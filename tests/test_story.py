"""A newcomer's first day on Harbor, told through the pages."""

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, PostState, Thread, User

from .factories import PASSWORD, log_in, submit


def test_newcomer_reads_a_guide_joins_posts_gets_a_reply_then_edits_and_deletes(
    client, app, runner, make, default_gates
):
    runner.invoke(args=["seed"])

    # Rosa finds the board about treatments and reads its pinned guide without an account.
    index = client.get("/")
    assert "Treatments and side effects" in index.text
    board = client.get("/b/treatments")
    assert "Pinned" in board.text
    guide = client.get("/t/" + _first_thread_id(board.text), follow_redirects=True)
    assert "HealthCentral" in guide.text and "PJ Hamel" in guide.text

    # She joins, and lands back where she was.
    response = submit(
        client,
        "/register",
        {"username": "rosa", "email": "Rosa@Example.org", "password": PASSWORD,
         "confirm": PASSWORD, "next": "/b/treatments"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == "/b/treatments"

    # She starts a thread and is taken to it; as a newcomer, it waits for a moderator.
    response = submit(
        client,
        "/b/treatments/new",
        {"title": "Starting Ibrance next week", "body": "Any tips for the **first cycle**?"},
    )
    assert response.status_code == 302
    thread_page = client.get(response.headers["Location"])
    assert "<strong>first cycle</strong>" in thread_page.text
    assert "Waiting for a moderator" in thread_page.text
    thread = db.session.scalar(select(Thread).where(Thread.title == "Starting Ibrance next week"))
    client.post("/logout", data={"csrf_token": _token(client)})
    assert client.get(f"/t/{thread.id}", follow_redirects=True).status_code == 404

    # A moderator approves it from the queue, and Rosa is told.
    log_in(client, make.moderator("mo"))
    assert "Starting Ibrance next week" in client.get("/mod/queue").text
    submit(client, f"/mod/p/{thread.first_post_id}/approve")
    client.post("/logout", data={"csrf_token": _token(client)})
    assert "Any tips" in client.get(f"/t/{thread.id}", follow_redirects=True).text

    # Jun, who has been here a while, replies.
    jun = make.earn_trust(make.member("jun"))
    posts_before = jun.post_count
    log_in(client, jun)
    response = submit(client, f"/t/{thread.id}/reply", {"body": "You've got this, Rosa."})
    assert response.status_code == 302
    reply_id = int(response.headers["Location"].rsplit("#p", 1)[1])
    assert "You've got this, Rosa." in client.get(response.headers["Location"]).text
    db.session.expire_all()
    assert thread.reply_count == 1
    assert thread.last_post_id == reply_id
    assert db.session.get(User, jun.id).post_count == posts_before + 1

    # Rosa edits her opening post, then deletes it; the thread stays readable.
    client.post("/logout", data={"csrf_token": _token(client)})
    rosa = db.session.scalar(select(User).where(User.username == "rosa"))
    log_in(client, rosa)
    assert "approved your post" in client.get("/notifications").text
    response = submit(
        client,
        f"/p/{thread.first_post_id}/edit",
        {"title": "Starting Ibrance on Monday", "body": "Any tips for the first cycle? Nervous."},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Starting Ibrance on Monday" in page.text and "Nervous." in page.text

    confirm = client.get(f"/p/{thread.first_post_id}/delete")
    assert "Delete your post?" in confirm.text
    response = submit(client, f"/p/{thread.first_post_id}/delete")
    page = client.get(response.headers["Location"])
    assert "deleted by its author" in page.text
    assert "Nervous." not in page.text
    assert "You've got this, Rosa." in page.text
    db.session.expire_all()
    assert db.session.get(Post, thread.first_post_id).state is PostState.DELETED
    assert db.session.get(User, rosa.id).post_count == 0


def _first_thread_id(board_html: str) -> str:
    return board_html.split('href="/t/', 1)[1].split("/", 1)[0]


def _token(client):
    from .factories import csrf_token

    return csrf_token(client)


def _register(client, username):
    submit(
        client,
        "/register",
        {"username": username, "email": f"{username}@example.org", "password": PASSWORD,
         "confirm": PASSWORD},
    )  # fmt: skip
    return db.session.scalar(select(User).where(User.username == username))
