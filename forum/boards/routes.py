from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import models, policy, sharing
from ..errors import board_refusal
from ..forms import ActionForm
from ..headers import noindex_if
from ..pagination import requested_page
from ..services import community, reading
from . import bp


@bp.get("/")
def index():
    boards = models.boards_for_index(current_user)
    return render_template("boards/index.html", boards=boards, summary=sharing.for_index())


@bp.get("/robots.txt")
def robots():
    """Ask search engines to leave out members' pages and the boards that asked for it.

    A noindex board's threads live under /t/, which robots.txt cannot name board by
    board: those pages carry their own noindex tag and header.
    """
    private = ["/u/", "/messages", "/mod", "/settings", "/search", "/notifications"]
    boards = [url_for("boards.board", slug=board.slug) for board in models.noindex_boards()]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in [*boards, *private]), ""]
    return "\n".join(lines), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/b/<slug>")
def board(slug: str):
    found = models.board_for_reader(slug, current_user)
    board, watching = found.board, found.watching
    if board is None:
        abort(404)
    if not policy.can_read_board(current_user, board):
        return board_refusal(board)
    page = requested_page(current_app.config["THREADS_PER_PAGE"], found.threads_listed)
    listings = models.threads_for_board(board, page.offset, page.per_page, current_user)
    return noindex_if(
        policy.is_hidden_from_search_engines(board),
        render_template(
            "boards/board.html",
            board=board,
            listings=listings,
            page=page,
            watching=watching,
            summary=sharing.for_board(board, page.number),
        ),
    )


def readable_board_or_404(slug: str) -> models.Board:
    board = models.board_by_slug(slug)
    if board is None or not policy.can_read_board(current_user, board):
        abort(404)
    return board


@bp.post("/b/<slug>/<any(watch, unwatch):choice>")
@login_required
def watch(slug: str, choice: str):
    board = readable_board_or_404(slug)
    if ActionForm().validate_on_submit():
        community.set_board_watch(board, current_user, watching=choice == "watch")
        flash(f"You'll be told about new threads in {board.name}." if choice == "watch"
              else f"You won't be told about new threads in {board.name}.", "info")  # fmt: skip
    return redirect(url_for("boards.board", slug=board.slug))


@bp.post("/b/<slug>/read")
@login_required
def mark_read(slug: str):
    board = readable_board_or_404(slug)
    if not policy.can_keep_reading_place(current_user):
        abort(403)
    if ActionForm().validate_on_submit():
        reading.mark_board_read(current_user, board)
        flash(f"Every thread in {board.name} is marked as read.", "info")
    return redirect(url_for("boards.board", slug=board.slug))
