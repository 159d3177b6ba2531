"""Headers every response carries, so browsers hold Harbor's pages to a strict standard.

The Content-Security-Policy allows scripts and styles only from our own static files: no
inline scripts, handlers or style attributes anywhere in the templates, so an injected
``<script>`` or ``onerror=`` would not run even if it slipped past the sanitiser.
"""

from flask import Flask, Response, current_app, make_response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
)
# A year, as browsers' preload lists expect; only sent over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.after_request(answer_unchanged_pages_with_304)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static" and current_user.is_authenticated:
        # A member's pages (messages, settings, notifications) must not linger in a shared
        # computer's cache, to be shown again with the back button after logging out.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure or current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def answer_unchanged_pages_with_304(response: Response) -> Response:
    """Let a visitor's browser, or a proxy in front of us, ask whether a page changed.

    The tag is a hash of the page as rendered, so it changes with anything on it: a new
    reply, an edit, a moderator's lock. Members' pages are never stored (see above), so
    only visitors' pages carry one; "no-cache" makes caches ask each time before reuse.
    """
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and request.endpoint != "static"
        and not response.is_streamed
        and not current_user.is_authenticated
    ):
        response.add_etag()
        response.headers.setdefault("Cache-Control", "no-cache")
        response.vary.add("Cookie")
        response.make_conditional(request)
    return response


def noindex_if(hidden: bool, page) -> Response:
    """The page, with the header that keeps it out of search engines when asked.

    The page's own <meta name="robots"> says the same, for engines that read only that.
    """
    response = make_response(page)
    if hidden:
        response.headers["X-Robots-Tag"] = "noindex"
    return response
