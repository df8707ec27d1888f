"""The configuration layers and the refusal to run production on development defaults."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from lms import create_app, keys
from lms.certificates.services import key_ring
from lms.config import DEFAULT_SECRET_KEY, REPO_ROOT, ConfigurationError, normalise_database_url
from lms.mentoring import sealed

GOOD_SECRET = "a-production-secret-that-is-long-enough-0123456789"
GOOD_MENTORING_KEY = "LAiCWiBrPVJ4YjH-LpH5AaE5dxT3kr2sfPnGILc5ZQU="


@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def test_production_refuses_the_default_secret(instance_dir):
    with pytest.raises(RuntimeError, match="SECRET_KEY is the development default"):
        create_app({"ENV": "production", "SECRET_KEY": DEFAULT_SECRET_KEY})


def test_production_is_the_default_environment(instance_dir):
    with pytest.raises(RuntimeError, match="development default"):
        create_app()


def test_production_refuses_a_short_secret(instance_dir):
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app({"ENV": "production", "SECRET_KEY": "short"})


def test_unknown_environment_is_refused(instance_dir):
    with pytest.raises(RuntimeError, match="LMS_ENV must be one of"):
        create_app({"ENV": "staging"})


@pytest.mark.parametrize("env", ["development", "testing"])
def test_development_and_testing_accept_the_default_secret(instance_dir, env):
    app = create_app({"ENV": env, "DATABASE_URL": "sqlite://"})
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["TESTING"] is (env == "testing")


def test_production_cookies_are_secure(instance_dir):
    app = create_app(
        {"ENV": "production", "SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "sqlite://",
         "MENTORING_KEY": GOOD_MENTORING_KEY}
    )  # fmt: skip
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_layers_apply_in_order(instance_dir, monkeypatch):
    (instance_dir / "config.py").write_text(
        'ENV = "development"\nCOURSES_DIR = "/from/instance"\n'
        'ASSESSMENTS_DIR = "/from/instance"\nCERTIFICATES_DIR = "/from/instance"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LMS_ASSESSMENTS_DIR", "/from/env")
    monkeypatch.setenv("LMS_CERTIFICATES_DIR", "/from/env")
    monkeypatch.setenv("LMS_SQLITE_BUSY_TIMEOUT_MS", "1234")  # JSON-parsed: an int
    app = create_app({"CERTIFICATES_DIR": "/from/test", "DATABASE_URL": "sqlite://"})
    assert app.config["ENV"] == "development"
    assert app.config["COURSES_DIR"] == "/from/instance"
    assert app.config["ASSESSMENTS_DIR"] == "/from/env"
    assert app.config["CERTIFICATES_DIR"] == "/from/test"
    assert app.config["SQLITE_BUSY_TIMEOUT_MS"] == 1234


def test_environment_can_supply_the_production_secret(instance_dir, monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("LMS_MENTORING_KEY", GOOD_MENTORING_KEY)
    monkeypatch.setenv("LMS_DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["SECRET_KEY"] == GOOD_SECRET


def test_default_database_is_a_sqlite_file_in_the_instance_folder(instance_dir):
    app = create_app({"ENV": "development"})
    with app.app_context():
        from lms.extensions import db

        assert db.engine.url.drivername == "sqlite"
        assert db.engine.url.database == str(instance_dir / "lms.sqlite3")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgresql_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_production_refuses_to_start_without_a_mentoring_key(instance_dir):
    with pytest.raises(RuntimeError, match="MENTORING_KEY is not set"):
        create_app({"ENV": "production", "SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "sqlite://"})


def test_a_malformed_mentoring_key_is_refused_at_start(instance_dir):
    with pytest.raises(ConfigurationError, match="MENTORING_KEY: key 2 is not a Fernet key"):
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": GOOD_SECRET,
                "MENTORING_KEY": GOOD_MENTORING_KEY + ",not-a-key",
                "DATABASE_URL": "sqlite://",
            }
        )


def test_a_signing_key_that_is_not_ed25519_pem_is_refused_at_start(instance_dir):
    with pytest.raises(ConfigurationError, match="SIGNING_KEY is not an Ed25519 private key"):
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": GOOD_SECRET,
                "MENTORING_KEY": GOOD_MENTORING_KEY,
                "SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\\nnonsense\\n-----END PRIVATE KEY-----",
                "DATABASE_URL": "sqlite://",
            }
        )


def _environment_file(text: str) -> dict[str, str]:
    """The settings an environment file gives the shell (`set -a; . FILE`)."""
    script = f"set -a\n{text}\nset +a\nenv -0"
    output = subprocess.run(
        ["/bin/sh", "-c", script], env={}, capture_output=True, check=True
    ).stdout.decode()
    return dict(line.split("=", 1) for line in output.split("\0") if line.startswith("LMS_"))


def test_the_printed_keys_start_a_production_app_that_signs(instance_dir, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    assert keys.main([]) == 0
    settings = _environment_file(out.getvalue())
    assert sorted(settings) == sorted(keys.KEYS)
    assert "\\n" in settings["LMS_SIGNING_KEY"]  # one line, folded
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        ring = key_ring()
        assert ring.signing is not None
        assert sealed.box().decrypt(sealed.box().encrypt(b"kept")) == b"kept"
    assert app.config["SECRET_KEY"] == settings["LMS_SECRET_KEY"]
    second = io.StringIO()
    monkeypatch.setattr("sys.stdout", second)
    keys.main(["--only", "LMS_MENTORING_KEY"])
    fresh = _environment_file(second.getvalue())
    assert list(fresh) == ["LMS_MENTORING_KEY"]
    assert fresh["LMS_MENTORING_KEY"] != settings["LMS_MENTORING_KEY"]


def test_a_refused_start_prints_one_line_and_no_traceback(tmp_path):
    environment = {"PATH": os.environ["PATH"], "LMS_ENV": "production"}
    environment["LMS_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "users", "list"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "PROTECT LMS: Refusing to start: SECRET_KEY is the development default. "
        "Set LMS_SECRET_KEY (or SECRET_KEY in instance/config.py) to a long random value "
        "(python -m lms.keys prints every key a deployment needs)."
    ]
