"""Atom feeds: new threads in a board, new posts in a thread, only what anyone may read."""

import xml.etree.ElementTree as ElementTree

from forum.services import moderation

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[str]:
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.data)
    return [entry.find(f"{ATOM}content").text for entry in feed.iter(f"{ATOM}entry")]


def test_a_board_feed_lists_new_threads_and_a_thread_feed_its_posts(client, make):
    board = make.board("treatments")
    thread = make.thread(board=board, title="Ibrance tips", body="Take it with food")
    make.reply(thread, body="Thank you <b>so</b> much")
    assert entries(client.get("/b/treatments/feed.atom")) == ["<p>Take it with food</p>"]
    assert entries(client.get(f"/t/{thread.id}/feed.atom")) == [
        "<p>Thank you &lt;b&gt;so&lt;/b&gt; much</p>",
        "<p>Take it with food</p>",
    ]


def test_feeds_leave_out_hidden_posts_and_threads(client, make):
    thread = make.thread(body="Public words")
    reply = make.reply(thread, body="Removed words")
    moderator = make.moderator()
    moderation.hide_post(reply, moderator, moderation.ReportReason.SPAM)
    assert entries(client.get(f"/t/{thread.id}/feed.atom")) == ["<p>Public words</p>"]
    moderation.set_thread_hidden(thread, moderator, True)
    assert client.get(f"/t/{thread.id}/feed.atom").status_code == 404
    assert client.get("/b/no-such-board/feed.atom").status_code == 404


def test_feed_addresses_come_from_the_site_address_not_the_request(app, client, make):
    """Anyone can send any Host header; a feed reader or cache that keeps the answer must
    not be handed links to somewhere else."""
    thread = make.thread(board=make.board("treatments"))
    site = app.config["BASE_URL"] + "/"
    for path in ("/b/treatments/feed.atom", f"/t/{thread.id}/feed.atom"):
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 200, path
        assert b"evil.example" not in response.data, path
        feed = ElementTree.fromstring(response.data)
        ids = [found.text for found in feed.iter(f"{ATOM}id")]
        links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
        assert len(ids) == 2 and len(links) == 3, path
        assert all(address.startswith(site) for address in ids + links), path
