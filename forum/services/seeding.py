"""Loading the boards and pinned threads described in ``seed/`` into the database.

Seeding is idempotent: each pinned thread is known by its file's key, so a second run
finds everything in place and changes nothing, and an edited guide updates its opening
post (keeping the earlier text as a revision) without touching the replies beneath it.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select

from ..extensions import db
from ..models import Board, BoardVisibility, Post, Thread
from . import posting, site_pages
from .accounts import system_account

PINNED_FOLDERS = ("welcome", "guides")
# Notes for the people who write the pinned threads, kept beside them but never posted.
NOT_PINNED = frozenset({"README.md"})


@dataclass(frozen=True)
class PinnedThread:
    key: str
    board_slug: str
    title: str
    body: str


@dataclass
class SeedReport:
    boards_created: int = 0
    boards_updated: int = 0
    threads_created: int = 0
    threads_updated: int = 0
    pages_created: int = 0
    pages_updated: int = 0

    @property
    def changed_anything(self) -> bool:
        return any(vars(self).values())


def read_boards(seed_path: Path) -> list[dict]:
    with open(seed_path / "boards.toml", "rb") as handle:
        return tomllib.load(handle)["boards"]


def read_pinned_threads(seed_path: Path) -> list[PinnedThread]:
    threads = []
    for folder in PINNED_FOLDERS:
        for path in sorted((seed_path / folder).glob("*.md")):
            if path.name in NOT_PINNED:
                continue
            front_matter, body = split_front_matter(path.read_text(encoding="utf-8"))
            threads.append(
                PinnedThread(
                    key=f"{folder}/{path.stem}",
                    board_slug=front_matter["board"],
                    title=front_matter["title"],
                    body=body.strip(),
                )
            )
    return threads


def split_front_matter(text: str) -> tuple[dict, str]:
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def seed(seed_path: Path) -> SeedReport:
    report = SeedReport()
    boards = {board.slug: board for board in _seed_boards(read_boards(seed_path), report)}
    author = system_account()
    # Newest last-activity shows first among pinned threads, so the first file goes in last.
    for pinned in reversed(read_pinned_threads(seed_path)):
        _seed_pinned_thread(pinned, boards[pinned.board_slug], author, report)
    report.pages_created = site_pages.seed_missing(seed_path)
    report.pages_updated = site_pages.render_stored_again()
    db.session.commit()
    return report


def board_settings(fields: dict) -> dict:
    """Who may read a board and how members may post there, from its boards.toml entry.

    Members-only and staff boards are kept from search engines unless the file says
    otherwise (it cannot make them public: nothing there is public anyway).
    """
    visibility = BoardVisibility(fields.get("visibility", BoardVisibility.PUBLIC.value))
    return {
        "visibility": visibility,
        "noindex": bool(fields.get("noindex", visibility is not BoardVisibility.PUBLIC)),
        "allows_anonymous": bool(fields.get("anonymous", False)),
        "is_gentle": bool(fields.get("gentle", False)),
    }


def _seed_boards(described: list[dict], report: SeedReport) -> list[Board]:
    """Create missing boards with all their settings; keep existing ones' names and
    descriptions up to date, but never their settings, which admins change at /mod/boards
    (seeding again at the next release must not open a board an admin closed)."""
    existing = {board.slug: board for board in db.session.scalars(select(Board))}
    boards = []
    for position, fields in enumerate(described, start=1):
        wanted = {
            "name": fields["name"],
            "description": fields.get("description", ""),
            "topic": fields.get("topic"),
            "position": position,
        }
        board = existing.get(fields["slug"])
        if board is None:
            board = Board(slug=fields["slug"], **wanted, **board_settings(fields))
            db.session.add(board)
            report.boards_created += 1
        elif any(getattr(board, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(board, name, value)
            report.boards_updated += 1
        boards.append(board)
    db.session.flush()
    return boards


def _seed_pinned_thread(pinned: PinnedThread, board: Board, author, report: SeedReport) -> None:
    thread = db.session.scalar(select(Thread).where(Thread.seed_key == pinned.key))
    if thread is None:
        posting.start_thread(
            board, author, pinned.title, pinned.body, is_pinned=True, seed_key=pinned.key
        )
        report.threads_created += 1
        return
    changed = False
    if thread.board_id != board.id:
        # The guide's file now names another board: the thread follows it there.
        previous = db.session.get(Board, thread.board_id)
        thread.board_id = board.id
        for changed_board in sorted((previous, board), key=lambda b: b.id):
            posting.recount_board(changed_board)
        changed = True
    opening = thread.first_post_id and db.session.get(Post, thread.first_post_id)
    if opening is not None and (opening.source != pinned.body or thread.title != pinned.title):
        posting.revise_post(opening, author, pinned.body, title=pinned.title)
        changed = True
    elif opening is not None and opening.html != (html := posting.render_post(opening.source)):
        # Same words, new markup rules (markup.MARKUP_VERSION): every release seeds, so the
        # guides everyone reads are never left in the old form.
        opening.html = html
        changed = True
    if changed:
        db.session.commit()
        report.threads_updated += 1
