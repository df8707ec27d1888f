"""Mentoring texts are sealed at rest with the configured key; keys rotate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from lms.extensions import db
from lms.mentoring.models import ActionPoint, MentoringSession


def _raw(column, table):
    """What the database holds, read past the column type."""
    query = sa.select(sa.type_coerce(table.c[column], sa.Text))  # past SealedText
    return db.session.execute(query).scalars().all()


def test_texts_are_unreadable_in_the_database(world):
    world.log(observations="The unit reviewed two files.")
    raw = _raw("observations", MentoringSession.__table__)[0]
    assert raw.startswith("gAAAA") and "unit" not in raw
    assert all("Request" not in text for text in _raw("text", ActionPoint.__table__))
    db.session.expire_all()
    assert db.session.scalar(sa.select(MentoringSession.observations)) == (
        "The unit reviewed two files."
    )


def test_a_new_key_first_still_opens_old_texts_and_rotation_reseals(app, world, monkeypatch):
    world.log()
    old = app.config["MENTORING_KEY"]
    new = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "MENTORING_KEY", f"{new},{old}")
    db.session.expire_all()
    assert db.session.scalar(sa.select(MentoringSession.observations)).startswith("The unit")
    result = app.test_cli_runner().invoke(args=["lms", "mentoring", "rotate-key", "--json"])
    assert result.exit_code == 0, result.output
    assert '"resealed": ' in result.stdout
    monkeypatch.setitem(app.config, "MENTORING_KEY", new)  # the old key retired
    db.session.expire_all()
    assert db.session.scalar(sa.select(MentoringSession.observations)).startswith("The unit")
    assert len(app.extensions["lms.mentoring_box"][1]._fernets) == 1


def test_without_the_key_the_texts_do_not_open(app, world, monkeypatch):
    world.log()
    monkeypatch.setitem(app.config, "MENTORING_KEY", Fernet.generate_key().decode())
    db.session.expire_all()
    with pytest.raises(RuntimeError, match="cannot be opened"):
        db.session.scalar(sa.select(MentoringSession.observations))


def test_a_malformed_key_is_named(app, monkeypatch):
    from lms.mentoring import sealed

    monkeypatch.setitem(app.config, "MENTORING_KEY", "not-a-key")
    with pytest.raises(RuntimeError, match="key 1 is not a Fernet key"):
        sealed.box()


def test_development_generates_a_private_key_in_the_instance_folder(app, monkeypatch, tmp_path):
    from lms.mentoring import sealed

    monkeypatch.setitem(app.config, "MENTORING_KEY", "")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    sealed.box()
    key_file = tmp_path / sealed.KEY_FILE
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    Fernet(key_file.read_text().encode())  # a valid key


def test_new_key_prints_a_key(app):
    result = app.test_cli_runner().invoke(args=["lms", "mentoring", "new-key"])
    Fernet(result.stdout.strip().encode())


def test_every_sealed_column_is_rotated():
    import lms.models
    from lms.mentoring.cli import SEALED
    from lms.mentoring.sealed import SealedText
    from lms.models import __all__ as names

    listed = {
        (model.__tablename__, column) for model, _key, columns in SEALED for column in columns
    }
    sealed = {
        (model.__tablename__, column.name)
        for model in (getattr(lms.models, name) for name in names)
        for column in model.__table__.columns
        if isinstance(column.type, SealedText)
    }
    assert sealed == listed
