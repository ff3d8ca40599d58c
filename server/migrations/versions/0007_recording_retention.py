"""per-organisation recording retention

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("recording_retention_days", sa.Integer(), nullable=False, server_default="1095"))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("recording_retention_days")
