"""`flask doctor`: finds every stored count, link and index entry that disagrees with the
posts, and puts them right."""

from sqlalchemy import text, update

from forum.dialects import is_sqlite
from forum.extensions import db
from forum.models import Board, Thread, User
from forum.services import doctor, posting


def test_a_healthy_forum_is_reported_consistent(runner, make, default_gates):
    thread = make.thread(author=make.moderator())
    make.reply(thread)
    db.session.get(Board, thread.board_id).allows_anonymous = True
    posting.reply(thread, make.member(), "Posted as a member", anonymous=True)
    make.reply(thread, author=make.newcomer())  # held, so not counted
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "Everything is consistent" in result.output


def test_every_kind_of_damage_is_found_and_repaired(runner, make):
    thread = make.thread()
    reply = make.reply(thread)
    damage = {"reply_count": 7, "last_post_id": thread.first_post_id, "post_count": 1}
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(**damage))
    db.session.execute(update(Board).where(Board.id == thread.board_id).values(post_count=0))
    db.session.execute(
        update(User).where(User.id == reply.author_id).values(post_count=9, visible_post_count=0)
    )
    column = "rowid" if is_sqlite(db.engine) else "post_id"
    db.session.execute(text(f"DELETE FROM post_search WHERE {column} = :id"), {"id": reply.id})
    db.session.commit()

    found = {(f.kind, f.field) for f in doctor.examine()}
    # The board's "last post" follows its threads', so the damaged thread shows there too.
    assert found == {("thread", "reply_count"), ("thread", "last_post_id"),
                     ("thread", "post_count"), ("board", "post_count"), ("board", "last_post_id"),
                     ("member", "post_count"), ("member", "visible_post_count"),
                     ("search", "indexed")}  # fmt: skip

    checked = runner.invoke(args=["doctor"])
    assert checked.exit_code != 0 and "--repair" in checked.output
    repaired = runner.invoke(args=["doctor", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert doctor.examine() == []
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 1
    assert db.session.get(Thread, thread.id).last_post_id == reply.id
    assert db.session.get(User, reply.author_id).visible_post_count == 1


def test_unread_counts_that_drifted_are_repaired(runner, make):
    rosa = make.member("rosa")
    make.reply(make.thread(author=rosa))
    db.session.execute(update(User).where(User.id == rosa.id).values(unread_notifications=5))
    db.session.commit()
    assert [str(f) for f in doctor.examine()] == [
        f"member {rosa.id}: unread_notifications is 5, should be 1"
    ]
    assert runner.invoke(args=["doctor", "--repair"]).exit_code == 0
    db.session.refresh(rosa)
    assert rosa.unread_notifications == 1
