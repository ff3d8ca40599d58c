"""signed monthly statistics snapshots, which no one can change (issue #23)

At each month's end the platform signs, for each organisation, the figures of the cases registered in
that month and the cases behind each count (``statistics_snapshot``, server/domain/statistics/snapshots.py).
The record is in the evidence log (its organisation's statistics stream); ``statistics_snapshots`` finds it
by organisation and month. Changing a past month is impossible: the table refuses UPDATE and DELETE on
both databases, as the log's tables do (0002); a correction is a new row naming the one it corrects.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TABLE = "statistics_snapshots"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("interim", sa.Boolean(), nullable=False),
        sa.Column("stream", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_hash", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_statistics_snapshots_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], [f"{TABLE}.id"], name=op.f("fk_statistics_snapshots_supersedes_id_statistics_snapshots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistics_snapshots")),
        sa.UniqueConstraint("claim_hash", name=op.f("uq_statistics_snapshots_claim_hash")),
        sa.UniqueConstraint("organisation_id", "month", "version", name=op.f("uq_statistics_snapshots_organisation_id")),
    )
    with op.batch_alter_table(TABLE) as batch:
        batch.create_index(batch.f("ix_statistics_snapshots_organisation_id"), ["organisation_id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # mediate_refuse_change() is 0002's: it raises, naming the operation and the table.
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION mediate_refuse_change()"
        )
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'mediate: a statistics snapshot is never changed; correct it with a new one'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    elif dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{action}")
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_index(batch.f("ix_statistics_snapshots_organisation_id"))
    op.drop_table(TABLE)
