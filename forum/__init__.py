"""Harbor: a moderated support forum for people living with metastatic breast cancer."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config as harbor_config
from .dialects import configure_engine, is_sqlite_url
from .extensions import csrf, db, login_manager, migrate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Ids are 32-bit integers on PostgreSQL: a larger number cannot name a row.
LARGEST_ID = 2**31 - 1


def create_app(settings: dict | None = None) -> Flask:
    """Build a Harbor app. ``settings`` override the defaults and the environment."""
    settings = dict(settings or {})
    instance_path = (
        settings.pop("INSTANCE_PATH", None) or harbor_config.instance_path_from_environment()
    )
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    instance = Path(app.instance_path)
    app.config.from_mapping(harbor_config.default_settings(instance))
    app.config.from_mapping(harbor_config.settings_from_environment())
    app.config.from_mapping(settings)
    app.config.from_mapping(harbor_config.derived_settings(app.config))
    if is_sqlite_url(app.config["SQLALCHEMY_DATABASE_URI"]):
        # Before the secret key, which would otherwise create the folder first.
        _create_private_folder(instance)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = harbor_config.load_secret_key(instance)

    # Before the blueprints, whose rules pick their converters when they are added.
    app.url_map.converters["int"] = DatabaseIdConverter
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    _init_extensions(app)
    _register_blueprints(app)

    from . import limits

    # After the blueprints, whose views it wraps, and after CSRFProtect, whose check then
    # comes first: a limited request has already shown it came from our own form.
    limits.init_app(app)

    from .services import crisis

    crisis.init_app(app)

    from . import cli, errors, headers, page_cache, request_log, templating

    request_log.register(app)
    headers.register(app)
    # After both: its check comes after the clock starts, and it keeps a page before the
    # security headers and ETag are added, which every response gets afresh.
    page_cache.init_app(app)
    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: only numbers an id column can hold.

    A larger number would overflow in the query (a 500) instead of simply not existing.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def _create_private_folder(folder: Path) -> None:
    """Create the instance folder readable by its owner only, if it does not exist yet.

    SQLite creates the database and its -wal and -shm files with the default mode;
    the folder around them is what keeps other local accounts out.
    """
    existed = folder.is_dir()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not existed:
        # makedirs' mode passes through the umask, which may allow more.
        os.chmod(folder, 0o700)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import auth

    auth.init_login(login_manager)


def _register_blueprints(app: Flask) -> None:
    from .auth import bp as auth_bp
    from .boards import bp as boards_bp
    from .feeds import bp as feeds_bp
    from .health import bp as health_bp
    from .messages import bp as messages_bp
    from .moderation import bp as moderation_bp
    from .search import bp as search_bp
    from .threads import bp as threads_bp
    from .users import bp as users_bp

    for blueprint in (
        auth_bp, boards_bp, threads_bp, users_bp, search_bp, moderation_bp, feeds_bp,
        messages_bp, health_bp
    ):  # fmt: skip
        app.register_blueprint(blueprint)
