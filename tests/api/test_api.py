"""The JSON API: tokens, JSON errors, scopes, pagination, rate limits, the generated document."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts import tokens
from lms.accounts.models import ApiToken, Role
from lms.extensions import db
from tests.factories import make_agency, make_unit, make_user, sign_in

API = "/api/v1"


def bearer(user, **kwargs) -> dict[str, str]:
    _token, secret = tokens.create_token(user, name="test", now=clock.now(), **kwargs)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(app):
    kg = make_unit(make_agency("KG", "МВД КР"), "ОПТЛ")
    kz = make_unit(make_agency("KZ", "МВД РК"), "УБТЛ")
    people = {
        "kg.learner": make_user("kg.learner", country_code="KG", unit_id=kg.id),
        "kz.learner": make_user("kz.learner", country_code="KZ", unit_id=kz.id),
        "kg.coord": make_user(
            "kg.coord", roles=[Role.COORDINATOR], country_code="KG", coordinator_country="KG"
        ),
        "admin": make_user("api.admin", roles=[Role.ADMIN]),
    }
    return {"kg": kg, "kz": kz, **people}


def test_no_token_is_a_json_401(client):
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.get_json() == {
        "error": {"code": "unauthorized", "message": "Please sign in to continue."}
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer nonsense", "Bearer lms_wrong", "Basic dXNlcjpwYXNz", "Bearer "):
        assert client.get(f"{API}/me", headers={"Authorization": header}).status_code == 401


def test_a_signed_in_browser_cookie_is_not_enough(client, world):
    sign_in(client, world["kg.learner"])
    assert client.get("/").status_code == 200
    assert client.get(f"{API}/me").status_code == 401


def test_me_and_token_lifecycle(client, world, frozen_clock):
    headers = bearer(world["kg.learner"])
    me = client.get(f"{API}/me", headers=headers).get_json()
    assert (me["username"], me["country"], me["roles"]) == ("kg.learner", "KG", ["learner"])
    assert me["unit"]["name"] == "ОПТЛ"
    listed = client.get(f"{API}/tokens", headers=headers).get_json()
    assert [t["name"] for t in listed] == ["test"]
    assert listed[0]["prefix"].startswith("lms_")
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert headers["Authorization"].split()[1] not in (stored.token_hash, stored.prefix)
    assert client.delete(f"{API}/tokens/{listed[0]['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/me", headers=headers).status_code == 401


def test_expired_tokens_and_deactivated_people_are_refused(client, world, frozen_clock):
    headers = bearer(
        world["kg.learner"],
        expires_at=frozen_clock.now() + __import__("datetime").timedelta(days=1),
    )
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    frozen_clock.advance(days=2)
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    other = bearer(world["kz.learner"])
    world["kz.learner"].is_active = False
    db.session.flush()
    assert client.get(f"{API}/me", headers=other).status_code == 401


def test_another_persons_token_cannot_be_revoked(client, world):
    mine = bearer(world["kg.learner"])
    theirs, _ = tokens.create_token(world["kz.learner"], name="theirs", now=clock.now())
    response = client.delete(f"{API}/tokens/{theirs.id}", headers=mine)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert theirs.revoked_at is None


def test_a_coordinators_token_sees_only_their_countries(client, world):
    headers = bearer(world["kg.coord"])
    users = client.get(f"{API}/users?per_page=100", headers=headers).get_json()
    assert {u["country"] for u in users["items"]} == {"KG"}
    assert "kz.learner" not in {u["username"] for u in users["items"]}
    assert client.get(f"{API}/users?country=KZ", headers=headers).get_json()["total"] == 0
    assert client.get(f"{API}/users/{world['kz.learner'].id}", headers=headers).status_code == 404
    assert client.get(f"{API}/users/{world['kg.learner'].id}", headers=headers).status_code == 200
    agencies = client.get(f"{API}/agencies", headers=headers).get_json()
    assert [a["country"] for a in agencies["items"]] == ["KG"]
    assert agencies["items"][0]["units"][0]["name"] == "ОПТЛ"
    assert client.get(f"{API}/agencies/{world['kz'].agency_id}", headers=headers).status_code == 404
    countries = client.get(f"{API}/countries", headers=headers).get_json()
    assert [c["code"] for c in countries["items"]] == ["KG"]


def test_roles_without_an_overview_get_403(client, world):
    for role in (Role.LEARNER, Role.TRAINER, Role.MENTOR):
        headers = bearer(make_user(roles=[role], country_code="KG"))
        for path in ("/users", "/agencies", "/countries"):
            response = client.get(API + path, headers=headers)
            assert response.status_code == 403, (role, path)
            assert response.get_json()["error"]["code"] == "forbidden"


def test_pagination_and_filters(client, world):
    for n in range(5):
        make_user(f"kg.extra{n}", full_name="Мухаммад Каримов", country_code="KG")
    headers = bearer(world["admin"])
    page = client.get(f"{API}/users?country=KG&per_page=2&page=2", headers=headers).get_json()
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (2, 2, 7, 4)
    assert len(page["items"]) == 2
    found = client.get(f"{API}/users?q=Muhammad%20Karimov", headers=headers).get_json()
    assert found["total"] == 5
    coordinators = client.get(f"{API}/users?role=coordinator", headers=headers).get_json()
    assert [u["username"] for u in coordinators["items"]] == ["kg.coord"]
    beneficiaries = client.get(f"{API}/countries?beneficiary=true&per_page=100", headers=headers)
    assert beneficiaries.get_json()["total"] == 7


@pytest.mark.parametrize(
    "query", ["per_page=1000", "page=0", "role=king", "country=KGZ", "active=perhaps", "q="]
)
def test_bad_arguments_are_a_json_422_with_details(client, world, query):
    response = client.get(f"{API}/users?{query}", headers=bearer(world["admin"]))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["details"]["query"]


def test_unknown_paths_and_methods_are_json(client, world):
    headers = bearer(world["admin"])
    assert client.get(f"{API}/nothing", headers=headers).get_json()["error"]["code"] == "not_found"
    response = client.post(f"{API}/me", headers=headers)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_user_list_query_count_is_fixed(client, world, count_queries):
    headers = bearer(world["admin"])
    client.get(f"{API}/users", headers=headers)  # the token's first use is recorded once
    counts = []
    for batch in range(2):
        for n in range(15):
            make_user(f"count{batch}-{n}", country_code="KG", unit_id=world["kg"].id)
        db.session.flush()
        with count_queries() as log:
            assert client.get(f"{API}/users?per_page=100", headers=headers).status_code == 200
        counts.append(log.count)
    assert counts[0] == counts[1] <= 6, counts


def test_rate_limit_is_a_json_429(app_factory):
    limited = app_factory(API_RATE_LIMIT="3 per minute")
    person = make_user()
    headers = bearer(person)
    client = limited.test_client()
    statuses = [client.get(f"{API}/me", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{API}/me", headers=headers)
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in response.headers


def test_rate_limit_is_shared_through_redis(app_factory):
    prefix = f"lms-test-{uuid.uuid4().hex}"
    first = app_factory(API_RATE_LIMIT="3 per minute", REDIS_URL="redis://127.0.0.1:6379/0",
                        RATELIMIT_KEY_PREFIX=prefix)  # fmt: skip
    second = app_factory(API_RATE_LIMIT="3 per minute", REDIS_URL="redis://127.0.0.1:6379/0",
                         RATELIMIT_KEY_PREFIX=prefix)  # fmt: skip
    headers = bearer(make_user())
    statuses = [
        app.test_client().get(f"{API}/me", headers=headers).status_code
        for app in (first, second, first, second)
    ]
    assert statuses == [200, 200, 200, 429]


def test_with_redis_down_the_limits_still_hold_in_each_process(app_factory, caplog):
    from tests.main.test_health import _free_port

    limited = app_factory(API_RATE_LIMIT="3 per minute",
                          REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0")  # fmt: skip
    headers = bearer(make_user())
    client = limited.test_client()
    statuses = [client.get(f"{API}/me", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # no 500: counted in memory instead
    assert "Rate limit storage unreachable" in caplog.text


def test_made_up_tokens_are_bounded_by_the_address_limit(app_factory):
    limited = app_factory(API_RATE_LIMIT_PER_ADDRESS="5 per minute")
    client = limited.test_client()
    statuses = [
        client.get(f"{API}/me", headers={"Authorization": f"Bearer lms_fake{n}"}).status_code
        for n in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 401, 429]


def test_the_document_covers_every_api_route(app, client):
    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/") or rule.endpoint.startswith("api-docs"):
            continue
        if rule.endpoint == "api_docs.reference":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert json.dumps(spec)  # serialisable


def test_reference_page_is_readable_html(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "GET /api/v1/users" in html
    assert "<script" not in html


def test_cli_creates_a_token(runner, client, world):
    result = runner.invoke(
        args=["lms", "tokens", "create", "--username", "kg.coord", "--name", "sheet", "--json"]
    )
    assert result.exit_code == 0, result.output
    secret = json.loads(result.stdout)["token"]
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert me["username"] == "kg.coord"
    missing = runner.invoke(args=["lms", "tokens", "create", "--username", "nobody"])
    assert missing.exit_code == 1
    assert "no active user 'nobody'" in missing.stderr


def test_tokens_on_the_account_page(client, login, world):
    login(world["kg.learner"])
    response = client.post("/account/tokens", data={"name": "my sheet", "expires_on": "2099-12-31"})
    assert response.headers["Location"].endswith("/account#tokens")
    html = client.get("/account").get_data(as_text=True)
    assert "my sheet" in html and "lms_" in html
    secret = html.split('<code class="secret" dir="ltr">')[1].split("<")[0]
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in client.get("/account").get_data(as_text=True)  # shown once
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "my sheet")).one()
    client.post(f"/account/tokens/{token.id}/revoke")
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
