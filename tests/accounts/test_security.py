"""Sign-in security: server-side sessions, throttling, two-factor codes, activation, resets.

The traps found by probing our stack (../shared/research/security.md) each have a test
here: a copied cookie after logout, a spoofed X-Forwarded-For, a TOTP code used twice.
"""

from __future__ import annotations

import logging
import re

import pyotp
import pytest
import sqlalchemy as sa

from lms.accounts import security
from lms.accounts.models import LoginThrottle, RecoveryCode, Role, User, UserSession
from lms.audit import AuditEvent
from lms.extensions import db
from tests.factories import DEFAULT_PASSWORD, enable_2fa, make_user, next_code, sign_in


def _signed_in(client) -> bool:
    return "Welcome," in client.get("/").get_data(as_text=True)


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# --- Sessions ------------------------------------------------------------------------------


def test_a_copied_cookie_is_refused_after_logout(app, client):
    user = make_user()
    sign_in(client, user)
    stolen = _session_cookie(client)
    assert _signed_in(client)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not _signed_in(thief)
    assert thief.get("/account").status_code == 302  # sent to sign in
    record = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).one()
    assert record.revoked_reason == "logout"


def test_the_session_cookie_changes_at_sign_in(app, client):
    user = make_user()
    client.get("/login")
    client.post("/login", data={"username": "nobody", "password": "wrong password!"})
    before = _session_cookie(client)
    sign_in(client, user)
    after = _session_cookie(client)
    assert before != after
    # The pre-login cookie never becomes a signed-in one.
    other = app.test_client()
    if before:
        other.set_cookie("session", before)
    assert not _signed_in(other)


def test_only_a_hash_of_the_session_token_is_stored(client):
    user = make_user()
    sign_in(client, user)
    record = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).one()
    assert re.fullmatch(r"[0-9a-f]{64}", record.token_hash)


def test_idle_and_absolute_timeouts(app, client, frozen_clock):
    user = make_user()
    sign_in(client, user)
    frozen_clock.advance(minutes=59)
    assert _signed_in(client)  # activity refreshes the idle timer
    frozen_clock.advance(minutes=59)
    assert _signed_in(client)
    frozen_clock.advance(minutes=61)
    assert not _signed_in(client)  # idle for longer than an hour
    sign_in(client, user)
    for _ in range(14):
        frozen_clock.advance(minutes=55)
        client.get("/")
    assert not _signed_in(client)  # past twelve hours, active or not


def test_password_change_ends_the_other_sessions_only(app, client, frozen_clock):
    user = make_user("changer")
    other = app.test_client()
    sign_in(other, user)
    sign_in(client, user)
    response = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)


def test_password_change_needs_the_current_password(client):
    sign_in(client, make_user())
    response = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 422
    assert "The current password is not correct." in response.get_data(as_text=True)


def test_deactivation_ends_every_session(app, client, frozen_clock):
    admin = make_user(roles=[Role.ADMIN], country_code="KG")
    learner = make_user(country_code="KG")
    sign_in(client, learner)
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    admin_client.post(f"/people/{learner.id}/deactivate")
    assert not _signed_in(client)


def test_admin_signs_a_person_out_everywhere(app, client, frozen_clock):
    admin = make_user(roles=[Role.ADMIN])
    learner = make_user(country_code="KG")
    sign_in(client, learner)
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    admin_client.post(f"/people/{learner.id}/sign-out")
    assert not _signed_in(client)
    assert _events("auth.sessions_end")[-1].details == {"ended": 1}


def test_own_sessions_page_and_ending_the_others(app, client, frozen_clock):
    user = make_user()
    other = app.test_client()
    sign_in(other, user)
    sign_in(client, user)
    html = client.get("/account").get_data(as_text=True)
    assert "this browser" in html
    client.post("/account/sessions/end-others")
    assert _signed_in(client)
    assert not _signed_in(other)


def test_spoofed_forwarded_for_is_ignored(client):
    """Throttling keys on the real peer address; a forged header cannot spread the count."""
    for n in range(5):
        client.post(
            "/login",
            data={"username": f"x{n}", "password": "wrong password!"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
    keys = set(db.session.scalars(sa.select(LoginThrottle.key)))
    assert "ip:127.0.0.1" in keys
    assert not any(key.startswith("ip:198.51.100.") for key in keys)
    assert db.session.get(LoginThrottle, "ip:127.0.0.1").failures == 5


def test_production_cookie_flags(app_factory):
    prod = app_factory(ENV="production")
    client = prod.test_client()
    user = make_user()
    response = client.post(
        "/login",
        data={"username": user.username, "password": DEFAULT_PASSWORD},
        base_url="https://lms.example.org",
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Domain=" not in cookie
    assert "Path=/" in cookie


# --- Throttling ----------------------------------------------------------------------------


def test_five_failures_lock_the_username_for_fifteen_minutes(client, frozen_clock):
    user = make_user("target.user")
    for _ in range(5):
        response = client.post(
            "/login", data={"username": "target.user", "password": "bad guess!!"}
        )
    assert "Too many failed attempts" in response.get_data(as_text=True)
    # Even the right password is refused while locked.
    response = client.post("/login", data={"username": "target.user", "password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert "Too many failed attempts" in response.get_data(as_text=True)
    frozen_clock.advance(minutes=16)
    sign_in(client, user)
    assert _signed_in(client)
    assert _events("auth.lockout")


def test_unknown_usernames_lock_the_same_way(client, frozen_clock):
    """The answers do not reveal whether a username exists."""
    make_user("real.person")
    answers = []
    for name in ("real.person", "made.up.person"):
        for _ in range(5):
            page = client.post("/login", data={"username": name, "password": "bad guess!!"})
        answers.append(
            (page.status_code, "Too many failed attempts" in page.get_data(as_text=True))
        )
    assert answers[0] == answers[1] == (422, True)


def test_failures_spread_over_time_do_not_lock(client, frozen_clock):
    user = make_user("slow.typist")
    for _ in range(8):
        client.post("/login", data={"username": "slow.typist", "password": "bad guess!!"})
        frozen_clock.advance(minutes=4)
        if _ % 4 == 3:
            frozen_clock.advance(minutes=12)
    sign_in(client, user)
    assert _signed_in(client)


def test_a_success_clears_the_count(client, frozen_clock):
    user = make_user("forgetful")
    for _ in range(4):
        client.post("/login", data={"username": "forgetful", "password": "bad guess!!"})
    sign_in(client, user)
    client.post("/logout")
    for _ in range(4):
        client.post("/login", data={"username": "forgetful", "password": "bad guess!!"})
    sign_in(client, user)
    assert _signed_in(client)


# --- Passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12"),
        ("passwordpassword", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("Qwerty123456", "too common|too easy"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("my name is nazira.b ok", "must not contain the username"),
    ],
)
def test_password_rules(password, reason, app):
    with pytest.raises(Exception, match=reason):
        security.check_password_rules(password, username="nazira.b")


# --- Two-factor ----------------------------------------------------------------------------


def test_roles_that_see_others_records_must_set_up_two_factor(client, frozen_clock):
    mentor = make_user("first.mentor", roles=[Role.MENTOR])
    response = client.post(
        "/login", data={"username": "first.mentor", "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == "/login/setup-2fa"
    assert not _signed_in(client)
    page = client.get("/login/setup-2fa").get_data(as_text=True)
    assert "<svg" in page  # the QR code, inline
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>', page).group(1)
    secret = secret.replace(" ", "")
    wrong = client.post("/login/setup-2fa", data={"code": "000000"})
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    done = client.post("/login/setup-2fa", data={"code": code})
    assert done.headers["Location"] == "/account/recovery-codes"
    html = client.get("/account/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", html)
    assert len(codes) == 10
    assert "I have kept them" in html
    # Shown once only.
    assert client.get("/account/recovery-codes").headers["Location"] == "/account"
    assert _signed_in(client)
    db.session.refresh(mentor)
    assert security.has_2fa(mentor)
    assert secret not in (mentor.totp_secret or "")  # stored encrypted
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(RecoveryCode.user_id == mentor.id)) == 10
    )


def test_a_totp_code_is_accepted_once(app, client, frozen_clock):
    user = make_user("replayer", roles=[Role.COORDINATOR])
    enable_2fa(user)
    code = next_code(user)
    for browser in (client, app.test_client()):
        browser.post("/login", data={"username": "replayer", "password": DEFAULT_PASSWORD})
        response = browser.post("/login/code", data={"code": code})
        results = response.status_code
        if browser is client:
            assert results == 302
        else:
            assert results == 422
            assert "already used" in response.get_data(as_text=True)
    assert _events("auth.2fa_replay")


def test_recovery_codes_work_once(app, client, frozen_clock):
    user = make_user("lost.phone", roles=[Role.ADMIN])
    secret = security.new_totp_secret()
    codes = security.enable_2fa(
        user, secret, pyotp.TOTP(secret).at(frozen_clock.now()),
        settings=security.Settings.from_config(app.config), now=frozen_clock.now(),
    )  # fmt: skip
    client.post("/login", data={"username": "lost.phone", "password": DEFAULT_PASSWORD})
    assert client.post("/login/code", data={"code": codes[3].lower()}).status_code == 302
    client.post("/logout")
    client.post("/login", data={"username": "lost.phone", "password": DEFAULT_PASSWORD})
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 422
    assert security.recovery_codes_left(user) == 9


def test_the_code_step_expires_after_five_minutes(client, frozen_clock):
    user = make_user("slow.phone", roles=[Role.TRAINER])
    enable_2fa(user)
    client.post("/login", data={"username": "slow.phone", "password": DEFAULT_PASSWORD})
    frozen_clock.advance(minutes=6)
    response = client.post("/login/code", data={"code": next_code(user)})
    assert response.headers["Location"] == "/login"


def test_wrong_codes_count_towards_the_lockout(client, frozen_clock):
    user = make_user("guesser", roles=[Role.TRAINER])
    enable_2fa(user)
    client.post("/login", data={"username": "guesser", "password": DEFAULT_PASSWORD})
    for _ in range(5):
        response = client.post("/login/code", data={"code": "123456"})
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_coordinator_resets_a_lost_authenticator(app, client, frozen_clock):
    coordinator = make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG")
    mentor = make_user("kg.mentor", roles=[Role.MENTOR], country_code="KG")
    enable_2fa(mentor)
    sign_in(client, coordinator)
    client.post(f"/people/{mentor.id}/reset-2fa")
    db.session.refresh(mentor)
    assert not security.has_2fa(mentor)
    assert _events("auth.2fa_reset")[-1].actor_id == coordinator.id
    fresh = app.test_client()
    response = fresh.post("/login", data={"username": "kg.mentor", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/login/setup-2fa"


def test_a_learner_may_turn_two_factor_on(client, frozen_clock):
    learner = make_user("careful.learner")
    sign_in(client, learner)
    page = client.get("/login/setup-2fa").get_data(as_text=True)
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>', page).group(1)
    code = pyotp.TOTP(secret.replace(" ", "")).at(frozen_clock.now())
    assert client.post("/login/setup-2fa", data={"code": code}).status_code == 302
    assert "recovery codes left" in client.get("/account").get_data(as_text=True)


# --- Activation slips and e-mailed resets --------------------------------------------------


def test_activation_slip_lets_an_officer_choose_a_password(app, client, frozen_clock):
    coordinator = make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG")
    officer = make_user("kg.officer", full_name="Талант Мамытов", password=None, country_code="KG")
    sign_in(client, coordinator)
    slip = client.post(f"/people/{officer.id}/activation").get_data(as_text=True)
    code = re.search(r'<code class="slip__code" dir="ltr">([A-Z0-9-]+)</code>', slip).group(1)
    assert "Талант Мамытов" in slip
    assert "kg.officer" in slip
    officer_client = app.test_client()
    weak = officer_client.post(
        "/activate",
        data={
            "username": "kg.officer",
            "code": code,
            "password": "123456789012",
            "confirm": "123456789012",
        },
    )
    assert weak.status_code == 422  # the code stays valid for a better password
    done = officer_client.post(
        "/activate",
        data={"username": "kg.officer", "code": code.lower().replace("-", " "),
              "password": "tulips in the osh bazaar", "confirm": "tulips in the osh bazaar"},
    )  # fmt: skip
    assert done.headers["Location"] == "/login"
    again = officer_client.post(
        "/activate",
        data={
            "username": "kg.officer",
            "code": code,
            "password": "another long passphrase",
            "confirm": "another long passphrase",
        },
    )
    assert again.status_code == 422  # used once
    sign_in(officer_client, officer, "tulips in the osh bazaar")
    assert _signed_in(officer_client)


def test_activation_codes_expire_and_refuse_other_usernames(app, client, frozen_clock):
    officer = make_user("kz.officer", password=None, country_code="KZ")
    other = make_user("kz.other", password=None, country_code="KZ")
    settings = security.Settings.from_config(app.config)
    code = security.issue_activation_code(
        officer, settings=settings, actor=None, now=frozen_clock.now()
    )
    data = {"code": code, "password": "a good long passphrase", "confirm": "a good long passphrase"}
    assert client.post("/activate", data={**data, "username": other.username}).status_code == 422
    frozen_clock.advance(days=31)
    assert client.post("/activate", data={**data, "username": officer.username}).status_code == 422


def test_slips_for_a_filtered_list(client, frozen_clock):
    admin = make_user(roles=[Role.ADMIN])
    for n in range(3):
        make_user(f"tj.new{n}", password=None, country_code="TJ")
    make_user("tj.has.password", country_code="TJ")
    sign_in(client, admin)
    html = client.post("/people/activation-slips?country=TJ").get_data(as_text=True)
    assert html.count('class="slip"') == 3
    assert "tj.has.password" not in html


def test_forgotten_password_by_email(app, client, frozen_clock, caplog):
    make_user("with.mail", email="officer@example.org")
    with caplog.at_level(logging.INFO, logger="lms.mail"):
        response = client.post("/login/forgot", data={"username": "with.mail"})
    assert response.headers["Location"] == "/login"
    link = re.search(r"http://\S+/login/reset/(\S+)", caplog.text)
    assert link, caplog.text
    token = link.group(1)
    reset = client.post(
        f"/login/reset/{token}",
        data={"password": "a fresh memorable phrase", "confirm": "a fresh memorable phrase"},
    )
    assert reset.headers["Location"] == "/login"
    assert client.get(f"/login/reset/{token}").headers["Location"] == "/login/forgot"
    sign_in(client, db.session.scalar(sa.select(User).where(User.username == "with.mail")),
            "a fresh memorable phrase")  # fmt: skip


def test_forgotten_password_answers_the_same_for_everyone(client, caplog):
    make_user("no.mail")
    pages = []
    for name in ("no.mail", "does.not.exist"):
        response = client.post("/login/forgot", data={"username": name}, follow_redirects=True)
        page = re.sub(r"\s+", " ", response.get_data(as_text=True))
        # CSRF tokens carry a timestamp: two requests a second apart differ there only (in
        # the form and in the footer's language switcher, whatever the attribute order).
        pages.append(re.sub(r'(name="csrf_token"[^>]*?value=)"[^"]+"', r"\1", page))
    assert pages[0] == pages[1]
    assert "/login/reset/" not in caplog.text


# --- Reset links: their limits (ASVS 6.4.x, checklist T08 and T13) ---------------------------


def _reset_link(client, caplog, username: str) -> str | None:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lms.mail"):
        response = client.post("/login/forgot", data={"username": username})
    assert response.status_code == 302
    found = re.search(r"/login/reset/(\S+)", caplog.text)
    return found.group(1) if found else None


def test_an_account_gets_at_most_three_reset_links_an_hour(app, client, frozen_clock, caplog):
    make_user("flooded", email="flooded@example.org")
    links = [_reset_link(client, caplog, "flooded") for _ in range(4)]
    assert all(links[:3]) and links[3] is None  # the same answer, but no fourth mail
    frozen_clock.advance(minutes=61)
    assert _reset_link(client, caplog, "flooded")


def test_reset_requests_are_limited_per_address(app_factory):
    limited = app_factory(FORGOT_RATE_LIMIT="3 per hour")
    client = limited.test_client()
    statuses = [
        client.post("/login/forgot", data={"username": f"nobody{n}"}).status_code for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert client.get("/login/forgot").status_code == 200  # the page itself stays open


def test_a_reset_link_expires_and_dies_with_a_password_change(app, client, frozen_clock, caplog):
    user = make_user("expiring", email="expiring@example.org")
    old = _reset_link(client, caplog, "expiring")
    frozen_clock.advance(minutes=61)
    assert client.get(f"/login/reset/{old}").headers["Location"] == "/login/forgot"
    fresh = _reset_link(client, caplog, "expiring")
    security.set_password(user, "another long phrase here", now=frozen_clock.now(),
                          settings=security.Settings.from_config(app.config))  # fmt: skip
    db.session.commit()
    assert client.get(f"/login/reset/{fresh}").headers["Location"] == "/login/forgot"


def test_a_reset_does_not_skip_the_second_factor(app, client, frozen_clock, caplog):
    user = make_user("with.code", email="code@example.org")
    enable_2fa(user)
    db.session.commit()
    token = _reset_link(client, caplog, "with.code")
    phrase = "a brand new passphrase"
    client.post(f"/login/reset/{token}", data={"password": phrase, "confirm": phrase})
    response = client.post("/login", data={"username": "with.code", "password": phrase})
    assert response.headers["Location"].startswith("/login/code")
    assert not _signed_in(client)
