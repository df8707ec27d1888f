"""The demo mentor logs a coaching session with two action points (the personal-data guard
stops a passport number first), closes one of them in the next session, and the country's
coordinator sees both sessions and the closed action in the monthly report.

(Named to run after test_security.py, which needs the demo mentor's first sign-in.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

UNIT = "Отдел по противодействию торговле людьми"


def _fill_session(page, observations: str) -> None:
    page.locator("#duration_minutes").fill("90")
    page.locator("#format").select_option("case_review")
    page.locator("input[name=attendee_ids]").nth(0).check()
    page.locator("input[name=attendee_ids]").nth(1).check()
    page.locator("input[name=topics][value=victim-identification]").check()
    page.locator("#observations").fill(observations)


def test_mentor_logs_follows_up_and_the_coordinator_reports(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "mentor")
        page.goto("/mentoring/")
        page.get_by_role("link", name=UNIT).click()
        page.get_by_role("link", name="Log a session").click()
        # The unit's open actions come first.
        expect(page.get_by_role("heading", name="Open action points of the unit")).to_be_visible()
        _fill_session(page, "The officer copied the passport AB1234567 into the file.")
        page.locator("#actions-0-text").fill("Adopt the screening checklist at the front desk")
        page.locator("#actions-0-owner_id").select_option(index=1)
        page.locator("#actions-0-due_on").fill("2099-01-31")
        page.locator("#actions-1-text").fill("Share the referral contacts with every shift")
        page.locator("#actions-1-owner_id").select_option(index=2)
        page.locator("#actions-1-due_on").fill("2099-02-28")
        page.locator("#attest").check()
        page.locator("#submit").click()
        # The guard stops the passport number and marks it.
        expect(page.get_by_role("heading", name="Possible personal data")).to_be_visible()
        expect(page.locator("#pii-findings mark")).to_have_text("AB1234567")
        screenshot("mentoring-pii-guard", page)
        page.locator("#observations").fill("Officers screened two files with the indicators.")
        page.locator("#attest").check()
        page.locator("#submit").click()
        expect(page.get_by_role("heading", name="Action points agreed")).to_be_visible()
        expect(page.get_by_text("Adopt the screening checklist at the front desk")).to_be_visible()
        expect(page.get_by_text("Share the referral contacts with every shift")).to_be_visible()
        screenshot("mentoring-session", page)

        # The next session closes one of them.
        page.get_by_role("link", name=UNIT).click()
        page.get_by_role("link", name="Log a session").click()
        legend = page.locator("fieldset.follow-up", has_text="Adopt the screening checklist")
        legend.locator("select").select_option("done")
        legend.locator("textarea").fill("The checklist is used at the front desk.")
        _fill_session(page, "Reviewed how the checklist works in practice.")
        page.locator("#attest").check()
        page.locator("#submit").click()
        expect(page.get_by_text("Earlier actions closed in this session")).to_be_visible()
        page.get_by_role("link", name="Adopt the screening checklist at the front desk").click()
        expect(page.locator(".facts")).to_contain_text("Done")
    finally:
        context.close()

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "coordinator")
        page.goto("/mentoring/")
        page.get_by_role("link", name="Monthly report").click()
        page.locator("#mentor").select_option(label="Бахтиёр Назаров")
        page.get_by_role("button", name="Show").click()
        facts = page.locator(".facts")
        expect(facts).to_contain_text("Sessions")
        assert facts.locator("dd").nth(0).inner_text() == "2"
        expect(facts).to_contain_text("1 done, 0 dropped")
        screenshot("mentoring-monthly", page)
    finally:
        context.close()
