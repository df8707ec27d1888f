from __future__ import annotations

import socket


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_reports_the_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    from lms.extensions import db

    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": {"ok": True, "detail": db.engine.dialect.name}},
    }


def test_healthz_checks_redis_when_configured(app_factory):
    app = app_factory(REDIS_URL="redis://127.0.0.1:6379/0")
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"] == {"ok": True, "detail": "ok"}


def test_healthz_is_degraded_but_serving_when_redis_is_unreachable(app_factory):
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200  # the app serves without Redis: keep the host in
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == {"ok": False, "detail": "unreachable"}
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_unreachable(database_url):
    from tests.conftest import make_test_app

    app = make_test_app(
        database_url, DATABASE_URL=f"postgresql://nobody@127.0.0.1:{_free_port()}/x"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == {"ok": False, "detail": "unreachable"}


def test_pages_are_a_clean_503_while_the_database_is_down(database_url):
    """An outage: 503 with Retry-After (HTML and JSON), never a 500 or a traceback."""
    from tests.conftest import make_test_app

    app = make_test_app(
        database_url, DATABASE_URL=f"postgresql://nobody@127.0.0.1:{_free_port()}/x"
    )
    client = app.test_client()
    for path in ("/verify/ABCD-EFGH-JKLM", "/api/v1/me"):
        response = client.get(path, headers={"Authorization": "Bearer lms_made_up"})
        assert response.status_code == 503, path
        assert "Retry-After" in response.headers
        assert "Traceback" not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "unavailable"
