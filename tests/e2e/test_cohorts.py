"""A trainer takes attendance on a tablet; a coordinator enrols people into a cohort."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

TABLET = {"width": 820, "height": 1180}


def test_trainer_takes_attendance_on_a_tablet(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url, viewport=TABLET, locale="en-GB", has_touch=True
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts").click()
        page.get_by_role("link", name="Investigators' course, Bishkek").click()
        page.get_by_role("link", name="Take attendance").click()
        rows = page.locator(".attendance__row")
        expect(rows.first).to_be_visible()
        first = rows.first
        name = first.locator("legend").inner_text()
        first.get_by_role("radio", name="Absent").tap()
        expect(first.get_by_role("radio", name="Absent")).to_be_checked()
        screenshot("attendance-tablet", page)
        page.get_by_role("button", name="Save attendance").tap()
        expect(page.get_by_role("status")).to_contain_text("saved")
        row = page.locator(".attendance__row").filter(has_text=name)
        expect(row.get_by_role("radio", name="Absent")).to_be_checked()
        page.get_by_role("button", name="Mark everyone present").tap()
        expect(row.get_by_role("radio", name="Present")).to_be_checked()
    finally:
        context.close()


def test_coordinator_enrols_a_group(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "coordinator")
        page.goto("/cohorts/")
        page.get_by_role("link", name="Investigators' course, Bishkek").click()
        page.get_by_role("link", name="Enrol people").click()
        page.get_by_label("Usernames").fill("kg.learner01\nno.such.person")
        page.get_by_role("button", name="Enrol these people").click()
        expect(page.locator(".field__error")).to_contain_text("no.such.person")
        page.get_by_label("Usernames").fill("kg.learner01")
        page.get_by_role("button", name="Enrol these people").click()
        expect(page.get_by_role("status")).to_contain_text("Already in this cohort: kg.learner01")
        screenshot("cohort-desktop", page)
    finally:
        context.close()


def test_trainer_types_in_a_classroom_post_test(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "trainer")
        page.goto("/cohorts/")
        page.get_by_role("link", name="Investigators' course, Bishkek").click()
        page.get_by_role("link", name="Type in the answer sheets").nth(1).click()  # post-test
        expect(page.get_by_role("heading", level=1)).to_contain_text("Post-test")
        entry_url = page.url
        row = page.locator("tbody tr").filter(has=page.locator("input.entry__cell")).first
        name = row.locator("th").inner_text()
        cells = row.locator("input.entry__cell")
        cells.nth(0).fill("Z")
        cells.nth(1).fill("T")
        page.get_by_role("button", name="Check the answers").click()
        expect(page.get_by_role("alert")).to_contain_text("could not be read")
        row = page.locator("tbody tr").filter(has_text=name)
        row.locator("input.entry__cell").nth(0).fill("A")
        page.get_by_role("button", name="Check the answers").click()
        expect(page.locator("tbody tr").filter(has_text=name)).to_contain_text("100%")
        screenshot("classroom-entry-review-tablet", page)
        page.get_by_role("button", name="Confirm and save").click()
        expect(page.get_by_role("status")).to_contain_text("The answers of 1 learner were saved.")
        # A mistyped cell found later: the saved row opens again for correction.
        page.goto(entry_url)
        page.locator("tbody tr").filter(has_text=name).get_by_role("link", name="Correct").click()
        expect(page.get_by_role("status")).to_contain_text("correcting a saved result")
        page.locator("tbody tr").filter(has_text=name).locator("input.entry__cell").nth(1).fill("F")
        page.get_by_role("button", name="Check the answers").click()
        page.get_by_role("button", name="Confirm and save").click()
        expect(page.get_by_role("status")).to_contain_text("1 answer was corrected.")
        # The other learners' sheets come as a CSV file.
        page.goto(entry_url)
        screenshot("classroom-entry-upload-tablet", page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the sheet to fill in (CSV)").click()
        lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
        assert header == ["username", "name", "1", "2"] and rows  # as typed above: A, then T
        filled = [header, *[[r[0], r[1], "A", "T"] for r in rows]]
        page.get_by_label("CSV file", exact=True).set_input_files(
            files=[
                {
                    "name": "answers.csv",
                    "mimeType": "text/csv",
                    "buffer": "\n".join(",".join(r) for r in filled).encode(),
                }
            ]
        )
        page.get_by_role("button", name="Upload and check").click()
        expect(page.get_by_role("button", name="Confirm and save")).to_be_visible()
        screenshot("classroom-upload-review-tablet", page)
    finally:
        context.close()
