"""Mentoring free texts sealed at rest with Fernet (the ``cryptography`` library), keyed from
configuration: ``MENTORING_KEY`` (``LMS_MENTORING_KEY``), one key or several separated by
commas; the first seals, every one opens, so a key can be rotated (``flask lms mentoring
rotate-key`` re-seals the stored texts). In development and tests a key is generated into
the instance folder; production refuses to start without one."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import InvalidToken, MultiFernet
from flask import current_app

from lms import crypto

KEY_FILE = "mentoring.key"


def box() -> MultiFernet:
    """The app's keys (cached per app until the setting changes)."""
    setting = current_app.config.get("MENTORING_KEY") or ""
    cached = current_app.extensions.get("lms.mentoring_box")
    if cached is not None and cached[0] == setting:
        return cached[1]
    keys = crypto.fernet_keys(setting)
    if not keys:
        keys = [_development_key()]
    try:
        result = crypto.multi_fernet(keys)
    except ValueError as error:
        raise RuntimeError(f"MENTORING_KEY: {error}") from None
    current_app.extensions["lms.mentoring_box"] = (setting, result)
    return result


def _development_key() -> str:
    if current_app.config["ENV"] not in ("development", "testing"):
        raise RuntimeError(
            "MENTORING_KEY is not set: give LMS_MENTORING_KEY a Fernet key "
            "(python -m lms.keys prints one)."
        )
    path = Path(current_app.instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process wrote it meanwhile
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(crypto.Fernet.generate_key().decode())
    return path.read_text(encoding="ascii").strip()


class SealedText(sa.types.TypeDecorator[str]):
    """Text stored as a Fernet token: unreadable in the database, its dumps and backups."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return box().encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        try:
            return box().decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise RuntimeError(
                "a mentoring text cannot be opened with the configured MENTORING_KEY "
                "(was a retired key removed?)"
            ) from None


def configured_keys() -> list[str]:
    """The keys texts are sealed and opened with: the setting's, or the development key."""
    box()  # creates the development key where there is none yet
    keys = crypto.fernet_keys(current_app.config.get("MENTORING_KEY") or "")
    return keys or [_development_key()]
