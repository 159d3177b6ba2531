from flask import abort, current_app, render_template

from .. import models
from ..pagination import requested_page
from . import bp


@bp.get("/")
def index():
    return render_template("boards/index.html", boards=models.boards_for_index())


@bp.get("/b/<slug>")
def board(slug: str):
    board = models.board_by_slug(slug) or abort(404)
    page = requested_page(current_app.config["THREADS_PER_PAGE"], board.thread_count)
    threads = models.threads_for_board(board, page.offset, page.per_page)
    return render_template("boards/board.html", board=board, threads=threads, page=page)
