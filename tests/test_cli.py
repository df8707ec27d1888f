"""The ``flask lms`` command conventions: exit codes, --json, no tracebacks."""

from __future__ import annotations

import json

from lms.accounts.models import Role
from lms.accounts.services import get_user_by_username
from tests.factories import make_user


def test_lms_group_lists_domain_groups(runner):
    result = runner.invoke(args=["lms", "--help"])
    assert result.exit_code == 0
    assert "users" in result.output
    assert "demo" in result.output


def test_demo_prints_a_login_for_every_role_and_is_idempotent(runner):
    first = runner.invoke(args=["lms", "demo", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert set(data["logins"]) == {r.value for r in Role}
    # End-of-course feedback of those who completed (not the demo learner's own): as many
    # as there are completions of courses with a survey, which the seeded attempts decide.
    answered = data["created"].pop("survey responses")
    import sqlalchemy as sa

    from lms.evaluation.models import SurveyInvitation
    from lms.extensions import db

    assert answered == db.session.scalar(
        sa.select(sa.func.count()).select_from(SurveyInvitation)
        .where(SurveyInvitation.answered_on.is_not(None))
    ) > 5  # fmt: skip
    assert data["created"] == {
        "agencies": 20,
        "units": 11,
        "users": 5,
        # Seven countries' learners, and the sixteen officers of the Dushanbe classroom.
        "learners": 75,
        "questions": 2,
        "courses": 2,
        # Bishkek (running) and Dushanbe (held two months ago, its tests on paper).
        "cohorts": 2,
        # The demo learner and the Kyrgyz learners in the cohort, the others on their own,
        # and the 23 officers in Dushanbe.
        "enrolments": 83,
        "attendance days": 8,
        # Person n of a course reads n of its lessons (after the pre-test, where there is one).
        "lessons completed": 65,
        # The pre-tests of the cohort's 11, the post-tests of those who read everything, and
        # Dushanbe's 23 pre- and post-tests typed in from paper.
        "attempts": 59,
        # A few of those who completed get their certificate (in development every one does).
        "certificates": 3,
        # The demo mentor's five monthly sessions with the Kyrgyz anti-trafficking unit.
        "mentoring sessions": 5,
        # This year's targets for the programme and for Kyrgyzstan.
        "indicator targets": 12,
    }
    for role, login in data["logins"].items():
        user = get_user_by_username(login["username"])
        assert user is not None
        assert Role(role) in user.roles

    second = runner.invoke(args=["lms", "demo", "--json"])
    assert second.exit_code == 0
    again = json.loads(second.stdout)
    assert again["created"] == {}
    assert again["existing"] == {
        "agencies": 20,
        "units": 11,
        "users": 5,
        "learners": 75,
        "questions": 2,
        "courses": 2,
        "cohorts": 2,
        "enrolments": 83,
        "certificates": 3,
        "mentoring sessions": 5,
        "indicator targets": 12,
        "survey responses": answered,
    }
    assert again["logins"] == data["logins"]


def test_demo_logins_work_on_the_sign_in_page(app, runner, client):
    data = json.loads(runner.invoke(args=["lms", "demo", "--json"]).stdout)
    login = data["logins"]["learner"]
    response = client.post("/login", data=login)
    assert response.headers["Location"] == "/"
    assert "Learner" in client.get("/").get_data(as_text=True)
    # Roles that see others' records must set up a second factor first.
    response = app.test_client().post("/login", data=data["logins"]["coordinator"])
    assert response.headers["Location"] == "/login/setup-2fa"


def test_demo_text_output_lists_the_logins(runner):
    result = runner.invoke(args=["lms", "demo"])
    assert result.exit_code == 0
    assert "demo.admin" in result.output
    assert "demo-admin-password" in result.output


def test_demo_is_refused_in_production(app_factory):
    prod = app_factory(ENV="production")
    result = prod.test_cli_runner().invoke(args=["lms", "demo", "--json"])
    assert result.exit_code == 1
    assert "development only" in result.stderr
    assert json.loads(result.stdout)["ok"] is False
    assert get_user_by_username("demo.admin") is None


def test_users_create_with_password_from_stdin(runner, client):
    result = runner.invoke(
        args=[
            "lms",
            "users",
            "create",
            "--username",
            "Timur.K",
            "--role",
            "mentor",
            "--role",
            "trainer",
            "--full-name",
            "Тимур К.",
            "--password-stdin",
            "--json",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["username"] == "timur.k"
    assert data["roles"] == ["mentor", "trainer"]
    response = client.post(
        "/login", data={"username": "timur.k", "password": "a long enough password"}
    )
    assert response.status_code == 302


def test_users_create_scopes_a_coordinator_to_a_country(runner):
    result = runner.invoke(
        args=["lms", "users", "create", "--username", "coord.tj", "--role", "coordinator",
              "--country", "tj", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["country"] == "TJ"
    assert get_user_by_username("coord.tj").coordinated_countries == {"TJ"}
    bad = runner.invoke(args=["lms", "users", "create", "--username", "x.y", "--country", "QQ"])
    assert bad.exit_code == 1
    assert "Unknown country code QQ." in bad.stderr


def test_users_create_refuses_a_taken_username(runner):
    make_user("zarina")
    result = runner.invoke(args=["lms", "users", "create", "--username", "zarina", "--json"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: The username zarina is taken."
    assert json.loads(result.stdout) == {"ok": False, "errors": ["The username zarina is taken."]}
    assert "Traceback" not in result.output


def test_users_create_refuses_a_short_password_and_saves_nothing(runner):
    result = runner.invoke(
        args=["lms", "users", "create", "--username", "short.pw", "--password-stdin"], input="abc\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert get_user_by_username("short.pw") is None


def test_users_create_refuses_an_empty_stdin_password(runner):
    result = runner.invoke(
        args=["lms", "users", "create", "--username", "no.pw", "--password-stdin"], input=""
    )
    assert result.exit_code == 1
    assert "no password on standard input" in result.stderr


def test_usage_errors_exit_2(runner):
    assert runner.invoke(args=["lms", "users", "create"]).exit_code == 2
    bad_role = runner.invoke(args=["lms", "users", "create", "--username", "x1", "--role", "king"])
    assert bad_role.exit_code == 2
    assert "king" in bad_role.stderr


def test_a_database_without_tables_is_a_clear_error(app_factory, make_database):
    unmigrated = app_factory(DATABASE_URL=make_database("unmigrated"))
    result = unmigrated.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 1
    assert "is the database reachable and migrated?" in result.stderr
    assert "Traceback" not in result.output
