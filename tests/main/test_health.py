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


def test_healthz_is_503_when_redis_is_unreachable(app_factory):
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
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
