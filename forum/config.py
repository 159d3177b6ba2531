"""Harbor's settings: defaults, then the environment, then overrides passed to the factory.

This is the only module that reads ``os.environ``.
"""

import os
import secrets
from pathlib import Path

# Environment variables Harbor reads, with what each sets (README lists them too).
ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "HARBOR_SITE_NAME": "SITE_NAME",
    "HARBOR_SECURE_COOKIES": "SESSION_COOKIE_SECURE",
    "HARBOR_FIRST_POSTS_HELD": "FIRST_POSTS_HELD",
    "HARBOR_REPORTS_TO_HIDE": "REPORTS_TO_HIDE",
    "HARBOR_MESSAGES_AFTER_POSTS": "MESSAGES_AFTER_POSTS",
    "HARBOR_PROXY_COUNT": "PROXY_COUNT",
    "HARBOR_BASE_URL": "BASE_URL",
    "MAIL_URL": "MAIL_URL",
    "HARBOR_MAIL_FROM": "MAIL_FROM",
    "HARBOR_CRISIS_FILE": "CRISIS_FILE",
    "HARBOR_CRISIS_COUNTRY": "CRISIS_COUNTRY",
    # Flask-Limiter's own names, so its documentation applies as written.
    "RATELIMIT_ENABLED": "RATELIMIT_ENABLED",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "HARBOR_CACHE_URL": "CACHE_URL",
}
BOOLEAN_SETTINGS = {"SESSION_COOKIE_SECURE", "RATELIMIT_ENABLED"}
INTEGER_SETTINGS = {"FIRST_POSTS_HELD", "REPORTS_TO_HIDE", "MESSAGES_AFTER_POSTS", "PROXY_COUNT"}

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 20
TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 20_000
# Content notes: what authors are offered, and how long their own words may be.
CONTENT_NOTE_SUGGESTIONS = (
    "Scan results",
    "Grief and loss",
    "End-of-life",
    "Graphic medical detail",
)
CONTENT_NOTE_MAX_LENGTH = 60
# Generous for a 20,000-character reply in any script, small enough to refuse floods early.
MAX_REQUEST_BYTES = 512 * 1024


def default_settings(instance_path: Path) -> dict:
    return {
        "SITE_NAME": "Harbor",
        # What search engines and shared links say of the site (forum/sharing.py).
        "SITE_DESCRIPTION": (
            "A calm place for people living with metastatic breast cancer, and for those "
            "who love and care for them. Every board opens with a short guide."
        ),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'harbor.db'}",
        # hide_parameters keeps emails and message text out of error logs and tracebacks.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "THREADS_PER_PAGE": THREADS_PER_PAGE,
        "POSTS_PER_PAGE": POSTS_PER_PAGE,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Follows SESSION_COOKIE_SECURE: see derived_settings.
        "REMEMBER_COOKIE_SECURE": False,
        # A long reply can take a tired person an hour or two to write.
        "WTF_CSRF_TIME_LIMIT": 6 * 3600,
        # A new member's first posts wait for a moderator's approval.
        "FIRST_POSTS_HELD": 2,
        # Reports from this many different members hide a post until a moderator looks.
        "REPORTS_TO_HIDE": 3,
        # Scammers seek out people who are ill: a member may start private conversations
        # (and their links become clickable) only after this many visible posts on the boards
        # (approved, or never held).
        "MESSAGES_AFTER_POSTS": 3,
        # How many reverse proxies in front of Harbor add X-Forwarded-* headers. Zero
        # means the headers are ignored: anyone could send them.
        "PROXY_COUNT": 0,
        # Where members reach the site: links in emails start with it.
        "BASE_URL": DEFAULT_BASE_URL,
        # Empty: write each email as a file under instance/mail/ (see services/mail.py).
        "MAIL_URL": "",
        "MAIL_FROM": "Harbor <harbor@localhost>",
        "SEED_PATH": Path(__file__).resolve().parent.parent / "seed",
        # Crisis phrases and lines (services/crisis.py), read once at start. The country's
        # lines come first; the rest of the short list follows for members elsewhere.
        "CRISIS_FILE": Path(__file__).resolve().parent.parent / "seed" / "crisis.toml",
        "CRISIS_COUNTRY": "US",
        # Rate limits (forum/limits.py) are on unless RATELIMIT_ENABLED=0. Each worker counts
        # in its own memory unless they share a store such as redis://host:6379.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": "harbor",
        # Pages and posts kept rendered (forum/page_cache.py): in each worker's memory (at
        # most this many: a page is about 20 KB, a post 2), or in Redis shared by every
        # worker and host when CACHE_URL is redis://host:6379/1.
        "CACHE_URL": "",
        "PAGE_CACHE_ENTRIES": 3000,
        # Every write makes kept pages stale at once; this only bounds how long an unread
        # one stays in memory or Redis.
        "PAGE_CACHE_SECONDS": 600,
    }


def settings_from_environment(environ=os.environ) -> dict:
    settings = {}
    for variable, key in ENVIRONMENT.items():
        if variable in environ and environ[variable] != "":
            settings[key] = _convert(key, environ[variable])
    return settings


def _convert(key: str, value: str):
    if key in BOOLEAN_SETTINGS:
        return value.lower() in {"1", "true", "yes", "on"}
    if key in INTEGER_SETTINGS:
        return int(value)
    return value


def derived_settings(config) -> dict:
    """Settings that follow from others, worked out once every layer above is applied."""
    # The remember-me cookie logs its holder in as surely as the session cookie does, so
    # HARBOR_SECURE_COOKIES (or SESSION_COOKIE_SECURE set any other way) covers both.
    return {
        "REMEMBER_COOKIE_SECURE": bool(
            config["SESSION_COOKIE_SECURE"] or config.get("REMEMBER_COOKIE_SECURE")
        )
    }


def instance_path_from_environment(environ=os.environ) -> str | None:
    """HARBOR_INSTANCE_PATH, made absolute (Flask refuses a relative instance path)."""
    path = environ.get("HARBOR_INSTANCE_PATH")
    return os.path.abspath(path) if path else None


def load_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it once if there is none.

    Two gunicorn workers may start together, so the key is written to a temporary file
    and linked into place: whoever links first wins and everyone reads the same key.
    """
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        temporary = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return key_file.read_text().strip()
