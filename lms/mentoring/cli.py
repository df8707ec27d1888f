"""``flask lms mentoring …``: the key that seals mentoring texts."""

from __future__ import annotations

import click
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask.cli import AppGroup

from lms.clitools import emit, json_option, transactional
from lms.extensions import db
from lms.mentoring import sealed
from lms.mentoring.models import (
    ActionPoint,
    ActionUpdate,
    MentoringSession,
    SessionRevision,
    UnitAssessment,
)

mentoring = AppGroup("mentoring", help="Mentoring records.")

#: Every sealed column: (model, primary key column, [sealed columns]).
SEALED = [
    (MentoringSession, MentoringSession.id,
     ["objectives", "observations", "challenges", "pii_override", "pending_follow_ups"]),
    (ActionPoint, ActionPoint.id, ["text"]),
    (ActionUpdate, ActionUpdate.id, ["note"]),
    (SessionRevision, SessionRevision.id, ["content"]),
    (UnitAssessment, UnitAssessment.id, ["notes"]),
]  # fmt: skip


@mentoring.command("new-key")
def new_key() -> None:
    """Print a new key for LMS_MENTORING_KEY (put it first, keep the old ones after it)."""
    click.echo(Fernet.generate_key().decode())


@mentoring.command("rotate-key")
@json_option
@transactional
def rotate_key(as_json: bool) -> None:
    """Re-seal every mentoring text with the first key of MENTORING_KEY; afterwards the
    older keys may be removed from the setting."""
    box = sealed.box()
    count = 0
    for model, key, columns in SEALED:
        table = model.__table__
        # Read and write the tokens themselves, past the sealing column type.
        raw = sa.select(key, *[sa.type_coerce(table.c[name], sa.Text) for name in columns])
        for row in db.session.execute(raw).all():
            values = {
                name: sa.literal(box.rotate(value.encode("ascii")).decode("ascii"), sa.Text)
                for name, value in zip(columns, row[1:], strict=True)
                if value is not None
            }
            if values:
                db.session.execute(sa.update(table).where(key == row[0]).values(**values))
                count += len(values)
    emit({"resealed": count}, as_json=as_json, text=f"re-sealed {count} texts with the first key")
