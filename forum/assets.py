"""Static files under names that carry a hash of their contents, cached for a year.

Pages link ``harbor.3f9c2a1b.css``. When the file changes, so does its name, so browsers
may keep each version for good (``immutable``) and still fetch a new one the moment it
exists. ``url_for('static', filename='harbor.css')`` gives the hashed name by itself.
"""

import hashlib
from pathlib import Path

from flask import Flask, current_app, send_from_directory

ONE_YEAR_S = 31_536_000
HASH_LENGTH = 10


def register(app: Flask) -> None:
    folder = Path(app.static_folder)
    hashed = hashed_names(folder)
    app.extensions["harbor_assets"] = hashed

    @app.url_defaults
    def link_hashed_name(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            names = current_names(folder)
            values["filename"] = names.get(values.get("filename"), values.get("filename"))

    def serve_static(filename: str):
        real = {name: real for real, name in current_names(folder).items()}.get(filename)
        if real is None:
            # An unhashed name (an old bookmark, a tool) still works, without the long cache.
            return app.send_static_file(filename)
        response = send_from_directory(folder, real, max_age=ONE_YEAR_S)
        response.cache_control.public = True
        response.cache_control.immutable = True
        return response

    app.view_functions["static"] = serve_static


def current_names(folder: Path) -> dict[str, str]:
    """The names worked out at start; in debug mode, worked out again each time, since the
    reloader restarts for Python files only and an edited stylesheet must get a new name."""
    if current_app.debug:
        return hashed_names(folder)
    return current_app.extensions["harbor_assets"]


def hashed_names(folder: Path) -> dict[str, str]:
    """``{"harbor.css": "harbor.<hash>.css"}`` for every file in the static folder."""
    names = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
            relative = path.relative_to(folder)
            names[relative.as_posix()] = relative.with_name(
                f"{path.stem}.{digest}{path.suffix}"
            ).as_posix()
    return names
