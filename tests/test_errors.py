"""Every failure becomes a clear page or JSON error, never a traceback."""

from __future__ import annotations

import pytest
from flask import Blueprint

from lms.errors import Conflict, NotFound
from lms.permissions import public


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert "This page does not exist, or it has moved." in html


def test_404_in_russian(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "ru"})
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"code": "not_found", "message": "This page does not exist, or it has moved."}
    }


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_too_large_a_request_is_413(app_factory):
    small = app_factory(MAX_CONTENT_LENGTH=100)
    response = small.test_client().post("/login", data={"username": "x" * 500, "password": "y"})
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)


@pytest.fixture
def failing_app(app_factory):
    """An app with routes that fail in each way, as a buggy or strict view would."""
    bp = Blueprint("failing", __name__)

    @bp.route("/boom")
    @public
    def boom():
        raise ZeroDivisionError("secret internals")

    @bp.route("/api/boom")
    @public
    def api_boom():
        raise ZeroDivisionError("secret internals")

    @bp.route("/gone")
    @public
    def gone():
        raise NotFound("That certificate does not exist.")

    @bp.route("/api/clash")
    @public
    def clash():
        raise Conflict("Already enrolled.")

    def build(**config):
        # Blueprints must be registered before the first request; build a fresh app each time.
        fresh = app_factory(PROPAGATE_EXCEPTIONS=False, **config)
        fresh.register_blueprint(bp)
        return fresh

    return build


def test_unexpected_errors_show_a_500_page_without_details(failing_app, caplog):
    client = failing_app().test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html
    assert "Traceback" not in html
    incident = response.headers["X-Incident-Id"]
    assert f"incident {incident}" in html  # quoted by the person, found in the log
    assert any(
        f"unhandled error on GET /boom (incident {incident})" in r.getMessage()
        for r in caplog.records
    )


def test_production_errors_never_show_a_traceback(failing_app):
    """ASVS 13.4.2 / 16.5.1: production settings, an exception: the generic page."""
    app = failing_app(ENV="production")
    assert app.debug is False and app.testing is False
    response = app.test_client().get("/boom", base_url="https://localhost")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "secret internals" not in html and "Traceback" not in html
    assert f"incident {response.headers['X-Incident-Id']}" in html


def test_unexpected_api_errors_are_json_500(failing_app):
    response = failing_app().test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
    assert response.get_json()["error"]["details"]["incident"] == response.headers["X-Incident-Id"]
    assert "secret internals" not in response.get_data(as_text=True)


def test_domain_errors_become_pages_and_json(failing_app):
    client = failing_app().test_client()
    gone = client.get("/gone")
    assert gone.status_code == 404
    assert "That certificate does not exist." in gone.get_data(as_text=True)
    clash = client.get("/api/clash")
    assert clash.status_code == 409
    assert clash.get_json() == {"error": {"code": "conflict", "message": "Already enrolled."}}


def test_missing_csrf_token_is_a_clear_400(app_factory):
    strict = app_factory(WTF_CSRF_ENABLED=True)
    response = strict.test_client().post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "The form has expired or was not sent from this site" in response.get_data(as_text=True)


def test_security_headers_are_set(client):
    headers = client.get("/login").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_signed_in_pages_are_never_cached_and_https_is_pinned(client, login, app_factory):
    """ASVS 14.3.2 (no-store on what a signed-in person sees), 3.4.1 (HSTS over HTTPS)."""
    from tests.factories import make_user

    public = client.get("/login")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert public.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert client.get("/verify").headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Strict-Transport-Security" not in public.headers  # plain HTTP in development
    login(make_user())
    for path in ("/", "/account"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    secure = app_factory(SESSION_COOKIE_SECURE=True).test_client()
    assert secure.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_an_id_too_large_for_the_database_is_404(client, login):
    from tests.factories import make_user

    login(make_user())
    for path in ("/people/99999999999999999999", "/people/2147483648", "/people/0"):
        response = client.get(path)
        assert response.status_code == 404, path
    assert (
        client.get("/api/v1/users/99999999999999999999").get_json()["error"]["code"] == "not_found"
    )


def test_nul_characters_are_a_clear_400(client, login):
    from tests.factories import make_user

    login(make_user())
    assert client.get("/people/?q=a%00b").status_code in (400, 403)
    response = client.post("/login", data={"username": "a\x00b", "password": "x"})
    assert response.status_code == 400
    api = client.get("/api/v1/users?q=%00")
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "bad_request"
