"""Every state-changing route refuses a request without a valid CSRF token (ASVS 3.5.1).

Generated from Flask's URL map, so a new POST route is covered the moment it exists.
"""

from __future__ import annotations

import re

import pytest

from lms.accounts.models import Role
from tests.factories import (
    DEFAULT_PASSWORD,
    enable_2fa,
    make_agency,
    make_unit,
    make_user,
    next_code,
)
from tests.test_permissions import _routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def strict(app_factory):
    return app_factory(WTF_CSRF_ENABLED=True)


def _sign_in_with_tokens(client, user) -> None:
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": user.username, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.headers.get("Location") == "/login/code", response.get_data(as_text=True)[
        -3000:
    ]
    token = _token(client.get("/login/code").get_data(as_text=True))
    response = client.post("/login/code", data={"code": next_code(user), "csrf_token": token})
    assert response.headers.get("Location") == "/", response.get_data(as_text=True)[-2500:]


def test_every_unsafe_route_needs_a_token(strict):
    admin = make_user("csrf.admin", roles=[Role.ADMIN])
    enable_2fa(admin)
    unit = make_unit(make_agency("KG"))
    person = make_user("csrf.target", country_code="KG", unit_id=unit.id)
    args = {
        "user_id": person.id,
        "grant_id": person.grants[0].id,
        "agency_id": unit.agency_id,
        "unit_id": unit.id,
        "code": "KG",
        "token": "x",
        "batch_id": 1,
        "token_id": 1,
        "bank_id": 1,
        "upload_id": 1,
        "slug": "x",
        "lesson_id": 1,
        "cohort_id": 1,
        "enrolment_id": 1,
        "attempt_id": 1,
        "key": "pre",
        "wave": "feedback",
        "serial": "K7QM2XHD9RTBV4N0",
        "bundle_id": 1,
        "session_id": 1,
        "action_id": 1,
        "assignment_id": 1,
        "version": 1,
    }
    client = strict.test_client()
    _sign_in_with_tokens(client, admin)
    other = strict.test_client()
    other_token = _token(other.get("/login").get_data(as_text=True))
    checked = []
    # The API (/api/) ignores cookies and takes bearer tokens, so it needs no CSRF token.
    for rule, _method in _routes(strict):
        for method in sorted(rule.methods & UNSAFE):
            url = rule.build({name: args[name] for name in rule.arguments})[1]
            for data in ({}, {"csrf_token": other_token}, {"csrf_token": "forged"}):
                response = client.open(url, method=method, data=data)
                assert response.status_code == 400, (method, url, data, response.status_code)
                assert "The form has expired" in response.get_data(as_text=True)
            checked.append(rule.endpoint)
    assert "accounts.login" in checked
    assert "accounts.merge_person" in checked
    assert len(checked) >= 20
    # Nothing was changed by any of those requests.
    assert person.is_active
    assert person.merged_into_id is None
    assert client.get("/").status_code == 200
