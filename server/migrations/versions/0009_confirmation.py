"""judicial confirmation: regions for connecting points, applications, their signers, judges' notes

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("region", sa.String(length=100), nullable=True))
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("residence_region", sa.String(length=100), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("property_region", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("invited_by_court_id", sa.String(length=36), nullable=True))
    op.create_table(
        "confirmation_applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("court_id", sa.String(length=36), nullable=False),
        sa.Column("ground", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_by", sa.String(length=36), nullable=False),
        sa.Column("judge_id", sa.String(length=36), nullable=True),
        sa.Column("hearing_session_id", sa.String(length=36), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_grounds", sa.JSON(), nullable=True),
        sa.Column("decision_reasons", sa.Text(), nullable=True),
        sa.Column("decision_document_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_confirmation_applications_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_confirmation_applications_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["court_id"], ["organisations.id"], name=op.f("fk_confirmation_applications_court_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_applications")),
    )
    op.create_index(op.f("ix_confirmation_applications_case_id"), "confirmation_applications", ["case_id"], unique=False)
    op.create_index(op.f("ix_confirmation_applications_court_id"), "confirmation_applications", ["court_id"], unique=False)
    op.create_table(
        "confirmation_signers",
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["confirmation_applications.id"],
            name=op.f("fk_confirmation_signers_application_id_confirmation_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", "party_id", name=op.f("pk_confirmation_signers")),
    )
    op.create_table(
        "judge_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["confirmation_applications.id"],
            name=op.f("fk_judge_notes_application_id_confirmation_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_notes")),
    )
    op.create_index(op.f("ix_judge_notes_application_id"), "judge_notes", ["application_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_judge_notes_application_id"), table_name="judge_notes")
    op.drop_table("judge_notes")
    op.drop_table("confirmation_signers")
    op.drop_index(op.f("ix_confirmation_applications_court_id"), table_name="confirmation_applications")
    op.drop_index(op.f("ix_confirmation_applications_case_id"), table_name="confirmation_applications")
    op.drop_table("confirmation_applications")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("invited_by_court_id")
        batch.drop_column("property_region")
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("residence_region")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("region")
