"""The learner's path in a real browser: catalogue → enrol → every lesson → completion →
dashboard, on a phone; and a lesson in Russian."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_learner_completes_a_course_on_a_phone(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "learner")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
        page.get_by_role("link", name="Open course without tests").click()
        page.get_by_role("button", name="Enrol").click()
        expect(page.get_by_role("status")).to_contain_text("You are enrolled")
        page.get_by_role("link", name="Start the first lesson").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("First lesson")
        screenshot("lesson-en-phone", page)
        page.get_by_role("button", name="Mark as done and continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Second lesson")
        expect(page.locator(".block--safety")).to_contain_text("informed consent")
        page.get_by_role("button", name="Mark as done").click()
        expect(page.get_by_role("status")).to_contain_text("You have completed the course.")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        finished = page.locator(".dashboard-course").filter(has_text="Open course without tests")
        expect(finished).to_contain_text("Completed")
        screenshot("dashboard-completed-en-phone", page)
    finally:
        context.close()


def test_a_lesson_in_russian(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="ru-RU")
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        page.goto("/courses/open-course")
        page.get_by_role("button", name="Записаться").click()
        page.get_by_role("link", name="Начать первый урок").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Первый урок")
        expect(page.locator(".lesson__body")).to_contain_text("индикаторам")
        screenshot("lesson-ru-phone", page)
    finally:
        context.close()
