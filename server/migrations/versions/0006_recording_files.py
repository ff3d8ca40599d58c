"""files derived from recordings for watching (one remuxed WebM per participant)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], name=op.f("fk_recording_files_recording_id_recordings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_files")),
        sa.UniqueConstraint("recording_id", "participant_id", "kind", name=op.f("uq_recording_files_recording_id")),
    )


def downgrade() -> None:
    op.drop_table("recording_files")
