"""audit trail sealed in a hash chain: one link per event; the trail is append-only

Revision ID: 5e1a7c3d9b20
Revises: 2f55b9158885
Create Date: 2026-11-29 06:00:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = '5e1a7c3d9b20'
down_revision = '2f55b9158885'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_seal',
    sa.Column('event_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_audit_seal'))
    )
    with op.batch_alter_table('audit_seal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_seal_event_at'), ['event_at'], unique=False)
    # Events and their links are never updated (deleting old ones is the retention
    # clean-up's; a deletion out of turn shows in the chain).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
    else:
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )


TABLES = ("audit_event", "audit_seal")


def downgrade():
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    with op.batch_alter_table('audit_seal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_seal_event_at'))

    op.drop_table('audit_seal')
