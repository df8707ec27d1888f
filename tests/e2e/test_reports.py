"""A trainer reads a classroom cohort's knowledge gain (desktop and phone, English and
Russian); an administrator reads a bank's item analysis."""

from __future__ import annotations

import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_trainer_reads_the_knowledge_gain_of_a_classroom(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        page.goto("/cohorts/")
        page.get_by_role("link", name="Investigators' course, Dushanbe").click()
        page.get_by_role("link", name="Results").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Results")
        expect(page.get_by_text("Matched pairs")).to_be_visible()
        expect(page.get_by_text("Paired t-test")).to_be_visible()
        screenshot("results-desktop", page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download (XLSX)").click()
        assert download.value.suggested_filename.endswith("-results.xlsx")
        page.set_viewport_size(PHONE)
        screenshot("results-phone", page)
        page.locator("#language-code").select_option("ru")  # the switch in the footer
        page.locator(".language-switcher button").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Результаты")
        screenshot("results-phone-ru", page)
    finally:
        context.close()


def test_admin_reads_the_item_analysis_of_a_bank(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin")
        page.goto("/questions/")
        page.get_by_role("link", name="course-demo/pretest", exact=True).click()
        page.get_by_role("link", name="Item analysis").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Item analysis")
        expect(page.get_by_text("Questions · All attempts")).to_be_visible()
        screenshot("item-analysis-desktop", page)
    finally:
        context.close()


def test_admin_downloads_a_cohorts_certificates_as_one_zip(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin")
        page.goto("/cohorts/")
        page.get_by_role("link", name="Investigators' course, Dushanbe").click()
        page.get_by_role("button", name="Issue certificates").click()
        page.get_by_role("button", name="All certificates as one ZIP").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Certificates of the cohort")
        expect(page.get_by_text("in one ZIP file")).to_be_visible()
        screenshot("certificate-bundle-desktop", page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download (ZIP)").click()
        with zipfile.ZipFile(download.value.path()) as archive:
            names = archive.namelist()
        assert "manifest.csv" in names and any(n.endswith(".pdf") for n in names)
    finally:
        context.close()
