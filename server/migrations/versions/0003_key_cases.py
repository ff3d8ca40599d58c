"""keys bound in several cases (staff keys)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_key_cases",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "case_id", name=op.f("pk_evidence_key_cases")),
    )


def downgrade() -> None:
    op.drop_table("evidence_key_cases")
