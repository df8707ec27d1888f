"""A live server on a database of its own, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from lms import clock
from lms.extensions import db
from tests.conftest import make_test_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"


@dataclass
class LiveServer:
    url: str
    logins: dict[str, dict[str, str]]
    #: The server's clock: tests compute authenticator codes from it and move it.
    clock: clock.FrozenClock
    #: Authenticator seeds enrolled during the run, by username.
    secrets: dict[str, str]


@pytest.fixture(scope="session")
def live_server(make_database) -> Iterator[LiveServer]:
    """The app served on a free port over a migrated database holding the demo world.

    Unlike the other tests, data here is really committed: the browser and the test
    talk to the server through HTTP only. CSRF protection is on, as in production.
    """
    app = make_test_app(make_database("e2e"), WTF_CSRF_ENABLED=True, CERTIFICATES_AUTO_ISSUE=True)
    frozen = clock.FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app.extensions["lms.clock"] = frozen
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["lms", "demo", "--json"])
    assert result.exit_code == 0, result.output
    logins = json.loads(result.stdout)["logins"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.port}", logins=logins, clock=frozen, secrets={}
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under reports/screenshots/ (looked at by people)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, target=None) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, server: LiveServer, role: str, _labels: object = None) -> None:
    """Sign in as the demo user of ``role`` through the pages, second factor included.

    A first sign-in of a role that needs two-factor sign-in enrols the authenticator
    from the key shown on the page; later ones type the code of the server's clock.
    """
    login = server.logins[role]
    page.goto("/login")
    # The fields are found by id, so this works in every interface language.
    page.locator("#username").fill(login["username"])
    page.locator("#password").fill(login["password"])
    page.locator("#submit").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/setup-2fa"):
        secret = re.sub(r"\s", "", page.locator("code.secret").inner_text())
        server.secrets[login["username"]] = secret
        page.locator("#code").fill(pyotp.TOTP(secret).at(server.clock.now()))
        page.locator("#submit").click()
        page.locator(".recovery-codes").wait_for()
        page.locator("a.button--primary").click()
    elif page.url.endswith("/login/code"):
        server.clock.advance(seconds=30)  # the next code, as a person would wait for it
        secret = server.secrets[login["username"]]
        page.locator("#code").fill(pyotp.TOTP(secret).at(server.clock.now()))
        page.locator("#submit").click()
    expect(page.locator(".account-nav__name")).to_be_visible()
