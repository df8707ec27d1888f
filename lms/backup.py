"""Backups that restore: the whole database in one file, with a manifest to check the
restore against (core: no domain).

A backup is a ZIP holding ``manifest.json`` and the database: a copy made with SQLite's
online backup API, or PostgreSQL's ``pg_dump --format=custom``. The manifest records the
schema revision, each table's row count and a digest of its rows (in primary-key order),
and fingerprints of the keys the data depends on: the secret key (two-factor secrets are
encrypted with it), the mentoring keys (sealed texts) and the certificate signing keys.
Keys are configuration and are never written into the backup; a restore says when the
configured keys are not the ones the data needs.

With a passphrase the ZIP is encrypted (Fernet, with a key derived by scrypt) behind a
short header, so a copy on shared storage reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = 1
MAGIC = b"LMSBACKUP-ENCRYPTED-1\n"
SALT_BYTES = 16
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore was refused; the message says why, for the operator."""


def fingerprint(secret: str | bytes) -> str:
    """A short, one-way name for a key (never the key)."""
    data = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(data).hexdigest()[:16]


def _value(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)


def snapshot(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    """Every table's row count and a digest of its rows, in primary-key order."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    tables: dict[str, dict[str, Any]] = {}
    for table in metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        count = 0
        result = connection.execution_options(yield_per=2000).execute(
            sa.select(table).order_by(*order)
        )
        for row in result:
            digest.update(json.dumps(list(row), default=_value, sort_keys=True).encode())
            digest.update(b"\n")
            count += 1
        tables[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    return tables


def _describe(connection: sa.Connection) -> tuple[str | None, dict[str, dict[str, Any]]]:
    revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return revision, snapshot(connection)


def _libpq_url(url: sa.URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 (fixed programs)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    except subprocess.CalledProcessError as error:
        lines = (error.stderr or "").strip().splitlines()
        raise BackupError(f"{command[0]} failed: {lines[-1] if lines else error}") from None


def _derive(passphrase: bytes, salt: bytes) -> Fernet:
    key = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase)
    return Fernet(base64.urlsafe_b64encode(key))


def create(
    engine: sa.Engine, path: Path, *, passphrase: bytes | None = None,
    keys: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write a backup of ``engine``'s database to ``path`` (replaced atomically); returns
    the manifest. ``keys``: fingerprints of the keys the data needs."""
    dialect = engine.dialect.name
    if dialect not in DATABASE_FILES:
        raise BackupError(f"backups of {dialect} databases are not supported")
    with tempfile.TemporaryDirectory(prefix="lms-backup-") as work:
        copy = Path(work) / DATABASE_FILES[dialect]
        if dialect == "sqlite":
            raw = engine.raw_connection()
            try:
                target = sqlite3.connect(copy)
                raw.driver_connection.backup(target)
                target.close()
            finally:
                raw.close()
            # The manifest describes the copy itself, whatever was written since.
            copied = sa.create_engine(f"sqlite:///{copy}")
            with copied.connect() as connection:
                revision, tables = _describe(connection)
            copied.dispose()
        else:
            # pg_dump reads the snapshot the manifest is computed in: they agree exactly.
            with (
                engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
                connection.begin(),
            ):
                exported = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
                _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                      f"--snapshot={exported}", f"--file={copy}",
                      f"--dbname={_libpq_url(engine.url)}"])  # fmt: skip
                revision, tables = _describe(connection)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dialect": dialect,
            "revision": revision,
            "tables": tables,
            "keys": keys or {},
            "database_sha256": hashlib.sha256(copy.read_bytes()).hexdigest(),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
            archive.write(copy, copy.name)
        data = buffer.getvalue()
    if passphrase:
        salt = os.urandom(SALT_BYTES)
        data = MAGIC + salt + _derive(passphrase, salt).encrypt(data)
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.chmod(partial, 0o600)
    partial.replace(path)
    return manifest


def _open(path: Path, passphrase: bytes | None) -> zipfile.ZipFile:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BackupError(f"{path}: cannot be read ({error.strerror})") from None
    if data.startswith(MAGIC):
        if not passphrase:
            raise BackupError(f"{path}: the backup is encrypted: give its passphrase")
        salt, token = data[len(MAGIC) : len(MAGIC) + SALT_BYTES], data[len(MAGIC) + SALT_BYTES :]
        try:
            data = _derive(passphrase, salt).decrypt(token)
        except InvalidToken:
            raise BackupError(f"{path}: wrong passphrase, or the file is damaged") from None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        archive.getinfo("manifest.json")
    except (zipfile.BadZipFile, KeyError):
        raise BackupError(f"{path}: not a PROTECT LMS backup (or a damaged one)") from None
    return archive


def read_manifest(path: Path, passphrase: bytes | None = None) -> dict[str, Any]:
    return json.loads(_open(path, passphrase).read("manifest.json"))


def restore(engine: sa.Engine, path: Path, *, passphrase: bytes | None = None) -> dict[str, Any]:
    """Restore the backup at ``path`` into ``engine``'s database, which must be empty and
    of the same kind; then check every table against the manifest. Returns the manifest."""
    archive = _open(path, passphrase)
    manifest = json.loads(archive.read("manifest.json"))
    dialect = engine.dialect.name
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')} is not supported")
    if manifest["dialect"] != dialect:
        raise BackupError(f"{path}: a {manifest['dialect']} backup cannot be restored into a "
                          f"{dialect} database")  # fmt: skip
    if sa.inspect(engine).get_table_names():
        raise BackupError("the database is not empty: restore only into an empty database")
    name = DATABASE_FILES[dialect]
    with tempfile.TemporaryDirectory(prefix="lms-restore-") as work:
        copy = Path(work) / name
        with archive.open(name) as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target)
        if hashlib.sha256(copy.read_bytes()).hexdigest() != manifest["database_sha256"]:
            raise BackupError(f"{path}: the database copy does not match its manifest")
        if dialect == "sqlite":
            source_db = sqlite3.connect(copy)
            raw = engine.raw_connection()
            try:
                source_db.backup(raw.driver_connection)
            finally:
                raw.close()
                source_db.close()
        else:
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                  f"--dbname={_libpq_url(engine.url)}", str(copy)])  # fmt: skip
    engine.dispose()
    with engine.connect() as connection:
        restored = snapshot(connection)
    differences = sorted(
        table for table in set(restored) | set(manifest["tables"])
        if restored.get(table) != manifest["tables"].get(table)
    )  # fmt: skip
    if differences:
        raise BackupError("the restored database differs from the backup in: "
                          + ", ".join(differences))  # fmt: skip
    return manifest
