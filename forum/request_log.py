"""One log line per request: method, route, status and time, and nothing about the person.

No IP address, member, query string or form data is written. The path is logged as its
route with only the numeric ids filled in (``/t/42``, ``/u/<username>``,
``/reset/<token>``), so names, search words and the secret tokens of emailed links never
reach a log file.
"""

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("harbor.requests")


def register(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_log_request)
    if not logging.getLogger("harbor").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logging.getLogger("harbor").addHandler(handler)
        logging.getLogger("harbor").setLevel(logging.INFO)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    log.info("%s %s %s %.1fms", request.method, loggable_path(), response.status_code, elapsed)
    return response


def loggable_path() -> str:
    """The route of this request with only its numeric arguments filled in."""
    rule = request.url_rule
    if rule is None:
        return "(no route)"
    path = rule.rule
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int):
            path = path.replace(f"<int:{name}>", str(value))
    return path
