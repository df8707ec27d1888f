"""Two app processes against one database and one Redis, as two app hosts behind a proxy:
a session started on one is valid on the other, a lockout earned on one holds on the
other, the API rate limit counts across both, and a job queued by one is run by a worker
and seen finished from the other. Nothing lives on one host only."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from redis import Redis

from lms import clock, create_app
from lms.accounts import security, tokens
from lms.accounts.models import User
from lms.config import REPO_ROOT
from lms.extensions import db
from tests.conftest import base_config

REDIS = "redis://127.0.0.1:6379/13"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A cookie jar that may talk to either host (as a proxy would send it)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode("latin-1")
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode("latin-1")

    def post(self, url: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()


@pytest.fixture(scope="module")
def hosts(make_database):
    url = make_database("two_hosts")
    Redis.from_url(REDIS).flushdb()
    prefix = f"lms-two-hosts-{uuid.uuid4().hex}"
    overrides = {"REDIS_URL": REDIS, "RATELIMIT_KEY_PREFIX": prefix,
                 "API_RATE_LIMIT": "4 per minute", "LOGIN_MAX_FAILURES": 3}  # fmt: skip
    app = create_app(base_config(url, **overrides))
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["lms", "demo", "--json"])
    assert result.exit_code == 0, result.output
    logins = json.loads(result.stdout)["logins"]
    ports = [_port(), _port()]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.hosts", "serve", url, str(port), json.dumps(overrides)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    deadline = time.monotonic() + 60
    for base in bases:
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    try:
        yield app, url, overrides, logins, bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        Redis.from_url(REDIS).flushdb()
        with app.app_context():
            db.engine.dispose()


def test_health_reports_the_database_and_redis_on_each_host(hosts):
    _app, _url, _overrides, _logins, bases = hosts
    for base in bases:
        report = json.loads(Browser().get(f"{base}/healthz")[2])
        assert report["status"] == "ok", report
        assert report["checks"]["database"]["ok"] and report["checks"]["redis"]["ok"], report


def test_a_session_started_on_one_host_is_valid_on_the_other(hosts):
    _app, _url, _overrides, logins, (a, b) = hosts
    browser = Browser()
    status, landed, _page = browser.post(f"{a}/login", logins["learner"])
    assert status == 200 and not landed.endswith("/login")
    status, landed, page = browser.get(f"{b}/")
    assert status == 200 and "Welcome" in page
    browser.post(f"{b}/logout", {})
    status, landed, _page = browser.get(f"{a}/account")
    assert "/login" in landed  # signed out on one host: signed out on both


def test_a_lockout_earned_on_one_host_holds_on_the_other(hosts):
    _app, _url, _overrides, logins, (a, b) = hosts
    trainer = logins["trainer"]
    for host in (a, b, a):
        Browser().post(f"{host}/login", {"username": trainer["username"], "password": "wrong"})
    _status, landed, page = Browser().post(f"{b}/login", trainer)
    assert landed.endswith("/login") and re.search(r"(?i)too many|locked|try again", page)


def test_the_api_rate_limit_counts_across_both_hosts(hosts):
    app, _url, _overrides, logins, (a, b) = hosts
    with app.app_context():
        person = db.session.scalar(
            sa.select(User).where(User.username == logins["mentor"]["username"])
        )
        _token, secret = tokens.create_token(person, name="two hosts", now=clock.now())
        db.session.commit()
    statuses = []
    for host in (a, b, a, b, a):
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{host}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
        )
        try:
            statuses.append(urllib.request.urlopen(request, timeout=10).status)  # noqa: S310
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert statuses == [200, 200, 200, 200, 429]


def test_a_job_queued_on_one_host_is_run_by_a_worker_and_seen_from_the_other(hosts):
    app, url, overrides, logins, (a, b) = hosts
    with app.app_context():
        admin = db.session.scalar(
            sa.select(User).where(User.username == logins["admin"]["username"])
        )
        seed = security.new_totp_secret()
        totp = pyotp.TOTP(seed)
        settings = security.Settings.from_config(app.config)
        security.enable_2fa(admin, seed, totp.at(clock.now()), settings=settings, now=clock.now())
        db.session.commit()
        from lms.enrolments.models import Cohort

        cohort = db.session.scalar(sa.select(Cohort.id).order_by(Cohort.id.desc()))
    browser = Browser()
    browser.post(f"{a}/login", logins["admin"])
    time.sleep(0.1)
    status, landed, _page = browser.post(f"{a}/login/code", {"code": totp.at(time.time() + 30)})
    assert status == 200 and "/login" not in landed, landed
    browser.post(f"{a}/cohorts/{cohort}/certificates", {})
    status, landed, page = browser.post(f"{a}/cohorts/{cohort}/certificates/bundle", {})
    bundle_page = landed.replace(a, b)
    assert re.search(r"/certificates/bundles/\d+$", landed), (status, landed)
    worker = subprocess.run(
        [sys.executable, "-m", "tests.hosts", "worker", url, json.dumps(overrides)],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stdout + worker.stderr
    status, _landed, page = browser.get(bundle_page)
    assert status == 200 and "Download (ZIP)" in page
    status, _landed, zipped = browser.get(bundle_page + ".zip")
    assert status == 200 and zipped.startswith("PK")
