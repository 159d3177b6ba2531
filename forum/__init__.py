"""Harbor: a moderated support forum for people living with metastatic breast cancer."""

from pathlib import Path

from flask import Flask

from . import config as harbor_config
from .dialects import configure_engine
from .extensions import csrf, db, login_manager, migrate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = harbor_config.load_secret_key(instance)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        instance.mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)

    from . import cli, errors, templating

    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app


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
    from .moderation import bp as moderation_bp
    from .search import bp as search_bp
    from .threads import bp as threads_bp
    from .users import bp as users_bp

    for blueprint in (auth_bp, boards_bp, threads_bp, users_bp, search_bp, moderation_bp):
        app.register_blueprint(blueprint)
