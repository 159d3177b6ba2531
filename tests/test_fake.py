"""`flask fake`: a made-up forum that is deterministic, consistent, and never mixed into a
real one by accident."""

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Thread, User
from forum.services import doctor


def titles() -> list[str]:
    return list(db.session.scalars(select(Thread.title).order_by(Thread.id)))


def test_fake_fills_a_fresh_forum_whose_counts_all_agree(runner, ctx):
    assert runner.invoke(args=["seed"]).exit_code == 0
    result = runner.invoke(args=["fake", "--members", "30", "--threads", "40", "--posts", "400"])
    assert result.exit_code == 0, result.output
    assert "Made 30 members, 40 threads, 400 posts." in result.output
    fake_posts = db.session.scalars(select(Post).where(Post.author_id.in_(
        select(User.id).where(User.email.like("%@fake.invalid"))))).all()  # fmt: skip
    assert len(fake_posts) == 400
    assert 350 < sum(len(post.source) for post in fake_posts) / 400 < 900  # about 500 each
    assert doctor.examine() == []


def test_the_same_seed_makes_the_same_forum(runner, ctx):
    runner.invoke(args=["seed"])
    runner.invoke(args=["fake", "--members", "5", "--threads", "5", "--posts", "20", "--seed", "7"])
    first = titles()
    runner.invoke(args=["fake", "--members", "5", "--threads", "5", "--posts", "20", "--seed", "7"])
    second = titles()
    assert second[len(first) :] == first[-5:]


def test_fake_refuses_a_forum_with_real_members(runner, make):
    runner.invoke(args=["seed"])
    make.member("rosa")
    result = runner.invoke(args=["fake", "--members", "5", "--threads", "5", "--posts", "20"])
    assert result.exit_code != 0 and "1 real members" in result.output
    forced = runner.invoke(
        args=["fake", "--members", "5", "--threads", "5", "--posts", "20", "--force"]
    )
    assert forced.exit_code == 0, forced.output
