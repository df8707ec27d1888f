"""Migrations build the schema the models describe, from an empty database, in one line."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.config import REPO_ROOT
from lms.extensions import db
from tests.conftest import base_config

VERSIONS = REPO_ROOT / "migrations" / "versions"


@pytest.fixture(scope="module")
def empty_app(make_database):
    app = create_app(base_config(make_database("migrations")))
    yield app
    with app.app_context():
        db.engine.dispose()


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(REPO_ROOT / "migrations"))


def test_alembic_has_a_single_head():
    assert len(_script().get_heads()) == 1


def test_revision_files_are_date_prefixed():
    names = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert names
    for name in names:
        assert re.match(r"^\d{8}_\d{4}_[0-9a-f]+_[a-z0-9_]+\.py$", name), name


def test_upgrade_from_empty_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            assert context.get_current_revision() == _script().get_current_head()
            assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_base_and_back(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            assert {"user", "role_grant"} <= set(sa.inspect(conn).get_table_names())
