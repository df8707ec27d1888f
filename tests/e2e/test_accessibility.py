"""axe-core (from npm) checks the key pages, left-to-right and right-to-left: no serious
or critical violations of WCAG 2.1 A/AA. And the right-to-left layout really mirrors."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

ANONYMOUS_PAGES = ["/", "/login", "/activate", "/login/forgot", "/no-such-page", "/verify"]
ADMIN_PAGES = ["/", "/people/", "/people/new", "/organisations/", "/organisations/KG",
               "/account", "/questions/", "/people/import", "/audit", "/cohorts/2/results",
               "/questions/banks/1/analysis", "/mentoring/", "/mentoring/units/1",
               "/mentoring/sessions/5", "/mentoring/units/1/capacity",
               "/mentoring/units/1/results", "/mentoring/actions?status=all",
               "/mentoring/reports/monthly"]  # fmt: skip


def _violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["en-GB", "fa-AF"])
def test_key_pages_have_no_serious_violations(browser, live_server, locale):
    context = browser.new_context(base_url=live_server.url, locale=locale)
    page = context.new_page()
    problems = {}
    try:
        for path in ANONYMOUS_PAGES:
            page.goto(path)
            problems[f"anonymous {path}"] = _violations(page)
        sign_in(page, live_server, "admin")
        for path in ADMIN_PAGES:
            page.goto(path)
            problems[f"admin {path}"] = _violations(page)
    finally:
        context.close()
    assert {k: v for k, v in problems.items() if v} == {}


def test_right_to_left_pages_mirror(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="fa-AF", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    try:
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "fa-AF")
        brand = page.locator(".brand").bounding_box()
        assert brand["x"] > 640, brand  # the name stands at the right, where Dari starts
        page.goto("/activate")
        link = page.locator(".site-header .button").bounding_box()
        assert link["x"] < 640, link  # and the sign-in link at the left
        page.goto("/login")
        label = page.locator("label[for=username]").bounding_box()
        field = page.locator("#username").bounding_box()
        # Labels start at the right edge of their field.
        assert abs((label["x"] + label["width"]) - (field["x"] + field["width"])) < 2
        screenshot("login-fa-desktop", page)
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot("login-fa-phone", page)
    finally:
        context.close()
