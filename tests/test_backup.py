"""Backups that restore: the demo world written to one file, restored into an empty
database of the same kind, and every table compared by row count and content digest;
an encrypted backup needs its passphrase; bad input is refused with a clear line and
nothing is restored over existing data."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import backup, create_app
from lms.extensions import db
from tests.conftest import base_config


def _app(url: str):
    return create_app(base_config(url))


@pytest.fixture(scope="module")
def world(make_database):
    """A database holding the demo world (committed: pg_dump reads it from outside)."""
    app = _app(make_database("backup_source"))
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["lms", "demo", "--json"])
    assert result.exit_code == 0, result.output
    yield app
    _dispose(app)


def _dispose(app) -> None:
    """Close the app's pooled connections (the database is dropped after the run)."""
    with app.app_context():
        db.engine.dispose()


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["lms", *args])


def test_a_backup_restores_into_an_empty_database_table_by_table(world, make_database, tmp_path):
    path = tmp_path / "lms.backup"
    made = _invoke(world, "backup", str(path), "--json")
    assert made.exit_code == 0, made.output
    summary = json.loads(made.stdout)
    assert summary["encrypted"] is False and summary["rows"] > 500
    manifest = backup.read_manifest(path)
    with world.app_context(), db.engine.connect() as connection:
        assert backup.snapshot(connection) == manifest["tables"]
    assert manifest["tables"]["user"]["rows"] > 70
    assert manifest["tables"]["survey_response"]["rows"] > 0
    assert manifest["keys"]["mentoring"] and manifest["keys"]["signing"]
    target = _app(make_database("backup_target"))
    restored = _invoke(target, "restore", str(path), "--json")
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)["verified"] is True
    with target.app_context(), db.engine.connect() as connection:
        assert backup.snapshot(connection) == manifest["tables"]
        sealed = connection.execute(sa.text("SELECT observations FROM mentoring_session "
                                            "WHERE observations IS NOT NULL")).first()  # fmt: skip
    assert sealed is not None and sealed[0].startswith("gAAAA")  # still sealed at rest
    with target.app_context():
        from lms.mentoring.models import MentoringSession

        opened = db.session.scalars(sa.select(MentoringSession)).first()
        assert opened.observations and not opened.observations.startswith("gAAAA")
    # The restored app works: the demo coordinator's dashboard needs nothing else.
    assert target.test_client().get("/healthz").status_code == 200
    # A second restore over the data now there is refused; nothing is touched.
    again = _invoke(target, "restore", str(path))
    assert again.exit_code == 1
    assert "the database is not empty: restore only into an empty database" in again.stderr
    _dispose(target)


def test_an_encrypted_backup_needs_its_passphrase(world, make_database, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse battery staple\n")
    path = tmp_path / "lms.backup.enc"
    made = _invoke(world, "backup", str(path), "--passphrase-file", str(secret), "--json")
    assert made.exit_code == 0 and json.loads(made.stdout)["encrypted"] is True
    assert path.read_bytes().startswith(backup.MAGIC) and b"demo.admin" not in path.read_bytes()
    target = _app(make_database("backup_encrypted"))
    refused = _invoke(target, "restore", str(path))
    assert refused.exit_code == 1 and "encrypted: give its passphrase" in refused.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text("not it")
    refused = _invoke(target, "restore", str(path), "--passphrase-file", str(wrong))
    assert refused.exit_code == 1 and "wrong passphrase, or the file is damaged" in refused.stderr
    with target.app_context():
        assert sa.inspect(db.engine).get_table_names() == []  # nothing half-restored
    restored = _invoke(target, "restore", str(path), "--passphrase-file", str(secret))
    assert restored.exit_code == 0, restored.output
    _dispose(target)


def test_what_is_not_a_backup_is_refused(world, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    result = _invoke(world, "restore", str(junk))
    assert result.exit_code == 1 and "not a PROTECT LMS backup" in result.stderr
    missing = _invoke(world, "restore", str(tmp_path / "nowhere.backup"))
    assert missing.exit_code == 1 and "cannot be read" in missing.stderr
    unreadable = _invoke(world, "backup", str(tmp_path / "x"), "--passphrase-file",
                         str(tmp_path / "no-such-file"))  # fmt: skip
    assert unreadable.exit_code == 1 and "cannot be read" in unreadable.stderr
