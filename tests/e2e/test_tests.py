"""A learner's whole path through a course with tests, in a real browser on a phone:
enrol → pre-test → every lesson → post-test → completed → the certificate downloaded,
its text and QR code read back, and checked on the public page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _answer_and_submit(page) -> None:
    page.get_by_label("Act, means and purpose").check()
    page.get_by_role("radio", name="True").check()
    expect(page.locator(".attempt__status")).to_have_text("Saved")  # autosaved
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit").click()


def test_pre_test_lessons_and_post_test_on_a_phone(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin")
        page.goto("/courses/demo-course")
        page.get_by_role("button", name="Enrol").click()
        expect(page.get_by_text("The lessons open after the pre-test.")).to_be_visible()
        page.locator(".test-row", has_text="Pre-test").get_by_role("button", name="Start").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pre-test")
        screenshot("pre-test-phone", page)
        _answer_and_submit(page)
        expect(page.locator(".result__score")).to_contain_text("Score: 100")
        expect(page.get_by_text("A right answer:")).to_have_count(0)  # never on a pre-test
        page.get_by_role("link", name="Back to the course").click()
        page.get_by_role("link", name="Start the first lesson").click()
        for _ in range(3):
            page.locator(".lesson-nav button").click()
        post = page.locator(".test-row", has_text="Post-test")
        post.get_by_role("button", name="Start").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Post-test")
        _answer_and_submit(page)
        expect(page.get_by_text("Passed")).to_be_visible()
        expect(page.get_by_text("You have completed the course.")).to_be_visible()
        screenshot("post-test-result-phone", page)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        done = page.locator(".dashboard-course").filter(has_text="Demo course on trafficking")
        expect(done).to_contain_text("Completed")
        # The certificate was issued on completion: downloaded from the course page.
        done.get_by_role("link", name="Demo course on trafficking").click()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the certificate (PDF)").click()
        pdf = Path(download.value.path())
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        serial = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text)[0]
        assert "Demo course on trafficking" in text
        assert text.count("100%") == 2  # the pre-test and the post-test, both scored
        png = pdf.with_suffix("")
        subprocess.run(["pdftoppm", "-png", "-r", "200", "-singlefile", str(pdf), str(png)],
                       check=True)  # fmt: skip
        decoded = subprocess.run(
            ["zbarimg", "--quiet", "--raw", f"{png}.png"], capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
        assert decoded.endswith("/verify/" + serial.replace("-", ""))
        shutil.copy(f"{png}.png", SCREENSHOTS / "certificate-en.png")
    finally:
        context.close()
    # Anyone may check it: the holder is named by initials until the verifier types the name.
    visitor = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = visitor.new_page()
    try:
        page.goto("/verify")
        page.get_by_label("Certificate number").fill(serial.lower())
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("status")).to_contain_text("This certificate is valid.")
        holder = live_server.logins["admin"]["username"]
        assert holder not in page.content()
        page.get_by_label("Name on the certificate").fill("Nobody Atall")
        page.get_by_role("button", name="Check the name").click()
        expect(page.get_by_role("alert")).to_contain_text("does not match")
        screenshot("verify-phone", page)
    finally:
        visitor.close()
