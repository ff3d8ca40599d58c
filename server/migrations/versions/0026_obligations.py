"""obligations: what a sealed agreement binds the parties to perform, one row per instalment (issue #22)

People's Mediation Law art. 29 (三) and art. 31: the agreement states how and by when each term is
performed, and the parties must perform it. A term may now carry a structured obligation (who
owes, to whom, what, the amount in fen, the instalments with their last days), composed into the
signed text; when the agreement is sealed each instalment becomes a row here, and its performance
(reported by the one who owes, confirmed or disputed by the one owed) is recorded on it beside
the `performance_*` records of the evidence log. Existing agreements have none: their terms keep
their free text.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "obligations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("instalment", sa.Integer(), nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("debtor_party_id", sa.String(length=36), nullable=False),
        sa.Column("creditor_party_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("reported_at", WHEN, nullable=True),
        sa.Column("report_seq", sa.Integer(), nullable=True),
        sa.Column("report_note", sa.Text(), nullable=True),
        sa.Column("proof_document_id", sa.String(length=36), nullable=True),
        sa.Column("confirmed_at", WHEN, nullable=True),
        sa.Column("confirm_seq", sa.Integer(), nullable=True),
        sa.Column("confirm_method", sa.String(length=40), nullable=True),
        sa.Column("confirmed_by_staff", sa.String(length=36), nullable=True),
        sa.Column("disputed_at", WHEN, nullable=True),
        sa.Column("dispute_seq", sa.Integer(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_obligations_case_id_cases")),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], name=op.f("fk_obligations_agreement_id_agreements")),
        sa.ForeignKeyConstraint(["debtor_party_id"], ["parties.id"], name=op.f("fk_obligations_debtor_party_id_parties")),
        sa.ForeignKeyConstraint(["creditor_party_id"], ["parties.id"], name=op.f("fk_obligations_creditor_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["proof_document_id"], ["case_documents.id"], name=op.f("fk_obligations_proof_document_id_case_documents")
        ),
        sa.ForeignKeyConstraint(["confirmed_by_staff"], ["users.id"], name=op.f("fk_obligations_confirmed_by_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligations")),
        sa.UniqueConstraint("agreement_id", "term", "instalment", name=op.f("uq_obligations_agreement_id")),
    )
    op.create_index(op.f("ix_obligations_case_id"), "obligations", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_obligations_case_id"), table_name="obligations")
    op.drop_table("obligations")
