"""A trainer reads a classroom cohort's knowledge gain (desktop and phone, English and
Russian); an administrator reads a bank's item analysis."""

from __future__ import annotations

import re
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


def test_coordinator_filters_the_dashboard_and_the_file_agrees(browser, live_server, screenshot):
    """The demo coordinator (Kyrgyzstan) narrows the dashboard to women on one course,
    downloads the XLSX and finds the page's number in it; the printed indicator report
    keeps its tables and drops the controls."""
    import io

    import openpyxl

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )  # fmt: skip
    page = context.new_page()
    try:
        sign_in(page, live_server, "coordinator")
        page.get_by_role("navigation").get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
        everyone = int(page.locator("[data-figure=enrolled]").inner_text())
        assert everyone > 0
        # The coordinator's only country: no other to choose.
        assert page.locator("#country option").count() == 2
        page.locator("#sex").select_option("female")
        page.locator("#course").select_option(index=1)
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"sex=female.*course=\d+|course=\d+.*sex=female"))
        women = int(page.locator("[data-figure=enrolled]").inner_text())
        assert 0 < women < everyone
        expect(page.get_by_role("heading", name="Completion funnel")).to_be_visible()
        screenshot("reports-dashboard-filtered", page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download (XLSX)").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        with open(download.value.path(), "rb") as handle:
            book = openpyxl.load_workbook(io.BytesIO(handle.read()))
        funnel = {row[0]: row[1] for row in book["Funnel"].iter_rows(min_row=2, values_only=True)}
        assert funnel["Enrolled"] == women
        by_course = list(book["By course and cohort"].iter_rows(min_row=2, values_only=True))
        assert sum(row[2] for row in by_course) == women

        page.get_by_role("link", name="Indicators").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Indicators")
        expect(page.get_by_role("heading", name="Targets")).to_be_visible()
        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Show")).to_be_hidden()
        screenshot("reports-indicators-print", page)
        page.pdf(path=str(screenshot("reports-indicators-print", page).with_suffix(".pdf")))
    finally:
        context.close()
