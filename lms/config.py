"""Configuration layers: defaults → instance/config.py → LMS_* environment → test overrides.

Every setting has a safe default here. Deployments override them in
``instance/config.py`` or with ``LMS_<NAME>`` environment variables (values are
parsed as JSON when they parse, so ``LMS_MAX_CONTENT_LENGTH=1048576`` is an int).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

#: The development secret. The app refuses to start with it outside development and testing.
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105

REPO_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "testing", "production")


class ConfigurationError(RuntimeError):
    """A setting is missing or unsafe: the app refuses to start (``wsgi.py`` prints the
    message as one line, without a traceback)."""


class DefaultConfig:
    """Safe defaults. Nothing secret lives here."""

    #: One of ENVIRONMENTS (``LMS_ENV``). Production by default, so a forgotten setting fails
    #: closed: secure cookies, and no start with the development secret.
    ENV = "production"
    SECRET_KEY = DEFAULT_SECRET_KEY
    #: Relative SQLite paths are resolved inside the instance folder by Flask-SQLAlchemy.
    DATABASE_URL = "sqlite:///lms.sqlite3"
    #: Optional Redis (rate limits, job queue). Empty means "not configured".
    REDIS_URL = ""
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    #: Seconds to wait for PostgreSQL to accept a connection before the request fails (503).
    DATABASE_CONNECT_TIMEOUT = 5
    #: Seconds a SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # Content folders (each may be a list, so deployments can add private banks).
    COURSES_DIR: str | list[str] = str(REPO_ROOT / "courses")
    ASSESSMENTS_DIR: str | list[str] = str(REPO_ROOT / "assessments")
    CERTIFICATES_DIR: str | list[str] = str(REPO_ROOT / "certificates")

    # Requests and cookies.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: None means: secure in production, plain HTTP allowed in development and testing.
    SESSION_COOKIE_SECURE: bool | None = None
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    #: Strict-Transport-Security max-age (seconds), sent when cookies are secure (HTTPS);
    #: 0 sends none.
    HSTS_MAX_AGE = 31536000
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Internationalisation.
    #: Interface languages that may be offered (lms.i18n.LANGUAGE_NAMES lists their names).
    LANGUAGES = ["en", "ru", "uz", "kk", "ky", "tg", "fa_AF", "ps", "ur", "ar"]
    #: A language is offered once this share of the interface is translated.
    LANGUAGE_THRESHOLD = 0.9
    #: Issue the certificate (and render its PDF) the moment a course is completed.
    CERTIFICATES_AUTO_ISSUE = True
    #: Countries whose certificates show the holder's full name on the public verification
    #: page (everywhere else: initials, and a check of the name the verifier types).
    VERIFY_FULL_NAME_COUNTRIES: list[str] = []
    #: Verification requests per client address.
    VERIFY_RATE_LIMIT = "30 per minute"
    #: Password-reset requests per client address (each account also gets at most 3 links
    #: an hour, whoever asks).
    FORGOT_RATE_LIMIT = "10 per hour"
    #: Knowledge-gain reports count learners who gained at least this many points.
    REPORT_GAIN_THRESHOLD = 20.0
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Sign-in security (lms.accounts.security).
    #: Key for encrypting secrets at rest (TOTP seeds); defaults to SECRET_KEY. Set it
    #: separately so that SECRET_KEY can be rotated without losing enrolled authenticators.
    ENCRYPTION_KEY = ""
    #: Fernet key(s) sealing mentoring texts at rest, comma-separated: the first seals, all
    #: open (rotation). Required in production; generated into instance/ in development.
    MENTORING_KEY = ""
    SESSION_IDLE_MINUTES = 60
    SESSION_ABSOLUTE_HOURS = 12
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_IP = 50
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCKOUT_MINUTES = 15
    #: Ask every user, learners included, for a second factor.
    REQUIRE_2FA_FOR_ALL = False
    ACTIVATION_CODE_DAYS = 30
    #: Outgoing mail for password resets; empty MAIL_SERVER writes mails to the log instead.
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "PROTECT LMS <no-reply@localhost>"
    #: Public address of the site, for links in e-mails (e.g. https://lms.example.org).
    SITE_URL = "http://127.0.0.1:5000"
    #: Reverse proxies in front of the app (``LMS_PROXY_HOPS``): their X-Forwarded-For,
    #: -Proto and -Host headers are trusted, so audit entries, sign-in throttles and rate
    #: limits see each client's own address. 0: the app faces clients directly.
    PROXY_HOPS = 0
    #: Days each kind of record is kept (``lms privacy cleanup``); None keeps it for ever.
    RETENTION_DAYS = {
        "sessions": 90,
        "login_throttles": 30,
        "import_batches": 30,
        "certificate_bundles": 30,
        "audit_events": None,
    }

    #: Requests per token (or per address without one) on the JSON API.
    API_RATE_LIMIT = "300 per minute"
    #: Requests per client address on the JSON API, whatever the tokens.
    API_RATE_LIMIT_PER_ADDRESS = "1200 per minute"

    #: argon2id parameters (RFC 9106 "second recommended": t=3, m=64 MiB, p=4).
    PASSWORD_HASH = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` from every layer, then derive and check dependent settings."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("LMS")
    if test_config is not None:
        app.config.from_mapping(test_config)

    env = app.config["ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if env == "production" and app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigurationError(
            "Refusing to start: SECRET_KEY is the development default. "
            "Set LMS_SECRET_KEY (or SECRET_KEY in instance/config.py) to a long random value "
            "(python -m lms.keys prints every key a deployment needs)."
        )
    if env == "production" and len(str(app.config["SECRET_KEY"])) < 32:
        raise ConfigurationError(
            "Refusing to start: SECRET_KEY must be at least 32 characters long."
        )
    if env == "production" and not app.config["MENTORING_KEY"]:
        raise ConfigurationError(
            "Refusing to start: MENTORING_KEY is not set. Set LMS_MENTORING_KEY to a Fernet "
            "key (python -m lms.keys prints one, with every other key a deployment needs)."
        )
    _check_keys(app.config)
    app.config["TESTING"] = env == "testing"
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = env == "production"
    if app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_NAME"] == "session":
        # The __Host- prefix binds the cookie to this host, over HTTPS, for every path.
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        # A restarted or failed-over server leaves dead connections in the pool: test each
        # one as it is taken out (one round trip) instead of failing the request that gets it.
        options.setdefault("pool_pre_ping", True)
        # An unreachable server fails a request within seconds instead of holding a worker.
        options.setdefault("connect_args", {}).setdefault(
            "connect_timeout", app.config["DATABASE_CONNECT_TIMEOUT"]
        )


def configured_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """A Flask app holding the checked settings and nothing else yet: ``create_app``
    builds on it, and gunicorn's master calls it to refuse to start before it forks
    workers.

    :raises ConfigurationError: a setting is missing or unsafe.
    """
    app = Flask(
        "lms",
        instance_relative_config=True,
        instance_path=os.environ.get("LMS_INSTANCE_PATH") or None,
    )
    load_config(app, test_config)
    return app


def _check_keys(config: Mapping[str, Any]) -> None:
    """Refuse a mentoring or signing key that is set but unusable, at start rather than at
    the first mentoring record or certificate."""
    from lms import crypto

    mentoring_keys = crypto.fernet_keys(config.get("MENTORING_KEY"))
    if mentoring_keys:
        try:
            crypto.multi_fernet(mentoring_keys)
        except ValueError as error:
            raise ConfigurationError(f"Refusing to start: MENTORING_KEY: {error}.") from None
    if config.get("SIGNING_KEY"):
        try:
            crypto.private_from_pem(config["SIGNING_KEY"])
        except (ValueError, TypeError):
            raise ConfigurationError(
                "Refusing to start: SIGNING_KEY is not an Ed25519 private key in PEM "
                "(python -m lms.keys prints one)."
            ) from None


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` (and ``postgres://``) URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def content_folders(config_value: str | list[str]) -> list[Path]:
    """The folders a content setting names: one path, a list, or paths joined by ':'
    (LMS_COURSES_DIR, LMS_ASSESSMENTS_DIR, LMS_CERTIFICATES_DIR)."""
    values = config_value if isinstance(config_value, list) else str(config_value).split(":")
    return [Path(v) for v in values if v]
