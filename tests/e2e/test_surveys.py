"""An officer completes a course, gives the end-of-course feedback, is asked again three
months later (the server's clock moved on) and answers the follow-up; the country's
coordinator finds both in the survey results.

(The demo mentor takes the test course here, so the learner's own path stays untouched.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

COURSE = "Open course without tests"


def test_feedback_then_follow_up_three_months_later(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "mentor")
        page.goto("/courses/open-course")
        page.get_by_role("button", name="Enrol").click()
        page.get_by_role("link", name="Start the first lesson").click()
        page.get_by_role("button", name="Mark as done and continue").click()
        page.get_by_role("button", name="Mark as done").click()
        expect(page.get_by_role("status")).to_contain_text("You have completed the course.")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        surveys = page.locator(".dashboard-survey").filter(has_text=COURSE)
        expect(surveys).to_contain_text("End-of-course feedback")
        surveys.get_by_role("link", name="Answer the survey").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your feedback")
        # Sent without the required answer: the form says what is missing.
        page.locator("#submit").click()
        expect(page.locator(".field__error")).to_have_text("Answer this question.")
        page.get_by_label("Agree", exact=True).check()
        page.get_by_label("What should we improve?").fill("More cases from the region.")
        screenshot("survey-feedback", page)
        page.locator("#submit").click()
        expect(page.get_by_role("status")).to_contain_text("Thank you")
        expect(page.locator(".dashboard-survey")).to_have_count(0)

        # Three months and a few days later the follow-up opens.
        live_server.clock.advance(timedelta(days=95))
        page.context.clear_cookies()
        sign_in(page, live_server, "mentor")
        follow_up = page.locator(".dashboard-survey").filter(has_text=COURSE)
        expect(follow_up).to_contain_text("Follow-up after 3 months")
        follow_up.get_by_role("link", name="Answer the survey").click()
        page.get_by_label("Yes, often").check()
        page.locator("#submit").click()
        expect(page.get_by_role("status")).to_contain_text("Thank you")
    finally:
        context.close()

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "coordinator")
        page.get_by_role("navigation").get_by_role("link", name="Reports").click()
        page.get_by_role("link", name="Surveys").click()
        page.locator("#course").select_option(label=COURSE)
        page.get_by_role("button", name="Show").click()
        expect(page.locator("[data-figure=responses]")).to_have_text("1")
        expect(page.get_by_text("Fewer than 5 people answered")).to_be_visible()
        page.locator("#wave").select_option(label="Follow-up after 3 months")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("[data-figure=responses]")).to_have_text("1")
        screenshot("survey-results-follow-up", page)
    finally:
        context.close()
    # The clock stays three months on: moving it back would make the mentor's next
    # authenticator codes look older than the last one used, and be refused as replays.
