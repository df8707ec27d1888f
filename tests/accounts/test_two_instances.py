"""Two app processes' worth of state in one database: lockouts and sessions hold across them.

Unlike the other tests, these commit for real, on a database of their own, as two
gunicorn workers (or two hosts) would.
"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from lms import clock
from lms.extensions import db
from tests.conftest import make_test_app

PASSWORD = "the snow leopard of the pamirs"


@pytest.fixture(scope="module")
def two_apps(make_database):
    url = make_database("instances")
    first, second = make_test_app(url), make_test_app(url)
    with first.app_context():
        upgrade()
    result = first.test_cli_runner().invoke(
        args=["lms", "users", "create", "--username", "shared.user", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_lockout_holds_across_instances(two_apps):
    first, second = two_apps
    start = clock.FrozenClock(clock.SystemClock().now())
    for app in two_apps:
        app.extensions["lms.clock"] = start
    a, b = first.test_client(), second.test_client()
    for client in (a, b, a, b, a):
        client.post("/login", data={"username": "shared.user", "password": "a wrong guess!"})
    for client in (a, b):
        response = client.post("/login", data={"username": "shared.user", "password": PASSWORD})
        assert response.status_code == 422
        assert "Too many failed attempts" in response.get_data(as_text=True)
    start.advance(minutes=16)
    response = b.post("/login", data={"username": "shared.user", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_a_session_started_on_one_instance_ends_on_both(two_apps):
    first, second = two_apps
    for app in two_apps:
        app.extensions["lms.clock"] = clock.SystemClock()
    a = first.test_client()
    a.post("/login", data={"username": "shared.user", "password": PASSWORD})
    cookie = a.get_cookie("session").value
    b = second.test_client()
    b.set_cookie("session", cookie)
    assert "Welcome" in b.get("/").get_data(as_text=True)
    b.post("/logout")
    assert "Welcome" not in a.get("/").get_data(as_text=True)
