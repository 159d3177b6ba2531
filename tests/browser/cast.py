"""The people and conversations the browser tests meet, made through the services.

Run as ``python -m tests.browser.cast`` with the server's environment: it migrates and seeds
the fresh database first (one process is much quicker than three), then prints what it made
as JSON. Every journey signs up its own newcomer, so these are
the established members, the staff, and enough life for every page to have something on it.
"""

import json

import flask_migrate
from flask import current_app
from sqlalchemy import select

from forum import create_app
from forum.extensions import db
from forum.models import Board, ReactionKind, ReportReason, Thread
from forum.services import community, messaging, moderation, posting, seeding
from tests.factories import Factories

# Long enough to wrap on a phone, as real titles do.
THREAD_TITLE = "Starting Ibrance next week: what helped you through the first cycle?"
FIRST_POST = (
    "My oncologist says I start Ibrance and letrozole on Monday. I'm more nervous about "
    "the tiredness than anything else. What helped you in the first few weeks?"
)
# Three lines on a 375px phone, as a worried question often is, on the board with the
# longest name: the phone test's worst case.
LONG_THREAD_TITLE = "My scan is next Tuesday, a year on Kisqali: how do you cope with the wait?"
LONG_THREAD_REPLIES = 24  # a second page, so the page links show


def make_cast() -> dict:
    make = Factories()
    admin = make.admin("ada")
    moderator = make.moderator("mo")
    treatments = db.session.scalar(select(Board).where(Board.slug == "treatments"))
    living = db.session.scalar(select(Board).where(Board.slug == "living-with-mbc"))
    welcome = db.session.scalar(select(Board).where(Board.slug == "welcome"))
    # The server runs with the default gates: the established members said hello on the
    # welcome board and had their first posts approved, as anyone would.
    jun, lin, ola = (
        make.earn_trust(make.member(name), moderator, welcome) for name in ("jun", "lin", "ola")
    )

    thread = _thread(treatments, jun, THREAD_TITLE, FIRST_POST)
    first_reply = posting.reply(thread, lin, "Short walks, even ten minutes, and a nap at noon.")
    posting.reply(thread, ola, "Thinking of you, @jun. Ask about the blood test schedule too.")
    community.toggle_reaction(first_reply, jun, ReactionKind.HUGS)

    # Something in each of the moderators' queues, so their pages show real rows.
    reported = _thread(living, ola, "A question about supplements", "Has anyone tried this?")
    moderation.report_post(db.session.get(posting.Post, reported.first_post_id), lin,
                           ReportReason.MISINFORMATION, "Sounds like a sales pitch.")  # fmt: skip
    waiting = make.newcomer("nell", confirmed=True)
    held = _thread(living, waiting, "Hello from a newcomer", "I was diagnosed last month.")

    # The report and curation journeys each get a thread of their own to change.
    scam = _thread(living, ola, "Feeling stronger this month", "Gentle yoga has helped me.")
    posting.reply(scam, lin, "DM me for a miracle cure that doctors hide, only $99.")
    to_curate = _thread(treatments, lin, "Best socks for cold feet?", "Mine are always cold.")

    long_thread = _thread(living, lin, LONG_THREAD_TITLE, "The week before a scan, I barely sleep.")
    for number in range(LONG_THREAD_REPLIES):
        posting.reply(
            long_thread, (ola, lin)[number % 2], f"Holding you in my thoughts ({number})."
        )
    # A conversation everyone in the cast is in but the newcomer, for the messages pages.
    conversation = messaging.start_conversation(
        admin, [jun, lin, moderator], "Checking in", "How is everyone doing this week?"
    )
    message = messaging.reply(conversation, lin, "Better today, thank you.")
    guide = db.session.scalar(
        select(Thread)
        .where(Thread.board_id == treatments.id, Thread.seed_key.is_not(None))
        .order_by(Thread.id)
    )

    return {
        "admin": admin.username,
        "moderator": moderator.username,
        "members": [jun.username, lin.username, ola.username],
        "thread": {
            "id": thread.id,
            "path": f"/t/{thread.id}/{thread.slug}",
            "first_post_id": thread.first_post_id,
        },
        "reported_thread": {"id": reported.id, "path": f"/t/{reported.id}/{reported.slug}"},
        "report_thread": {"path": f"/t/{scam.id}/{scam.slug}"},
        "curation_thread": {"path": f"/t/{to_curate.id}/{to_curate.slug}"},
        "held_thread": {"id": held.id, "path": f"/t/{held.id}/{held.slug}",
                        "first_post_id": held.first_post_id},
        "long_thread": {"path": f"/t/{long_thread.id}/{long_thread.slug}"},
        "guide": {"path": f"/t/{guide.id}/{guide.slug}", "first_post_id": guide.first_post_id},
        "newcomer": waiting.username,
        "conversation_id": conversation.id,
        "message_id": message.id,
    }  # fmt: skip


def _thread(board, author, title, body):
    post = posting.start_thread(board, author, title, body)
    return db.session.get(posting.Thread, post.thread_id)


if __name__ == "__main__":
    with create_app().app_context():
        flask_migrate.upgrade()
        seeding.seed(current_app.config["SEED_PATH"])
        print(json.dumps(make_cast()))
