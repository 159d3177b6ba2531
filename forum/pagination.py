"""Page numbers for lists whose length is already counted (boards, threads, results)."""

from dataclasses import dataclass
from math import ceil

from flask import abort, request


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def count(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count

    def nearby(self, around: int = 2) -> list[int]:
        """Page numbers to show as links: the first, the last, and those near this one."""
        shown = {1, self.count, *range(self.number - around, self.number + around + 1)}
        return sorted(n for n in shown if 1 <= n <= self.count)


def requested_page_number() -> int:
    """The number asked for in ``?page=``, before anyone knows how many pages there are."""
    raw = request.args.get("page") or "1"  # "?page=" alone is the first page
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        abort(404)
    return int(raw)


def requested_page(per_page: int, total: int) -> Page:
    """The page asked for in ``?page=``; a page that cannot exist is a 404."""
    page = Page(requested_page_number(), per_page, total)
    if not 1 <= page.number <= page.count:
        abort(404)
    return page


def page_of_position(position: int, per_page: int) -> int:
    """Which page the item at 1-based ``position`` falls on."""
    return (position - 1) // per_page + 1
