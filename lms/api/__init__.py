"""The JSON API, /api/v1: personal access tokens, the same rules as the pages, JSON errors.

Each domain adds its endpoints as a module of this package, with marshmallow schemas;
flask-smorest turns them into the OpenAPI 3.1 document at /api/v1/openapi.json, so the
document is generated from the code that serves the requests.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api

from lms.api.schemas import ErrorSchema
from lms.crypto import token_hash
from lms.extensions import csrf
from lms.permissions import public
from lms.urls import IdConverter, id_param_schema

PREFIX = "/api/v1"


class LmsApi(Api):
    """flask-smorest with our error format; the app's own handlers answer every error."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # lms.errors already turns every error under /api/ into {"error": {...}}.
        pass


def _rate_limit_key() -> str:
    """Count per token (read from the header: the limit is checked before anyone is
    loaded); requests without one count per client address."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return "token:" + token_hash(secret.strip())[:24]
    return f"ip:{get_remote_address()}"


api = LmsApi()


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "PROTECT LMS API")
    app.config.setdefault("API_VERSION", "v1")
    app.config["OPENAPI_VERSION"] = "3.1.0"
    app.config["OPENAPI_URL_PREFIX"] = PREFIX
    app.config["OPENAPI_JSON_PATH"] = "openapi.json"
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "Training and mentoring records of PROTECT LMS. Authenticate with a "
                    "personal access token: `Authorization: Bearer lms_…`. Every failure "
                    'answers `{"error": {"code": …, "message": …}}`. Lists are paged '
                    "with `page` and `per_page` (at most 100)."
                )
            },
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "lms_…"}
                }
            },
        },
    )
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "lms")
    # Redis down: every process keeps counting in its own memory (limits still hold, per
    # process) and goes back to Redis once it answers again; a dead Redis never fails a
    # request, and it is not waited on for long.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1}
    )
    api.init_app(app)
    api.register_converter(IdConverter, id_param_schema)
    # One limiter per app: its counters live in Redis when configured (shared by every
    # worker and host), else in this process's memory.
    limiter = Limiter(key_func=_rate_limit_key, default_limits=[], headers_enabled=True)
    limiter.init_app(app)

    from lms.api import accounts, cohorts, docs, learning, mentoring, reports, surveys

    for blueprint in (
        accounts.blp, learning.blp, cohorts.blp, reports.blp, mentoring.blp, surveys.blp
    ):  # fmt: skip
        csrf.exempt(blueprint)  # cookies are ignored under /api/: tokens only
        limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(blueprint)
        # Made-up tokens each get a bucket of their own: the address bounds them all.
        limiter.limit(
            lambda: current_app.config["API_RATE_LIMIT_PER_ADDRESS"],
            key_func=lambda: f"ip:{get_remote_address()}",
        )(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    # The public certificate check is open to anyone: bounded per client address.
    for endpoint in ("certificates.verify_form", "certificates.verify", "certificates.verify_json"):
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(
                lambda: current_app.config["VERIFY_RATE_LIMIT"],
                key_func=lambda: f"verify:{get_remote_address()}",
            )(app.view_functions[endpoint])
    # Asking for reset links: bounded per client address (and per account in the view).
    if "accounts.forgot_password" in app.view_functions:
        app.view_functions["accounts.forgot_password"] = limiter.limit(
            lambda: current_app.config["FORGOT_RATE_LIMIT"],
            key_func=lambda: f"forgot:{get_remote_address()}",
            methods=["POST"],
        )(app.view_functions["accounts.forgot_password"])
    # The generated document is public, like this package's reference page.
    document = app.view_functions["api-docs.openapi_json"]

    def openapi_json() -> Any:
        return document()

    app.view_functions["api-docs.openapi_json"] = public(openapi_json)


def wants_api() -> bool:
    return request.path.startswith(PREFIX + "/") or request.path == PREFIX


def page_args(args: dict[str, Any]) -> tuple[int, int]:
    return args.get("page", 1), args.get("per_page", 50)
