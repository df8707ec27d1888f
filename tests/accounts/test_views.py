from __future__ import annotations

import pytest

from lms.accounts.models import Role
from lms.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label class="field__label" for="username">Username</label>' in html
    assert 'autocomplete="current-password"' in html


def test_login_page_in_russian(client):
    response = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    html = response.get_data(as_text=True)
    assert '<html lang="ru" dir="ltr">' in html
    assert "Имя пользователя" in html
    assert "Войти" in html


def test_sign_in_shows_dashboard_with_roles(client):
    make_user("aizada", full_name="Айзада Маматова", roles=[Role.LEARNER])
    response = client.post("/login", data={"username": "AIZADA ", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "Welcome, Айзада Маматова" in html
    assert '<li class="badge">Learner</li>' in html


def test_dashboard_lists_every_role(client, login):
    login(make_user(roles=[Role.LEARNER, Role.MENTOR]))
    html = client.get("/").get_data(as_text=True)
    assert '<li class="badge">Learner</li>' in html
    assert '<li class="badge">Mentor</li>' in html


@pytest.mark.parametrize(
    ("username", "password"),
    [("nadira", "wrong password here"), ("nobody-here", DEFAULT_PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
def test_failed_sign_in_says_the_same_for_both_causes(client, username, password):
    make_user("nadira")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The username or password is not correct." in html
    assert 'aria-invalid="true"' in html
    assert "Welcome" not in client.get("/").get_data(as_text=True)


def test_empty_form_is_a_form_error_not_a_crash(client):
    response = client.post("/login", data={})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client):
    user = make_user("blocked.user")
    user.is_active = False
    db.session.flush()
    response = client.post(
        "/login", data={"username": "blocked.user", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 422


def test_next_parameter_returns_to_a_local_page(client):
    make_user("farrukh")
    response = client.post(
        "/login", data={"username": "farrukh", "password": DEFAULT_PASSWORD, "next": "/healthz"}
    )
    assert response.headers["Location"] == "/healthz"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "evil"],
)
def test_next_parameter_never_leaves_the_site(client, target):
    make_user("farrukh")
    response = client.post(
        "/login", data={"username": "farrukh", "password": DEFAULT_PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/"


def test_login_page_carries_a_safe_next_only(client):
    html = client.get("/login?next=//evil.example").get_data(as_text=True)
    assert '<input id="next" name="next" type="hidden" value="">' in html
    html = client.get("/login?next=/some/page").get_data(as_text=True)
    assert 'value="/some/page"' in html


def test_signed_in_user_visiting_login_goes_home(client, login):
    login(make_user())
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_is_post_only_and_ends_the_session(client, login):
    login(make_user())
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Welcome" not in client.get("/").get_data(as_text=True)


def test_logout_requires_sign_in(client):
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_user_language_preference_wins_over_the_browser(client, login):
    login(make_user(locale="ru"))
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Добро пожаловать" in html


@pytest.mark.parametrize("stored", ["ru-RU", "ru_KG", "ru"])
def test_a_regional_language_code_uses_its_language(client, login, stored):
    login(make_user(locale=stored))
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Добро пожаловать" in html


def test_a_language_without_translation_falls_back_to_the_browser(client, login):
    login(make_user(locale="tk-TM"))  # Turkmen: no catalogue
    html = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Добро пожаловать" in html


def test_dashboard_query_count_does_not_grow_with_roles(client, login, count_queries):
    user = make_user(roles=list(Role))
    login(user)
    with count_queries() as log:
        response = client.get("/")
    assert response.status_code == 200
    # The session with its user, the role grants (selectin), the enrolments, the cohorts
    # a trainer teaches, the surveys waiting: whatever the number of roles.
    assert log.count == 5, log.statements


def test_page_titles_are_plain_text(client, login):
    """A page's <title> holds no markup (it once swallowed a whole section)."""
    import re

    login(make_user(roles=[Role.ADMIN]))
    for path in ("/", "/account", "/people/", "/organisations/", "/questions/", "/courses/",
                 "/audit", "/people/import", "/account/password"):  # fmt: skip
        html = client.get(path).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and len(title) < 120, (path, title)
