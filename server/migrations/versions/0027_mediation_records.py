"""mediation records: the 调解笔录 written live in a session, closed into hashed versions, signed by the parties (#22)

人民调解法 arts. 28 and 30 and 在线调解规则 art. 22: a committee keeps a record of each mediation
(the official case file's 人民调解记录), signed by the parties; an oral agreement is written into
it. The draft is saved as the mediator writes (`mediation_records`, one per session), each close
makes a numbered version with its text's SHA-256 and a `transcript_version` record
(`transcript_versions`), and each party signs a version with their own key, noting any
disagreement beside it (`transcript_signers`, one row per `transcript_signed` record). Where every
party chose, by their signature, that the session's recording stands for the written account
(在线调解规则 art. 22), `transcript_choices` keeps each choice (one `signature` record each).

Revision ID: 0027
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mediation_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_mediation_records_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["mediation_sessions.id"], name=op.f("fk_mediation_records_session_id_mediation_sessions")
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_mediation_records_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_records")),
        sa.UniqueConstraint("session_id", name=op.f("uq_mediation_records_session_id")),
    )
    op.create_index(op.f("ix_mediation_records_case_id"), "mediation_records", ["case_id"], unique=False)
    op.create_table(
        "transcript_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.String(length=36), nullable=False),
        sa.Column("closed_by_name", sa.String(length=100), nullable=False),
        sa.Column("closed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["mediation_records.id"], name=op.f("fk_transcript_versions_record_id_mediation_records")
        ),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name=op.f("fk_transcript_versions_closed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_versions")),
        sa.UniqueConstraint("record_id", "number", name=op.f("uq_transcript_versions_record_id")),
    )
    op.create_index(op.f("ix_transcript_versions_record_id"), "transcript_versions", ["record_id"], unique=False)
    op.create_table(
        "transcript_signers",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("disagreement", sa.Text(), nullable=True),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["transcript_versions.id"], name=op.f("fk_transcript_signers_version_id_transcript_versions")
        ),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_transcript_signers_party_id_parties")),
        sa.PrimaryKeyConstraint("version_id", "party_id", name=op.f("pk_transcript_signers")),
    )
    op.create_table(
        "transcript_choices",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["mediation_sessions.id"], name=op.f("fk_transcript_choices_session_id_mediation_sessions")
        ),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_transcript_choices_party_id_parties")),
        sa.PrimaryKeyConstraint("session_id", "party_id", name=op.f("pk_transcript_choices")),
    )


def downgrade() -> None:
    op.drop_table("transcript_choices")
    op.drop_table("transcript_signers")
    op.drop_index(op.f("ix_transcript_versions_record_id"), table_name="transcript_versions")
    op.drop_table("transcript_versions")
    op.drop_index(op.f("ix_mediation_records_case_id"), table_name="mediation_records")
    op.drop_table("mediation_records")
