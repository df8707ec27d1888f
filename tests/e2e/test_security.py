"""Two-factor sign-in and activation slips in a real browser, on the server's own clock."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_mentor_enrols_two_factor_then_signs_in_with_it(page, live_server, screenshot):
    page.set_viewport_size(PHONE)
    login = live_server.logins["mentor"]
    page.goto("/login")
    page.get_by_label("Username").fill(login["username"])
    page.get_by_label("Password").fill(login["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr svg")).to_be_visible()
    screenshot("setup-2fa-en-phone")
    secret = re.sub(r"\s", "", page.locator("code.secret").inner_text())
    # Later tests sign the demo mentor in with this authenticator (conftest.sign_in).
    live_server.secrets[live_server.logins["mentor"]["username"]] = secret
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#code-error")).to_contain_text("does not match")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(live_server.clock.now()))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot("recovery-codes-en-phone")
    page.get_by_role("link", name="I have kept them, continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.get_by_role("button", name="Sign out").click()

    # Next time: password, then the code the phone shows thirty seconds later.
    live_server.clock.advance(seconds=30)
    page.get_by_label("Username").fill(login["username"])
    page.get_by_label("Password").fill(login["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    screenshot("login-code-en-phone")
    code = pyotp.TOTP(secret).at(live_server.clock.now())
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.get_by_role("button", name="Sign out").click()

    # The same code again is refused.
    page.get_by_label("Username").fill(login["username"])
    page.get_by_label("Password").fill(login["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#code-error")).to_contain_text("already used")


def test_coordinator_prints_a_slip_and_the_officer_activates(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "coordinator")
        page.goto("/people/?q=kg.learner04")
        page.get_by_role("link", name="Чолпон Бекова").click()
        page.get_by_role("button", name="Print an activation slip").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Activation slips")
        screenshot("activation-slip-en-desktop", page)
        code = page.locator(".slip__code").inner_text()
    finally:
        context.close()
    officer = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="ru-RU")
    page = officer.new_page()
    try:
        page.goto("/login")
        page.get_by_role("link", name="У меня есть листок активации").click()
        page.get_by_label("Имя пользователя").fill("kg.learner04")
        page.get_by_label("Код активации").fill(code)
        page.get_by_label("Новый пароль", exact=True).fill("чолпон любит горы иссык-куля")
        page.get_by_label("Новый пароль ещё раз").fill("чолпон любит горы иссык-куля")
        screenshot("activate-ru-phone", page)
        page.get_by_role("button", name="Установить пароль").click()
        expect(page.get_by_role("status")).to_contain_text("Пароль установлен")
        page.get_by_label("Имя пользователя").fill("kg.learner04")
        page.get_by_label("Пароль").fill("чолпон любит горы иссык-куля")
        page.get_by_role("button", name="Войти").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Чолпон Бекова")
    finally:
        officer.close()
