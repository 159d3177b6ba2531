"""The yardstick for `make bench`: the least a Flask app can do to show a thread's 20 posts.

One query for the posts with their authors' names, from the same SQLite file Harbor uses,
and one Jinja template. No sessions, no sanitising, no layout: what is left when everything
that makes Harbor a forum is taken away. Harbor's pages are measured as a share of its speed.

    BASELINE_DATABASE=/path/to/harbor.db gunicorn --chdir bench baseline:app
"""

import os
import sqlite3
import threading

from flask import Flask, abort

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ posts[0].title }}</title></head>
<body><main><h1>{{ posts[0].title }}</h1>
{% for post in posts %}<article id="p{{ post.id }}">
<p>{{ post.username }} · {{ post.created_at }}</p>
{{ post.html | safe }}
</article>
{% endfor %}</main></body></html>
"""
POSTS = """
SELECT posts.id, posts.html, posts.created_at, users.username, threads.title
FROM posts JOIN users ON users.id = posts.author_id JOIN threads ON threads.id = posts.thread_id
WHERE posts.thread_id = ? AND posts.number BETWEEN 1 AND 20 ORDER BY posts.number
"""

app = Flask(__name__)
# Compiled once, as Flask's render_template would from a file: render_template_string
# compiles on every call, which made an earlier baseline five times slower than it is.
TEMPLATE = app.jinja_env.from_string(PAGE)
local = threading.local()


def connection() -> sqlite3.Connection:
    if not hasattr(local, "connection"):
        path = os.environ["BASELINE_DATABASE"]
        local.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        local.connection.row_factory = sqlite3.Row
    return local.connection


@app.get("/t/<int:thread_id>")
def thread(thread_id: int):
    posts = connection().execute(POSTS, (thread_id,)).fetchall()
    if not posts:
        abort(404)
    return TEMPLATE.render(posts=posts)
