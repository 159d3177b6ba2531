"""Commands for running Harbor: ``flask --app wsgi seed | users ... | posts rerender``."""

import click
from flask import Flask, current_app
from sqlalchemy import select

from .extensions import db
from .models import Post, Role
from .services import accounts, posting, searching, seeding

ROLE_NAMES = [role.value for role in Role]


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users)
    app.cli.add_command(posts)
    app.cli.add_command(search)


@click.command("seed")
def seed_command():
    """Create the boards and pinned guides from seed/ (safe to run again)."""
    report = seeding.seed(current_app.config["SEED_PATH"])
    if report.changed_anything:
        click.echo(
            f"Seeded: {report.boards_created} boards created, {report.boards_updated} updated; "
            f"{report.threads_created} pinned threads created, {report.threads_updated} updated."
        )
    else:
        click.echo("Seed: everything is already in place.")


@click.group()
def users():
    """Create members and change their roles."""


@users.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLE_NAMES), default=Role.MEMBER.value)
@click.option("--password", help="Prompted for (hidden) when left out.")
def create_user(username, email, role, password):
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    for problem, hint in (
        (accounts.username_problem(username, allow_reserved=True), "USERNAME"),
        (accounts.password_problem(password), "password"),
    ):
        if problem:
            raise click.BadParameter(problem, param_hint=hint)
    try:
        # The web form keeps quiet about whose address this is; an operator should be told.
        if accounts.email_in_use(email):
            raise click.ClickException(f"The email address {email!r} belongs to another account.")
        user = accounts.register_member(username, email, password, role=Role(role))
    except accounts.UsernameTaken:
        raise click.ClickException(f"The username {username!r} is taken.") from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    click.echo(f"Created {user.username} ({user.role.value}).")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLE_NAMES))
def set_role(username, role):
    """Make a member a moderator or admin, or back again."""
    user = accounts.find_member(username)
    if user is None or user.is_system:
        raise click.ClickException(f"There is no member called {username!r}.")
    accounts.set_role(user, Role(role))
    click.echo(f"{user.username} is now {role}.")


@click.group()
def posts():
    """Maintain stored posts."""


@posts.command("rerender")
@click.option("--batch-size", default=500, show_default=True)
def rerender(batch_size):
    """Render every post's HTML again from its Markdown (after the markup rules change)."""
    changed = seen = 0
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Post).where(Post.id > last_id).order_by(Post.id).limit(batch_size)
            )
        )
        if not batch:
            break
        for post in batch:
            html = posting.render_post(post.source)
            if html != post.html:
                post.html = html
                changed += 1
        seen += len(batch)
        last_id = batch[-1].id
        db.session.commit()
    click.echo(f"Rendered {seen} posts again; {changed} changed.")


@click.group()
def search():
    """Maintain the full-text search index."""


@search.command("rebuild")
def rebuild_search():
    """Index every post again from scratch (after restoring a backup, say)."""
    click.echo(f"Indexed {searching.rebuild()} searchable posts.")
