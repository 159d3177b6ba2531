from flask import current_app, render_template, request

from ..pagination import requested_page
from ..services import searching
from . import bp


@bp.get("/search")
def search():
    query = searching.clean_query(request.args.get("q", ""))
    if not query:
        return render_template("search/results.html", query="", results=[], page=None)
    per_page = current_app.config["POSTS_PER_PAGE"]
    total = searching.count_matches(query)
    page = requested_page(per_page, total)
    results = searching.find_posts(query, page.offset, per_page)
    return render_template("search/results.html", query=query, results=results, page=page)
