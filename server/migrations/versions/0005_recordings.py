"""recordings and their segments

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("started_by", sa.String(length=36), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("previous_id", sa.String(length=32), nullable=True),
        sa.Column("base_index", sa.Integer(), nullable=False),
        sa.Column("base_head", sa.String(length=64), nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("manifested_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["mediation_sessions.id"], name=op.f("fk_recordings_session_id_mediation_sessions")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_recordings_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    op.create_index(op.f("ix_recordings_session_id"), "recordings", ["session_id"], unique=False)
    op.create_index(op.f("ix_recordings_case_id"), "recordings", ["case_id"], unique=False)
    op.create_table(
        "recording_segments",
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.String(length=27), nullable=False),
        sa.Column("end", sa.String(length=27), nullable=False),
        sa.Column("tracks", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], name=op.f("fk_recording_segments_recording_id_recordings")),
        sa.PrimaryKeyConstraint("recording_id", "index", name=op.f("pk_recording_segments")),
    )


def downgrade() -> None:
    op.drop_table("recording_segments")
    op.drop_index(op.f("ix_recordings_case_id"), table_name="recordings")
    op.drop_index(op.f("ix_recordings_session_id"), table_name="recordings")
    op.drop_table("recordings")
