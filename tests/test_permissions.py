"""Every route declares who may use it, and the declaration holds for every role.

The matrix is generated from Flask's URL map: a new route is covered the moment it is
added (and the app refuses to start if it declares no audience at all).
"""

from __future__ import annotations

import pytest
from flask import Blueprint

from lms import create_app
from lms.accounts.models import Role
from lms.permissions import PUBLIC, SIGNED_IN, access_of, may_access, roles_required
from tests.conftest import base_config
from tests.factories import DEFAULT_PASSWORD, make_user

#: Values for URL variables, by variable name; a route with an unknown variable fails the test.
SAMPLE_ARGS: dict[str, object] = {}

#: Audiences of a request: anonymous, then a user holding each role.
AUDIENCES = ["anonymous", *[role.value for role in Role]]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        yield rule, method


def test_every_route_declares_its_audience(app):
    for rule, _method in _routes(app):
        assert access_of(app.view_functions[rule.endpoint]) is not None, rule.rule


def test_app_refuses_to_start_with_an_undeclared_route(database_url, monkeypatch):
    import lms

    bp = Blueprint("careless", __name__)
    bp.add_url_rule("/careless", "careless", lambda: "oops")
    original = lms.register_blueprints

    def register_with_careless(app):
        original(app)
        app.register_blueprint(bp)

    monkeypatch.setattr(lms, "register_blueprints", register_with_careless)
    with pytest.raises(RuntimeError, match=r"careless\.careless"):
        create_app(base_config(database_url))


def test_roles_required_needs_a_role():
    with pytest.raises(ValueError, match="at least one role"):
        roles_required()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_route_matrix(app, audience):
    """Each route answers each audience as its declaration says (a fresh session per route)."""
    user = None
    if audience != "anonymous":
        user = make_user(f"matrix.{audience}", roles=[Role(audience)])
    for rule, method in _routes(app):
        client = app.test_client()
        if user is not None:
            signed = client.post(
                "/login", data={"username": user.username, "password": DEFAULT_PASSWORD}
            )
            assert signed.status_code == 302
        view = app.view_functions[rule.endpoint]
        missing = set(rule.arguments) - set(SAMPLE_ARGS)
        assert not missing, f"add sample values for {missing} of {rule.rule} to SAMPLE_ARGS"
        url = rule.build({name: SAMPLE_ARGS[name] for name in rule.arguments})[1]
        response = client.open(url, method=method)
        location = response.headers.get("Location", "")
        refused_anonymous = response.status_code == 302 and location.startswith("/login?next=")
        if may_access(user, view) if user else access_of(view) == PUBLIC:
            assert response.status_code not in (401, 403), (audience, method, url)
            assert not refused_anonymous, (audience, method, url)
        elif user is None:
            assert refused_anonymous, (audience, method, url, response.status_code)
        else:
            assert response.status_code == 403, (audience, method, url, response.status_code)


def test_role_restricted_views_refuse_other_roles(app_factory):
    """roles_required: anonymous → sign-in, wrong role → 403, right role → the page."""
    bp = Blueprint("restricted", __name__)

    @bp.route("/coordinators-only")
    @roles_required(Role.COORDINATOR, Role.ADMIN)
    def coordinators_only():
        return "report"

    app = app_factory()
    app.register_blueprint(bp)
    assert access_of(app.view_functions["restricted.coordinators_only"]) == frozenset(
        {Role.COORDINATOR, Role.ADMIN}
    )
    client = app.test_client()
    assert client.get("/coordinators-only").headers["Location"].startswith("/login?next=")
    for role, expected in [(Role.LEARNER, 403), (Role.MENTOR, 403), (Role.COORDINATOR, 200)]:
        make_user(f"restricted.{role.value}", roles=[role])
        client.post(
            "/login", data={"username": f"restricted.{role.value}", "password": DEFAULT_PASSWORD}
        )
        assert client.get("/coordinators-only").status_code == expected, role
        client.post("/logout")


def test_declarations_are_visible_to_templates_and_tests(app):
    assert access_of(app.view_functions["main.index"]) == PUBLIC
    assert access_of(app.view_functions["accounts.logout"]) == SIGNED_IN
