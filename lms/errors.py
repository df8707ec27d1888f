"""Domain errors raised by services, and the handlers that turn any error into a page or JSON.

Services raise :class:`DomainError` subclasses; views may catch them to show a message on
a form, and whatever escapes becomes an HTML error page, or a JSON error under ``/api/``:
``{"error": {"code": "not_found", "message": "..."}}``. No traceback ever reaches a user.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the operation; ``message`` is safe to show to the user."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The form field the error belongs to, when there is one.
        self.field = field
        #: Per-item problems (JSON errors carry them as ``details``).
        self.details = details


class Invalid(DomainError):
    """The input breaks a rule (shape is the form's job; rules are the service's)."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The operation clashes with the current state (already enrolled, attempt submitted)."""

    status = 409
    code = "conflict"


#: For each HTTP status: the JSON error code, the page title and the default message.
HTTP_ERRORS = {
    400: ("bad_request", _l("Bad request"), _l("The request could not be understood.")),
    401: ("unauthorized", _l("Sign-in required"), _l("Please sign in to continue.")),
    403: (
        "forbidden",
        _l("Access denied"),
        _l("You do not have permission to open this page."),
    ),
    404: ("not_found", _l("Page not found"), _l("This page does not exist, or it has moved.")),
    405: (
        "method_not_allowed",
        _l("Method not allowed"),
        _l("This address does not accept that kind of request."),
    ),
    409: ("conflict", _l("Conflict"), _l("That change clashes with the current state.")),
    413: ("too_large", _l("Too large"), _l("What you sent is too large.")),
    422: ("invalid", _l("Invalid input"), _l("Some of what you sent is not valid.")),
    429: (
        "rate_limited",
        _l("Too many requests"),
        _l("Too many requests. Please wait a moment and try again."),
    ),
    500: (
        "server_error",
        _l("Server error"),
        _l("Something went wrong on our side. It has been logged."),
    ),
    503: ("unavailable", _l("Service unavailable"), _l("The service is temporarily unavailable.")),
}


def wants_json() -> bool:
    """API requests get JSON errors; everything else gets an HTML page."""
    return request.path.startswith("/api/")


def error_response(
    status: int,
    message: str | None = None,
    code: str | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    """Build the HTML or JSON error response for ``status``."""
    default_code, title, default_message = HTTP_ERRORS.get(
        status, HTTP_ERRORS[500 if status >= 500 else 400]
    )
    code = code or default_code
    text = message or str(default_message)
    if wants_json():
        error: dict[str, Any] = {"code": code, "message": text}
        if details:
            error["details"] = details
        response = jsonify(error=error)
    else:
        response = Response(
            render_template("errors/error.html", status=status, title=title, message=text),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def _handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    # webargs (API query and body validation) puts per-field messages in exc.data.
    data = getattr(exc, "data", None)
    details = data.get("messages") if isinstance(data, dict) else None
    response = error_response(status, details=details if isinstance(details, dict) else None)
    if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return response


def _handle_csrf(exc: CSRFError) -> Response:
    return error_response(
        400,
        gettext("The form has expired or was not sent from this site. Please try again."),
        code="csrf_failed",
    )


def _handle_domain(exc: DomainError) -> Response:
    return error_response(exc.status, exc.message, exc.code, exc.details)


def _handle_unexpected(exc: InternalServerError) -> Response:
    original = getattr(exc, "original_exception", None) or exc
    # The person reporting the problem quotes this; the log line carries it with the details.
    incident = secrets.token_hex(6)
    log.error(
        "unhandled error on %s %s (incident %s)",
        request.method,
        request.path,
        incident,
        exc_info=original,
    )
    try:
        message = gettext(
            "Something went wrong on our side. It has been logged as incident %(incident)s: "
            "please quote it if you report the problem.",
            incident=incident,
        )
        response = error_response(500, message, details={"incident": incident})
    except Exception:  # the page itself failed (database down?): plain text, never a traceback
        log.exception("the error page failed too")
        response = Response(
            f"500 Internal Server Error (incident {incident})", status=500, mimetype="text/plain"
        )
    response.headers["X-Incident-Id"] = incident
    return response


def _handle_database_unavailable(exc: sa.exc.SQLAlchemyError) -> Response:
    """The database did not answer (down, restarting, disk full, locked too long): 503 with
    ``Retry-After``, never a traceback. The transaction is rolled back, so nothing is half
    written; the client may simply try again."""
    log.error("database unavailable on %s %s: %s", request.method, request.path, exc)
    from lms.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone: the session is discarded at teardown anyway
        log.debug("rollback after a database failure failed too", exc_info=True)
    try:
        response = error_response(503)
    except Exception:  # the page (or the reader's language) needs the database too
        if wants_json():
            message = "The service is temporarily unavailable."
            response = jsonify(error={"code": "unavailable", "message": message})
            response.status_code = 503
        else:
            response = Response(
                "503 Service Unavailable", status=503, mimetype="text/plain; charset=utf-8"
            )
    response.headers["Retry-After"] = "5"
    return response


def init_app(app: Flask) -> None:
    # A lost connection (OperationalError, including a checkout that timed out) and a
    # pool exhausted for too long (TimeoutError) are outages, not bugs.
    app.register_error_handler(sa.exc.OperationalError, _handle_database_unavailable)
    app.register_error_handler(sa.exc.TimeoutError, _handle_database_unavailable)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(InternalServerError, _handle_unexpected)
    app.register_error_handler(HTTPException, _handle_http)
