"""PROTECT LMS: training and mentorship for officials countering TIP and SOM.

``create_app`` reads as a table of contents: config → extensions → request hooks →
blueprints → CLI → error handlers → route-access check.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask import Flask, g, request
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from lms import clock
from lms.config import REPO_ROOT, configured_app
from lms.db import configure_engine, reset_write_intent, set_write_intent
from lms.extensions import babel, csrf, login_manager, migrate
from lms.extensions import db as _db  # not `db`: that name is the lms.db module
from lms.i18n import format_local_date, measure_catalogues
from lms.urls import IdConverter

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``test_config`` overrides every other configuration layer."""
    app = configured_app(test_config)
    app.url_map.converters["int"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.extensions["lms.languages"] = [
        language
        for language in measure_catalogues(REPO_ROOT / "lms" / "translations")
        if language.code in app.config["LANGUAGES"]
        and language.completeness >= app.config["LANGUAGE_THRESHOLD"]
    ]
    app.extensions["lms.clock"] = clock.SystemClock()

    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)

    from lms import api, cli, errors

    api.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    check_route_access(app)
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        # Behind a reverse proxy: take the client's address and scheme from the headers the
        # last ``hops`` proxies set (never more: anyone can send such headers themselves).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def register_extensions(app: Flask) -> None:
    _db.init_app(app)

    # Runs before Flask-SQLAlchemy's own teardown (teardowns run last-registered first).
    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        """Close the session; a connection that died after the response was made (the
        database restarted) is only logged: the request itself succeeded."""
        try:
            _db.session.remove()
        except sa.exc.DBAPIError as exc:
            app.logger.warning("database connection lost while closing the session: %s", exc)
            _db.session.registry.clear()

    with app.app_context():
        for engine in _db.engines.values():
            configure_engine(engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, _db, directory=str(REPO_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(REPO_ROOT / "lms" / "translations"),
    )
    login_manager.init_app(app)
    login_manager.session_protection = None  # "strong" trusts a spoofable X-Forwarded-For
    login_manager.login_view = "accounts.login"
    # Users are loaded from the server-side session named by the cookie, never from a
    # user id in the cookie (lms.accounts.views.auth); the id-based loader finds no one.
    from lms.accounts.views.auth import load_user_from_session

    login_manager.user_loader(lambda _user_id: None)
    login_manager.request_loader(load_user_from_session)
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized() -> Response:
    from flask import flash, redirect, url_for
    from flask_babel import gettext

    from lms.errors import error_response, wants_json

    if wants_json():
        response = error_response(401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="PROTECT LMS API"'
        return response
    flash(gettext("Please sign in to continue."), "info")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("accounts.login", next=target))


def select_locale() -> str | None:
    """The user's chosen language, else the browser's best match among LANGUAGES."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return None  # the CLI and background work speak the default language
    languages = offered_languages(current_app)
    if current_user and current_user.is_authenticated and current_user.locale:
        # Any code may be stored (uz-Cyrl, fa_AF): use it, or its language, when we have it.
        wanted = current_user.locale.replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0]):
            if candidate in languages:
                return candidate
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


def offered_languages(app: Flask) -> list[str]:
    """The codes of the languages complete enough to offer, in the switcher's order."""
    return [language.code for language in app.extensions["lms.languages"]]


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _declare_write_intent() -> None:
        # Writers take SQLite's lock at BEGIN (see lms.db); readers never wait for it. A
        # read that will refresh the signed-in session's record is a writer too.
        from lms.accounts.views.auth import session_needs_touch

        view = app.view_functions.get(request.endpoint or "")
        marked = getattr(view, "lms_writes", False)
        if request.method not in SAFE_METHODS or marked or session_needs_touch():
            request.environ["lms.write_token"] = set_write_intent(True)

    @app.before_request
    def _refuse_nul_characters() -> None:
        # A NUL character is never legitimate text, and PostgreSQL refuses it in text
        # columns: answer 400 up front instead of failing deep in a query.
        from flask import abort

        fields = [request.path, *request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields.extend(request.form.values())
        if any("\x00" in value for value in fields):
            abort(400)

    @app.teardown_request
    def _clear_write_intent(_exc: BaseException | None) -> None:
        token = request.environ.pop("lms.write_token", None)
        if token is not None:
            reset_write_intent(token)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Nothing here is for search engines: not the sign-in page, not who holds which
        # certificate (lists of trained officers are sensitive in themselves).
        headers.setdefault("X-Robots-Tag", "noindex, nofollow")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"] and app.config["HSTS_MAX_AGE"]:
            # Served over HTTPS (secure cookies): browsers never try plain HTTP again.
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}")
        # What a signed-in person sees is theirs: no shared or browser cache keeps it. The
        # user is only looked at if the request loaded it (no query for public pages).
        user = g.get("_login_user")
        if user is not None and user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        return response

    @app.template_filter("merge_args")
    def _merge_args(args: Any, **changes: Any) -> dict[str, Any]:
        """Query-string arguments with some replaced (for pagination links)."""
        merged = {key: value for key, value in args.items() if key not in changes}
        merged.update(changes)
        return merged

    @app.template_filter("question")
    def _question(content: dict[str, Any]) -> Any:
        """A stored question version's content as a ParsedQuestion, for display."""
        from lms.assessments.services import from_content

        return from_content(content, category=None)

    @app.template_filter("serial")
    def _serial(value: str) -> str:
        """A certificate serial in four groups of four, as printed."""
        from lms.certificates.serials import grouped

        return grouped(value)

    @app.template_filter("localdate")
    def _local_date(value: Any) -> str:
        """A date in the reader's language and calendar (Solar Hijri in Afghan locales)."""
        return format_local_date(value, get_locale() or "en")

    @app.template_filter("number")
    def _number(value: Any, places: int = 1) -> str:
        """A number for people, in the reader's locale, with at most ``places`` decimals."""
        if value is None:
            return ""
        return format_decimal(value, format="#,##0." + "#" * places if places else "#,##0")

    @app.template_filter("combine")
    def _combine(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
        return {**first, **second}

    @app.context_processor
    def _layout_context() -> dict[str, Any]:
        locale = get_locale() or Locale.parse(app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "lang": str(locale).replace("_", "-"),
            "text_direction": locale.text_direction,
            "get_locale": get_locale,
            "languages": app.extensions["lms.languages"],
            "current_language": str(locale),
            "nav_links": _nav_links(),
        }


#: Main navigation: (endpoint, label, endpoints that count as "this area").
_NAV = [
    ("main.index", _l("Dashboard"), {"main.index"}),
    (
        "learning.catalogue",
        _l("Courses"),
        {
            "learning.catalogue",
            "learning.course",
            "learning.lesson",
            "tests.attempt",
            "tests.result",
        },
    ),
    (
        "accounts.people",
        _l("People"),
        {
            "accounts.people",
            "accounts.new_person",
            "accounts.edit_person",
            "accounts.import_people",
            "accounts.import_preview",
            "accounts.import_confirm",
        },
    ),
    (
        "accounts.organisations",
        _l("Organisations"),
        {
            "accounts.organisations",
            "accounts.country",
            "accounts.new_agency",
            "accounts.edit_agency",
            "accounts.new_unit",
            "accounts.edit_unit",
        },
    ),
    (
        "assessments.banks",
        _l("Question banks"),
        {"assessments.banks", "assessments.bank", "assessments.upload", "assessments.preview"},
    ),
    (
        "cohorts.cohorts",
        _l("Cohorts"),
        {
            "cohorts.cohorts",
            "cohorts.cohort",
            "cohorts.new_cohort",
            "cohorts.edit_cohort",
            "cohorts.enrol",
            "cohorts.attendance",
        },
    ),
    (
        "mentoring.units",
        _l("Mentoring"),
        {
            "mentoring.units",
            "mentoring.unit",
            "mentoring.new_session",
            "mentoring.edit_session",
            "mentoring.session",
            "mentoring.session_version",
            "mentoring.actions",
            "mentoring.action",
            "mentoring.assignments",
            "mentoring.capacity",
            "mentoring.results",
            "mentoring.monthly",
        },
    ),
    (
        "surveys.due",
        _l("Follow-ups"),
        {"surveys.due", "surveys.entry", "surveys.confirm"},
    ),
    (
        "reports.dashboard_page",
        _l("Reports"),
        {
            "reports.dashboard_page",
            "reports.indicator_report",
            "reports.targets_page",
            "surveys.results",
        },
    ),
    ("accounts.audit_log", _l("Audit trail"), {"accounts.audit_log"}),
]


def _nav_links() -> list[dict[str, Any]]:
    """The areas the signed-in user may open: href, label and whether it is the current one."""
    from flask import url_for

    from lms import permissions
    from lms.accounts.models import Role

    if not current_user or not current_user.is_authenticated:
        return []
    allowed = {
        "main.index": True,
        "learning.catalogue": True,
        "accounts.people": permissions.can_list_users(current_user),
        "accounts.organisations": permissions.can_view_organisations(current_user),
        "accounts.audit_log": permissions.can_view_audit(current_user),
        "assessments.banks": permissions.can_manage_banks(current_user),
        "cohorts.cohorts": current_user.has_role(Role.TRAINER, Role.COORDINATOR, Role.ADMIN),
        "mentoring.units": permissions.can_use_mentoring(current_user),
        "reports.dashboard_page": current_user.has_role(Role.COORDINATOR, Role.ADMIN),
        "surveys.due": current_user.has_role(Role.MENTOR, Role.COORDINATOR, Role.ADMIN),
    }
    links = [
        {"href": url_for(endpoint), "label": label, "current": request.endpoint in area}
        for endpoint, label, area in _NAV
        if allowed[endpoint]
    ]
    own = request.endpoint == "accounts.person" and request.view_args == {
        "user_id": current_user.id
    }
    links.append(
        {
            "href": url_for("accounts.person", user_id=current_user.id),
            "label": _l("My profile"),
            "current": own,
        }
    )
    return links


def register_blueprints(app: Flask) -> None:
    from lms.accounts.views import bp as accounts_bp
    from lms.assessments.views import bp as assessments_bp
    from lms.assessments.views import tests_bp
    from lms.certificates import services as certificates
    from lms.certificates.views import bp as certificates_bp
    from lms.enrolments.services import enrolment_completed
    from lms.enrolments.views import bp as learning_bp
    from lms.enrolments.views import cohorts_bp
    from lms.evaluation.views import bp as surveys_bp
    from lms.main.views import bp as main_bp
    from lms.mentoring.views import bp as mentoring_bp
    from lms.privacy.views import bp as privacy_bp
    from lms.reports.views import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(tests_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(mentoring_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(privacy_bp)
    # Certificates are issued when a course completes (the enrolments domain only announces it).
    enrolment_completed.connect(certificates.on_completed)


def check_route_access(app: Flask) -> None:
    """Refuse to start when any route does not declare who may use it."""
    from lms.permissions import undeclared_endpoints

    missing = undeclared_endpoints(app)
    if missing:
        raise RuntimeError(
            "routes without an access declaration (use lms.permissions): " + ", ".join(missing)
        )
