"""Full addresses the site writes where they are read far from the request: feeds, emails,
link previews and the data export.

They come from HARBOR_BASE_URL, never from the request's Host header, which whoever sends
the request chooses: a feed reader, a cache or a member's saved export would otherwise keep
links to wherever a stranger said the site was.
"""

from flask import current_app


def site_url() -> str:
    """The site's own address, without a trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(path: str) -> str:
    return site_url() + path


def absolute_url(endpoint: str, **values) -> str:
    """A full link to an endpoint, built without a request (the mail worker has none)."""
    return absolute(current_app.url_map.bind("localhost").build(endpoint, values))
