"""Behind a reverse proxy (LMS_PROXY_HOPS=1) the client's address comes from the proxy's
X-Forwarded-For; without it the header is ignored, so nobody can pick their own address."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import UserSession
from lms.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user


def _signed_in_from(app, username: str) -> str:
    make_user(username)
    response = app.test_client().post(
        "/login", data={"username": username, "password": DEFAULT_PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )  # fmt: skip
    assert response.status_code == 302
    return db.session.scalar(sa.select(UserSession.ip).order_by(UserSession.id.desc()))


def test_without_a_proxy_the_header_is_ignored(app):
    assert _signed_in_from(app, "direct.user") == "127.0.0.1"


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(app_factory):
    behind = app_factory(PROXY_HOPS=1)
    assert _signed_in_from(behind, "proxied.user") == "203.0.113.7"
