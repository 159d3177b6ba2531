"""Commands for running Harbor: ``flask --app wsgi seed | users ... | posts ... | mail ...``."""

import logging
import signal
import time
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from . import config as harbor_config
from . import page_cache, policy
from .dialects import is_sqlite
from .extensions import db
from .models import Post, Role
from .services import (
    accounts,
    backups,
    doctor,
    faking,
    mail,
    posting,
    searching,
    seeding,
    site_pages,
)

ROLE_NAMES = [role.value for role in Role]
log = logging.getLogger("harbor.cli")


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users)
    app.cli.add_command(posts)
    app.cli.add_command(search)
    app.cli.add_command(cache_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(doctor_command)
    app.cli.add_command(fake_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("seed")
def seed_command():
    """Create the boards and pinned guides from seed/ (safe to run again)."""
    report = seeding.seed(current_app.config["SEED_PATH"])
    if report.changed_anything:
        click.echo(
            f"Seeded: {report.boards_created} boards created, {report.boards_updated} updated; "
            f"{report.threads_created} pinned threads created, {report.threads_updated} updated; "
            f"{report.pages_created} site pages created, {report.pages_updated} updated."
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
        # The operator vouches for the address, so it needs no confirming.
        user = accounts.register_member(username, email, password, role=Role(role), confirmed=True)
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
    if not policy.has_changeable_role(user):
        raise click.ClickException(
            f"{user.username}'s role cannot change: the account is remembered or deleted."
        )
    accounts.set_role(user, Role(role))
    click.echo(f"{user.username} is now {role}.")


@click.group()
def posts():
    """Maintain stored posts."""


@posts.command("rerender")
@click.option("--batch-size", default=500, show_default=True)
def rerender(batch_size):
    """Render every post's HTML again from its Markdown (after the markup rules change),
    and the site's own pages (the crisis protocol)."""
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
    site_pages.render_stored_again()
    db.session.commit()
    click.echo(f"Rendered {seen} posts again; {changed} changed.")


@click.group()
def search():
    """Maintain the full-text search index."""


@search.command("rebuild")
def rebuild_search():
    """Index every post again from scratch (after restoring a backup, say)."""
    click.echo(f"Indexed {searching.rebuild()} searchable posts.")


@search.command("optimize")
def optimize_search():
    """Merge the index for speed (after a bulk load; now and then on a busy forum)."""
    searching.optimize()
    click.echo("The search index is optimized.")


@click.group("cache")
def cache_group():
    """The pages and posts kept rendered (forum/page_cache.py)."""


@cache_group.command("forget")
def forget_cache():
    """Make everything kept stale at once, on every worker and host (after pg_restore)."""
    page_cache.forget_everything_kept()
    click.echo("Every kept page and post is stale: each is rendered afresh when next read.")


@click.group("mail")
def mail_group():
    """Send the email waiting in the outbox."""


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep running: send, queue digests, wait, repeat.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds.")
def send_mail(loop, interval):
    """Deliver waiting email over MAIL_URL (or to instance/mail/ as .eml files)."""
    try:
        transport = mail.transport_for(current_app)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if isinstance(transport, mail.SmtpTransport) and current_app.config["BASE_URL"] == (
        harbor_config.DEFAULT_BASE_URL
    ):
        raise click.ClickException(
            "Set HARBOR_BASE_URL to the site's public address before sending real email: "
            f"links would point at {harbor_config.DEFAULT_BASE_URL}."
        )
    if not loop:
        click.echo(f"Mail: {mail.deliver_waiting(mail.transport_for(current_app))}.")
        return
    stopping = []
    # Finish the email in hand on Ctrl-C or a service manager's TERM, then stop.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.append(True))
    click.echo(f"Mail worker started; a round every {interval:g} seconds. Ctrl-C stops it.")
    next_digests = 0.0
    while not stopping:
        try:
            _mail_round(next_digests <= time.monotonic())
        except Exception:
            # A database restart, say: log it and try again next round rather than die.
            log.exception("Mail worker round failed; trying again in %g seconds.", interval)
        if next_digests <= time.monotonic():
            next_digests = time.monotonic() + 60
        db.session.remove()
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
    click.echo("Mail worker stopped.")


def _mail_round(with_digests: bool) -> None:
    # Digests are daily; looking for due ones once a minute is plenty.
    digests = mail.queue_digests() if with_digests else 0
    report = mail.deliver_waiting(mail.transport_for(current_app))
    if digests or report.sent or report.retrying or report.given_up:
        click.echo(f"Mail: {digests} digests queued; {report}.")


@mail_group.command("digest")
def queue_digests():
    """Queue the daily summaries that are due (the --loop worker does this by itself)."""
    click.echo(f"Queued {mail.queue_digests()} digests.")


@mail_group.command("status")
def mail_status():
    """How many emails are waiting."""
    click.echo(f"{mail.waiting_count()} emails waiting to be sent.")


@click.command("doctor")
@click.option("--repair", is_flag=True, help="Put right every difference found.")
def doctor_command(repair):
    """Check every stored count, "last post" link and the search index against the posts."""
    findings = doctor.examine()
    if not findings:
        click.echo("Everything is consistent: counts, last posts and the search index.")
        return
    kinds = sorted({finding.kind for finding in findings})
    for kind in kinds:
        of_kind = [finding for finding in findings if finding.kind == kind]
        click.echo(f"{len(of_kind)} differences in {kind} data:")
        for finding in of_kind[: doctor.SHOWN]:
            click.echo(f"  {finding}")
    if not repair:
        raise click.ClickException("Run again with --repair to put these right.")
    doctor.repair(findings)
    remaining = doctor.examine()
    if remaining:
        raise click.ClickException(f"{len(remaining)} differences remain after repairing.")
    click.echo(f"Repaired {len(findings)} differences; everything is consistent now.")


@click.command("fake")
@click.option("--members", default=2_000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--threads", default=2_000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--posts", default=40_000, show_default=True, type=click.IntRange(1, 100_000_000))
@click.option("--seed", default=1, show_default=True, help="The same seed makes the same forum.")
@click.option("--force", is_flag=True, help="Run even though real members are here.")
def fake_command(members, threads, posts, seed, force):
    """Fill the database with realistic, made-up members, threads and posts (for benchmarks)."""
    if posts < threads:
        raise click.BadParameter("Every thread needs a post: --posts must be at least --threads.")
    try:
        made = faking.fake(
            faking.Plan(members, threads, posts, seed),
            echo=lambda line: click.echo(line, nl=False, err=True),
            force=force,
        )
    except faking.HasRealMembers:
        raise click.ClickException(
            f"This database has {faking.real_member_count()} real members. Made-up data "
            "would mix with theirs; use a fresh database, or --force if you are sure."
        ) from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Made {made['members']:,} members, {made['threads']:,} threads, "
               f"{made['posts']:,} posts.")  # fmt: skip


@click.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def backup_command(path):
    """Copy the SQLite database while the site runs (on PostgreSQL: how to use pg_dump).

    PATH is a new file or a folder; by default instance/backups/harbor-<UTC time>.db.
    """
    if not is_sqlite(db.engine):
        click.echo(backups.pg_dump_advice(db.engine.url))
        # Not a success: a scheduled job must not mistake this for a backup made.
        raise SystemExit(1)
    target = backups.backup_target(path, Path(current_app.instance_path))
    try:
        made = backups.back_up(_sqlite_file(), target)
    except (FileExistsError, backups.DamagedDatabase) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database to {made} ({made.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database without asking first.")
def restore_command(path, yes):
    """Put a backup made by `backup` in place of the SQLite database.

    The database as it is now is kept in instance/backups/ first. Everything written since
    the backup was made is replaced, so stop the site (or expect that) before restoring.
    """
    if not is_sqlite(db.engine):
        raise click.ClickException(
            "Harbor restores SQLite databases only; on PostgreSQL use pg_restore into a new, "
            "empty database (see Backups in the README)."
        )
    database = _sqlite_file()
    try:
        revision = backups.check_backup(path)
    except backups.NotAHarborBackup as error:
        raise click.ClickException(f"Not restored: {error}") from None
    keep_at = backups.backup_target(
        None, Path(current_app.instance_path), prefix="harbor-before-restore"
    )
    if not yes:
        click.confirm(
            f"Replace the database at {database} with {path}? Everything written since that "
            f"backup is replaced (the database as it is now is kept at {keep_at}).",
            abort=True,
        )
    try:
        backups.restore(path, database, keep_at)
    except backups.NotAHarborBackup as error:
        raise click.ClickException(f"Not restored: {error}") from None
    db.engine.dispose()
    click.echo(f"Restored {path}. The database as it was is kept at {keep_at}.")
    if revision != backups.head_revision():
        click.echo("The backup is from an older Harbor: run `flask --app wsgi db upgrade` now.")
    else:
        click.echo("Run `flask --app wsgi doctor` to check its counts and search index.")


def _sqlite_file() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise click.ClickException("This database lives in memory: there is no file to copy.")
    return Path(database)
