"""The first journey in a real browser: sign in, see the dashboard, sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def test_learner_signs_in_and_out(page, live_server, screenshot):
    login = live_server.logins["learner"]
    page.set_viewport_size(PHONE)
    page.goto("/")
    screenshot("landing-en-phone")
    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill(login["username"])
    page.get_by_label("Password").fill(login["password"])
    screenshot("login-en-phone")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, ")
    expect(page.locator("ul.badges .badge")).to_have_text(["Learner"])
    page.set_viewport_size(DESKTOP)
    screenshot("dashboard-en-desktop")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")


def test_wrong_password_is_explained_next_to_the_field(page, live_server, screenshot):
    page.set_viewport_size(PHONE)
    page.goto("/login")
    page.get_by_label("Username").fill(live_server.logins["mentor"]["username"])
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("#password-error")
    expect(error).to_have_text("The username or password is not correct.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    screenshot("login-error-en-phone")


def test_russian_interface_and_protected_page_redirect(browser, live_server, screenshot):
    from tests.e2e.conftest import sign_in

    context = browser.new_context(base_url=live_server.url, locale="ru-RU", viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto("/logout-is-post-only-so-try-a-missing-page")
        expect(page.get_by_role("heading", level=1)).to_have_text("Страница не найдена")
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        sign_in(page, live_server, "coordinator", ("Имя пользователя", "Пароль", "Войти"))
        page.goto("/")
        expect(page.locator("ul.badges .badge")).to_have_text(["Координатор"])
        screenshot("dashboard-ru-desktop", page)
    finally:
        context.close()
