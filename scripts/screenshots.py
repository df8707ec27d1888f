"""Screenshots of the key pages at phone and desktop width in English, Russian and Dari.

    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR]    (default: reports/screenshots/pages)

``LMS_SHOTS=results,item-analysis`` takes only those pages (signed in as the admin).

Builds the demo world in a temporary SQLite database, serves the app on a free local
port and drives Debian's Chromium through Playwright. Look at the pictures: a page you
have not seen is not done.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pyotp
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms import clock, create_app  # noqa: E402

LOCALES = {"en": "en-GB", "ru": "ru-RU", "fa": "fa-AF"}
WIDTHS = {"phone": 390, "tablet": 820, "desktop": 1280}
ANONYMOUS = {"landing": "/", "login": "/login", "activate": "/activate"}
SIGNED_IN = {
    "dashboard": "/",
    "people": "/people/",
    "person-new": "/people/new",
    "organisations": "/organisations/KG",
    "account": "/account",
    "import": "/people/import",
    "banks": "/questions/",
    "cohorts": "/cohorts/",
    "cohort-new": "/cohorts/new",
    "cohort": "/cohorts/1",
    "attendance": "/cohorts/1/attendance",
    "paper": "/cohorts/1/tests/pre/paper",
    "answer-key": "/cohorts/1/tests/pre/paper?answers=1",
    "marking": "/cohorts/1/marking",
    "entry": "/cohorts/1/tests/post/entry",
    # The Dushanbe classroom (held two months ago, its tests typed in from paper).
    "results": "/cohorts/2/results",
    "item-analysis": "/questions/banks/2/analysis",
    # The demo mentor's Kyrgyz unit (the first unit of the demo) and its latest session.
    "mentoring": "/mentoring/",
    "mentoring-unit": "/mentoring/units/1",
    "mentoring-session": "/mentoring/sessions/5",
    "mentoring-actions": "/mentoring/actions?status=all",
    "mentoring-capacity": "/mentoring/units/1/capacity",
    "mentoring-results": "/mentoring/units/1/results",
    "indicators": "/reports/indicators",
    "reports-dashboard": "/reports/dashboard",
    "reports-dashboard-kg": "/reports/dashboard?country=KG&course=1",
    "targets": "/reports/targets",
    "survey-due": "/surveys/due",
    "survey-results": "/surveys/results",
    # The core course, where most demo officers gave their feedback.
    "survey-results-core": "/surveys/results?course=2",
}
#: Pages reached by pressing a button (a POST): name -> (page, selector of the button).
ACTIONS = {
    # The Dushanbe classroom's certificates with slips for officers who never signed in.
    "bundle": ("/cohorts/2", "form[action$='slips=1'] button"),
}
#: The demo learner's pages; "lesson" is the one the course page offers next.
LEARNER = {"learner-dashboard": "/", "catalogue": "/courses/", "course": None, "lesson": None}
ONLY = {name for name in os.environ.get("LMS_SHOTS", "").split(",") if name}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="lms-shots-")
    os.environ["LMS_INSTANCE_PATH"] = workdir
    app = create_app({"ENV": "development", "DATABASE_URL": f"sqlite:///{workdir}/shots.sqlite3"})
    frozen = clock.FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app.extensions["lms.clock"] = frozen
    with app.app_context():
        upgrade()
    logins = json.loads(app.test_cli_runner().invoke(args=["lms", "demo", "--json"]).stdout)[
        "logins"
    ]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.port}"
    secret: dict[str, str] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for short, locale in LOCALES.items():
            for width_name, width in WIDTHS.items():
                context = browser.new_context(
                    base_url=base, locale=locale, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                for name, path in ANONYMOUS.items() if not ONLY else ():
                    page.goto(path)
                    page.screenshot(
                        path=str(output / f"{name}-{short}-{width_name}.png"), full_page=True
                    )
                page.goto("/login")
                page.fill("#username", logins["admin"]["username"])
                page.fill("#password", logins["admin"]["password"])
                page.click("#submit")
                if page.url.endswith("/login/setup-2fa"):
                    secret["admin"] = re.sub(r"\s", "", page.locator("code.secret").inner_text())
                    page.fill("#code", pyotp.TOTP(secret["admin"]).at(frozen.now()))
                    page.click("#submit")
                    page.click("a.button--primary")
                elif page.url.endswith("/login/code"):
                    frozen.advance(seconds=30)
                    page.fill("#code", pyotp.TOTP(secret["admin"]).at(frozen.now()))
                    page.click("#submit")
                for name, path in SIGNED_IN.items():
                    if ONLY and name not in ONLY:
                        continue
                    page.goto(path)
                    page.screenshot(
                        path=str(output / f"{name}-{short}-{width_name}.png"), full_page=True
                    )
                for name, (path, button) in ACTIONS.items():
                    if ONLY and name not in ONLY:
                        continue
                    page.goto(path)
                    page.click(button)
                    page.screenshot(
                        path=str(output / f"{name}-{short}-{width_name}.png"), full_page=True
                    )
                context.close()
                if ONLY:
                    continue
                _learner_pages(
                    browser, base, locale, width, logins, output, f"{short}-{width_name}"
                )
        browser.close()
    server.shutdown()
    print(f"screenshots in {output}")


def _learner_pages(
    browser: object, base: str, locale: str, width: int, logins: dict, output: Path, suffix: str
) -> None:
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=base, locale=locale, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", logins["learner"]["username"])
    page.fill("#password", logins["learner"]["password"])
    page.click("#submit")
    for name, path in LEARNER.items():
        if name == "course":
            page.goto("/")
            link = page.locator(".dashboard-course a").first
            if not link.count():
                continue
            link.click()
        elif name == "lesson":
            button = page.locator("main a.button--primary").first
            if not button.count():
                continue
            button.click()
        else:
            page.goto(path)
        page.screenshot(path=str(output / f"{name}-{suffix}.png"), full_page=True)
    context.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "reports" / "screenshots" / "pages")
