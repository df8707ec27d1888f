"""The production server starts from gunicorn.conf.py and serves the app: a real gunicorn
with two workers on a free port answers /healthz."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from lms.config import REPO_ROOT


def test_gunicorn_serves_the_app_with_the_shipped_settings(database_url, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "LMS_ENV": "production",
        "LMS_SECRET_KEY": "a-production-secret-key-for-the-gunicorn-test-0123456789",
        "LMS_MENTORING_KEY": "9Qb2s8CPy0bX8Vf1qSgq3yYxFQwQx0N2cq4v7H8Jm2c=",
        "LMS_DATABASE_URL": database_url,
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_BIND": f"127.0.0.1:{port}",
        "LMS_WORKERS": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
             "wsgi:app"],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                assert server.poll() is None, "gunicorn stopped"
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert body["status"] == "ok" and body["checks"]["database"]["ok"]
        # A reset link (and a page it sent as Referer) leaves no token in the access log.
        secret = "Zq9-secret-reset-token-must-not-be-logged"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/static/lms.css",
            headers={"Referer": f"https://lms.example.org/login/reset/{secret}"},
        )
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 (loopback)
        # An unknown token: the page sends the visitor to ask for a new link.
        urllib.request.urlopen(f"http://127.0.0.1:{port}/login/reset/{secret}", timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = log.read_text()
    assert text.count("/login/reset/[redacted]") >= 2, text
    assert secret not in text


def test_gunicorn_refuses_to_start_without_the_keys(tmp_path):
    """The master stops at once with one line, instead of booting workers that each exit."""
    env = {
        "PATH": os.environ["PATH"],
        "LMS_ENV": "production",
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_BIND": "127.0.0.1:0",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Booting worker" not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "PROTECT LMS: Refusing to start: SECRET_KEY is the development default." in (
        result.stderr
    )
