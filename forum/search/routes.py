from flask import current_app, render_template, request
from flask_login import current_user

from .. import models, policy
from ..pagination import requested_page, requested_page_number
from ..services import searching
from . import bp


@bp.get("/search")
def search():
    query = searching.clean_query(request.args.get("q", ""))
    board = (
        models.board_by_slug(request.args.get("board", "")) if request.args.get("board") else None
    )
    if board is not None and not policy.can_read_board(current_user, board):
        board = None  # as if no board had been chosen: its name stays unsaid
    author_name = searching.clean_query(request.args.get("author", ""))
    author = models.member_by_username(author_name) if author_name else None
    filters = {"q": query, "board": board.slug if board else None, "author": author_name or None}
    boards = models.readable_boards(current_user)
    if not query:
        return render_template("search/results.html", results=[], page=None, boards=boards,
                               filters=filters, unknown_author=False)  # fmt: skip
    if author_name and author is None:
        return render_template("search/results.html", results=[], page=None, boards=boards,
                               filters=filters, unknown_author=True)  # fmt: skip
    per_page = current_app.config["POSTS_PER_PAGE"]
    # Search counts its matches as it pages, so the number is read first and checked after.
    offset = (requested_page_number() - 1) * per_page
    found = searching.search(
        query, offset, per_page, board=board, author=author, reader=current_user
    )
    page = requested_page(per_page, found.total)
    return render_template("search/results.html", results=found.results, page=page,
                           boards=boards, filters=filters, unknown_author=False,
                           more=found.more)  # fmt: skip
