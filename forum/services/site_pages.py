"""The site's own pages that admins edit in place, first written from ``seed/<name>.md``.

Until ``flask seed`` has stored a page, it is read from its seed file, so the crisis
protocol is there for moderators from the first day.
"""

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..markup import PAGE_TOP_HEADING, render_markdown
from ..models import SitePage, site_page

CRISIS_PROTOCOL = "crisis-protocol"
SEEDED = (CRISIS_PROTOCOL,)


def seed_file(name: str, seed_path: Path | None = None) -> Path:
    return Path(seed_path or current_app.config["SEED_PATH"]) / f"{name}.md"


def render_page(source: str) -> str:
    """A page's HTML: its headings start under the page's title, not under a post's."""
    return render_markdown(source, top_heading=PAGE_TOP_HEADING)


def from_seed(name: str, seed_path: Path | None = None) -> SitePage:
    """A page as its seed file has it (not stored)."""
    source = seed_file(name, seed_path).read_text(encoding="utf-8").strip()
    return SitePage(name=name, source=source, html=render_page(source))


def current(name: str) -> SitePage:
    """The stored page, or, before it is stored, its seed file's words."""
    return site_page(name) or from_seed(name)


def seed_missing(seed_path: Path) -> int:
    """Store the seeded pages not stored yet; an admin's edits are never overwritten.
    Returns how many were added. The caller commits."""
    added = 0
    for name in SEEDED:
        if site_page(name) is None:
            db.session.add(from_seed(name, seed_path))
            added += 1
    return added


def render_stored_again() -> int:
    """Render the stored pages again from their words, after the markup rules changed
    (markup.MARKUP_VERSION); an admin's words stay as they are. Returns how many changed.
    The caller commits."""
    changed = 0
    for page in db.session.scalars(select(SitePage)):
        html = render_page(page.source)
        if html != page.html:
            page.html = html
            changed += 1
    return changed
