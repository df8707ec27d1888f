"""Cases of the security checklist (../shared/research/security.md §4, docs/security.md)
that no domain's own tests cover: mass assignment, secrets in responses, roles taken away
or given mid-session, GET never writes, names that try to be HTML or templates, the
certificate renderer's reach, the Markdown sanitiser under generated input, spreadsheet
formulas, and spoofed client addresses."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms import clock
from lms.accounts import services as accounts
from lms.accounts.models import Role, RoleGrant, User
from lms.certificates import render
from lms.certificates import services as certificates
from lms.extensions import db
from lms.markdown import render_markdown
from lms.tables import csv_text
from tests.factories import enable_2fa, make_user, sign_in
from tests.test_permissions import _routes, _world

# --- T05 mass assignment (ASVS 15.3.3, 8.2.3) -------------------------------------------------


def test_extra_fields_in_a_form_change_nothing_they_name(app, client, login):
    coordinator = make_user("mass.coordinator", roles=[Role.COORDINATOR],
                            coordinator_country="KG", country_code="KG")  # fmt: skip
    person = make_user("mass.learner", country_code="KG", full_name="Mass Learner")
    login(coordinator)
    response = client.post(
        f"/people/{person.id}/edit",
        data={"full_name": "Mass Learner Renamed", "sex": "female", "role": "admin",
              "roles": "admin", "is_active": "0", "country_code": "KZ",
              "coordinator_country": "", "password_hash": "x", "username": "taken.over"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert person.full_name == "Mass Learner Renamed"  # the form's own field did change
    assert (person.username, person.country_code, person.is_active) == (
        "mass.learner", "KG", True)  # fmt: skip
    assert sorted(person.roles) == [Role.LEARNER]
    assert person.password_hash.startswith("$argon2id$")
    # One's own account page takes no role or scope either.
    client.post("/account/certificate-scores", data={"share_scores": "y", "role": "admin",
                                                      "coordinator_country": ""})  # fmt: skip
    db.session.expire_all()
    assert sorted(coordinator.roles) == [Role.COORDINATOR]
    assert [g.country_code for g in coordinator.grants] == ["KG"]


def test_unknown_fields_in_an_api_body_are_refused(app, client):
    from lms.accounts import tokens

    admin = make_user("mass.admin", roles=[Role.ADMIN])
    _token, secret = tokens.create_token(admin, name="t", now=clock.now())
    world_args, _users = _world()
    response = client.post(
        f"/api/v1/cohorts/{world_args['cohort_id']}/enrolments",
        json={"user_ids": [world_args["user_id"]], "role": "admin", "status": "completed"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422
    assert {"role", "status"} <= set(response.get_json()["error"]["details"]["json"])


# --- T06 secrets never leave (ASVS 15.3.1, 8.2.3) ---------------------------------------------


def test_no_hash_seed_or_other_persons_address_is_ever_sent(app, client, login):
    from lms.accounts import tokens

    me = make_user("secret.me", email="me@example.org", roles=[Role.COORDINATOR],
                   coordinator_country="KG", country_code="KG")  # fmt: skip
    seed = enable_2fa(me)
    other = make_user("secret.other", email="other@example.org", country_code="KZ")
    _token, bearer = tokens.create_token(me, name="t", now=clock.now())
    login(me)
    pages = ("/account", "/account/data.json", "/people/", f"/people/{me.id}")
    bodies = [client.get(path).get_data(as_text=True) for path in pages]
    api = {"Authorization": f"Bearer {bearer}"}
    calls = ("/api/v1/me", "/api/v1/users?per_page=100", f"/api/v1/users/{me.id}")
    bodies += [client.get(path, headers=api).get_data(as_text=True) for path in calls]
    text = "\n".join(bodies)
    assert "me@example.org" in text  # one's own address is one's own
    for secret in ("$argon2", "password_hash", "totp_secret", seed, me.totp_secret,
                   "other@example.org", bearer):  # fmt: skip
        assert secret not in text, secret
    assert f'"id": {other.id}' not in text.replace('"id":', '"id": ')


# --- T07, T15 roles read on every request (ASVS 8.3.1, 6.3.3) ---------------------------------


def test_a_revoked_role_is_gone_at_the_next_request(app, client, login):
    coordinator = make_user("demoted", roles=[Role.COORDINATOR], coordinator_country="KG")
    login(coordinator)
    assert client.get("/people/").status_code == 200
    grant = db.session.scalar(
        sa.select(RoleGrant).where(
            RoleGrant.user_id == coordinator.id, RoleGrant.role == Role.COORDINATOR
        )
    )
    accounts.revoke_grant(grant, actor=None, now=clock.now())
    db.session.commit()
    assert client.get("/people/").status_code == 403


def test_a_role_that_needs_a_second_factor_ends_the_sessions_without_one(app, client, login):
    learner = make_user("promoted")
    login(learner)
    assert "Welcome," in client.get("/").get_data(as_text=True)
    accounts.grant_role(learner, Role.ADMIN, actor=None, now=clock.now())
    db.session.commit()
    assert client.get("/people/").headers["Location"].startswith("/login")
    response = client.post("/login", data={"username": "promoted",
                                           "password": "correct horse battery staple"})  # fmt: skip
    assert response.headers["Location"].startswith("/login/setup-2fa")


# --- T16 no default account (ASVS 6.3.2) -------------------------------------------------------


def test_a_new_database_has_no_account_and_a_created_one_no_password(client, runner):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    result = runner.invoke(args=["lms", "users", "create", "--username", "first.admin",
                                 "--role", "admin"])  # fmt: skip
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(sa.select(User).where(User.username == "first.admin"))
    assert admin.password_hash is None
    for guess in ("", "admin", "password", "first.admin"):
        response = client.post("/login", data={"username": "first.admin", "password": guess})
        assert response.status_code in (200, 422)  # refused: the form again, no session


# --- T24 GET never writes (ASVS 3.5.3) ---------------------------------------------------------

#: Tables a GET may write: the session's last-seen time and the audit of what was viewed.
BOOKKEEPING = {"user_session", "audit_event"}


def _snapshot() -> dict[str, str]:
    shot = {}
    for table in db.metadata.sorted_tables:
        if table.name in BOOKKEEPING:
            continue
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        shot[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return shot


@pytest.mark.parametrize("audience", ["admin", "coordinator", "learner"])
def test_no_page_changes_data_when_opened(app, frozen_clock, audience):
    args, users = _world()
    client = app.test_client()
    sign_in(client, users.get(audience) or make_user("get.learner", country_code="KG"))
    db.session.commit()
    before = _snapshot()
    opened = 0
    declared = set()
    for rule, method in _routes(app):
        if method != "GET":
            continue
        url = rule.build({name: args[name] for name in rule.arguments})[1]
        assert client.get(url).status_code < 500, url
        db.session.expire_all()
        after = _snapshot()
        changed = [t for t in after if after[t] != before[t]]
        if getattr(app.view_functions[rule.endpoint], "lms_writes", False):
            # Declared with @writes, and said why in its docstring (the classroom paper
            # gives each participant their order of forms once; the check records what it
            # was asked): never anything an attacker could choose.
            declared.add(rule.endpoint)
            before = after
            continue
        assert not changed, (url, changed)
        opened += 1
    assert opened > 40
    allowed = {"tests.paper", "tests.entry", "tests.sheet", "certificates.verify",
               "certificates.verify_json", "accounts.import_preview"}  # fmt: skip
    assert declared <= allowed, declared


# --- T27, T29, T31 names that try to be HTML, templates or URLs (ASVS 1.2.1, 1.3.7, 1.3.6) ----

HOSTILE = '<script>alert(1)</script><img src="file:///etc/passwd" onerror=alert(2)>{{7*7}}{% raw %}'


def test_a_hostile_name_is_text_on_every_page_and_on_the_certificate(app, frozen_clock, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    from tests.certificates.test_certificates import _complete, _pdf_text

    enrolment = _complete("hostile.name", full_name=HOSTILE, latin=None)
    fetched: list[str] = []
    original = render._fetcher

    def spy(template):
        fetcher = original(template)
        fetch = fetcher.fetch

        def recording(url, headers=None):
            fetched.append(url)
            return fetch(url, headers)

        fetcher.fetch = recording
        return fetcher

    monkeypatch.setattr(render, "_fetcher", spy)
    certificate = certificates.issue(enrolment, now=clock.now())
    db.session.commit()
    # The renderer fetched the template's own files only, never what the name names.
    assert fetched and all("/certificates/" in url or "/fonts/" in url for url in fetched)
    assert not any("passwd" in url for url in fetched)
    text = _pdf_text(certificates.pdf_of(certificate), tmp_path)
    assert "{{7*7}}" in text and "49" not in text.split("{{7*7}}")[0][-3:]
    page = render.html(certificates.template_for("en"), certificates.facts(certificate))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    admin = make_user("hostile.viewer", roles=[Role.ADMIN])
    client = app.test_client()
    sign_in(client, admin)
    person = enrolment.user_id
    assert client.get(f"/people/{person}/data.json").mimetype == "application/json"
    pages = [f"/people/{person}", "/people/", f"/certificates/{certificate.serial}",
             f"/verify/{certificate.serial}", "/audit"]  # fmt: skip
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html, path
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", ""), path
        assert "49" not in re.findall(r"\{\{7\*7\}\}|49", html) or "{{7*7}}" in html, path


# --- T26 the Markdown sanitiser holds for any input (ASVS 1.3.1, 1.3.5) ------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


PIECES = st.sampled_from([
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<iframe src=//x>", "<style>*{}</style>", "[a](javascript:alert(1))", "[b](data:text/html,x)",
    "![c](javascript:alert(1))", "<a href='jav&#x09;ascript:alert(1)'>d</a>", "<!--", "-->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "`", "```", "\n", "*",
    "<div markdown=\"1\">", "</div>", "::: note", ":::", "<a href=\"vbscript:x\">", "\"", "'",
    "<form action=x>", "<input onfocus=x autofocus>", "<object data=x>", "<base href=//x>",
])  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=25))
def test_rendered_markdown_never_holds_script_handlers_or_script_urls(pieces):
    from lms.markdown import BlockError

    try:
        html = render_markdown("".join(pieces))
    except BlockError:
        return  # refused with a line number: nothing rendered
    found = _Elements()
    found.feed(html)
    assert not found.tags & {"script", "style", "iframe", "svg", "math", "object", "form",
                             "input", "base"}  # fmt: skip
    for name, value in found.attributes:
        assert not name.startswith("on"), (name, html)
        if name in ("href", "src"):
            assert re.match(r"^(https?:|mailto:|[^:]*$)", value.strip(), re.I), (value, html)


# --- T28 spreadsheet formulas (ASVS 1.2.10) ----------------------------------------------------


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)",
                                  "\tcmd", "\r=1"])  # fmt: skip
def test_a_cell_that_looks_like_a_formula_stays_text(cell):
    line = csv_text(["name"], [[cell]]).split("\r\n")[1]
    assert line.strip('"').startswith("'")


# --- T22 a spoofed X-Forwarded-For changes no limit (ASVS 15.3.4) ------------------------------


def test_a_spoofed_forwarded_address_gets_no_new_allowance(app_factory):
    limited = app_factory(VERIFY_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    statuses = [
        client.get("/verify/AAAA-BBBB-CCCC", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]


# --- T08, T09, T14 sign-in throttling and enumeration (ASVS 6.3.1, 6.3.8, 6.5.1) --------------


def test_a_username_locks_whatever_address_the_guesses_come_from(app_factory, frozen_clock):
    behind_proxy = app_factory(PROXY_HOPS=1)
    make_user("rotated")
    client = behind_proxy.test_client()
    for n in range(5):
        client.post("/login", data={"username": "rotated", "password": "wrong guess!!"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"})  # fmt: skip
    response = client.post(
        "/login", data={"username": "rotated", "password": "correct horse battery staple"},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_an_address_that_tries_many_usernames_is_locked_out(app_factory, frozen_clock):
    strict = app_factory(LOGIN_MAX_FAILURES_PER_IP=8)
    make_user("sprayed")
    client = strict.test_client()
    for n in range(8):
        client.post("/login", data={"username": f"spray{n}", "password": "Summer2026!!"})
    response = client.post(
        "/login", data={"username": "sprayed", "password": "correct horse battery staple"}
    )
    assert response.status_code == 422  # even a right password, from this address, now
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_an_unknown_username_costs_one_password_check_like_a_known_one(client, monkeypatch):
    """The timing of 'no such user' and 'wrong password' is the same work: one argon2id
    verification each (a dummy hash for unknown users)."""
    from lms.accounts import passwords

    checks = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password",
                        lambda *args, **kw: checks.append(1) or real(*args, **kw))  # fmt: skip
    make_user("known.one")
    pages = []
    for name in ("known.one", "unknown.one"):
        checks.clear()
        response = client.post("/login", data={"username": name, "password": "not it at all"})
        assert len(checks) == 1, name
        pages.append((response.status_code, re.sub(r'value="[^"]*"', "", response.text)))
    assert pages[0][0] == pages[1][0] == 422
    assert pages[0][1].replace("known.one", "X") == pages[1][1].replace("unknown.one", "X")


def test_an_old_totp_code_is_refused(app, client, frozen_clock):
    import pyotp

    from lms import crypto
    from lms.accounts import security

    user = make_user("old.code", roles=[Role.MENTOR])
    enable_2fa(user)
    db.session.commit()
    frozen_clock.advance(minutes=5)
    secret = crypto.decrypt(user.totp_secret, secret_key=app.config["SECRET_KEY"],
                            purpose=security.TOTP_PURPOSE)  # fmt: skip
    stale = pyotp.TOTP(secret).at(frozen_clock.now().timestamp() - 90)  # three steps ago
    client.post("/login", data={"username": "old.code", "password": "correct horse battery staple"})
    response = client.post("/login/code", data={"code": stale})
    assert response.status_code == 422


# --- T42 nothing secret in the logs (ASVS 16.2.5, 16.4.1) --------------------------------------


def test_the_logs_hold_no_password_code_seed_or_token(app_factory, caplog, frozen_clock):
    import logging

    import pyotp

    from lms import crypto
    from lms.accounts import security, tokens

    prod = app_factory(ENV="production", MAIL_SERVER="")
    client = prod.test_client()
    password = "a secret phrase nobody logs"
    user = make_user("logged", password=password, roles=[Role.COORDINATOR],
                     email="logged@example.org")  # fmt: skip
    enable_2fa(user)
    _token, bearer = tokens.create_token(user, name="t", now=clock.now())
    db.session.commit()
    seed = crypto.decrypt(user.totp_secret, secret_key=prod.config["SECRET_KEY"],
                          purpose=security.TOTP_PURPOSE)  # fmt: skip
    frozen_clock.advance(seconds=60)
    code = pyotp.TOTP(seed).at(frozen_clock.now())
    https = {"base_url": "https://lms.example.org"}
    with caplog.at_level(logging.DEBUG):
        client.post("/login", data={"username": "logged", "password": "wrong " + password},
                    **https)  # fmt: skip
        client.post("/login", data={"username": "logged", "password": password}, **https)
        client.post("/login/code", data={"code": code}, **https)
        client.post("/login/forgot", data={"username": "logged"}, **https)
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"}, **https)
        client.post("/login", data={"username": "evil\r\nERROR forged line", "password": "x"},
                    **https)  # fmt: skip
    text = caplog.text
    for secret in (password, seed, code, bearer, user.password_hash):
        assert secret not in text
    assert "/login/reset/" not in text  # the production log says a mail was not sent, no link
    assert "\nERROR forged line" not in text


# --- T35, T36 the order of steps, enforced over HTTP (ASVS 2.3.1, 2.3.4) -----------------------


def test_steps_out_of_order_are_refused_and_change_nothing(app, client, login, frozen_clock):
    from lms.assessments import attempts
    from lms.assessments.models import Attempt
    from lms.enrolments import services as enrolments
    from tests.assessments.test_attempts import _course, _right_answers

    course = _course(slug="ordered")
    learner = make_user("ordered.learner")
    enrolments.enrol(learner, course, now=clock.now())
    login(learner)
    early = client.post("/courses/ordered/tests/post/start")
    assert early.status_code in (302, 403, 409)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    client.post("/courses/ordered/tests/pre/start")
    attempt = db.session.scalar(sa.select(Attempt))
    right = _right_answers(attempt)
    form = {"q1": str(right[1]["choice"]), "q2": "true", "q3": "migrants"}
    client.post(f"/attempts/{attempt.id}/submit", data=form)
    db.session.refresh(attempt)
    before = [(i.position, i.response) for i, _q in attempts.load_items(attempt)]
    late = client.post(f"/attempts/{attempt.id}", data={**form, "q2": "false"},
                       headers={"Accept": "application/json"})  # fmt: skip
    assert late.status_code == 409
    db.session.expire_all()
    assert [(i.position, i.response) for i, _q in attempts.load_items(attempt)] == before


def test_twenty_concurrent_starts_open_one_attempt(make_database):
    from flask_migrate import upgrade

    from lms.assessments import attempts
    from lms.assessments.models import Attempt
    from lms.courses.models import Course
    from lms.enrolments import services as enrolments
    from lms.enrolments.models import Enrolment
    from tests.assessments.test_attempts import _course
    from tests.concurrency import race
    from tests.conftest import make_test_app

    app = make_test_app(make_database("starts"))
    with app.app_context():
        upgrade()
        course = _course(slug="raced")
        enrolment = enrolments.enrol(make_user("starter"), course, now=clock.now())
        db.session.commit()
        ids = (course.id, enrolment.id)
        db.session.remove()
        db.engine.dispose()

    def start() -> int:
        found = db.session.get(Enrolment, ids[1])
        attempt = attempts.start(found, db.session.get(Course, ids[0]), "pre",
                                 language="en", now=clock.now())  # fmt: skip
        db.session.flush()
        return attempt.id

    results = race(app, start, threads=20)
    with app.app_context():
        opened = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt))
        db.session.remove()
        db.engine.dispose()
    assert opened == 1
    assert len({r for r in results if isinstance(r, int)}) == 1
