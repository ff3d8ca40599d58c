"""the agreement (versions, comments, signatures, deliveries), case files, and a case's outcome

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
# What was signed or filed is never changed or deleted, whoever asks (the database refuses).
KEPT = ("case_documents", "agreement_versions", "agreement_signatures")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("outcome_reason", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("outcome_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("closed_at", WHEN, nullable=True))
    op.create_table(
        "case_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_kind", sa.String(length=10), nullable=False),
        sa.Column("uploaded_by_id", sa.String(length=36), nullable=True),
        sa.Column("uploaded_by_name", sa.String(length=100), nullable=False),
        sa.Column("visible_to", sa.JSON(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_documents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
    )
    op.create_index(op.f("ix_case_documents_case_id"), "case_documents", ["case_id"], unique=False)
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("final_version", sa.Integer(), nullable=True),
        sa.Column("deadline", WHEN, nullable=True),
        sa.Column("pdf_document_id", sa.String(length=36), nullable=True),
        sa.Column("signed_document_id", sa.String(length=36), nullable=True),
        sa.Column("verify_code", sa.String(length=16), nullable=True),
        sa.Column("sealed_at", WHEN, nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_agreements_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("case_id", name=op.f("uq_agreements_case_id")),
        sa.UniqueConstraint("verify_code", name=op.f("uq_agreements_verify_code")),
    )
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], name=op.f("fk_agreement_versions_agreement_id_agreements")),
        sa.PrimaryKeyConstraint("agreement_id", "number", name=op.f("pk_agreement_versions")),
    )
    op.create_table(
        "agreement_comments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("clause", sa.String(length=20), nullable=False),
        sa.Column("author_kind", sa.String(length=10), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], name=op.f("fk_agreement_comments_agreement_id_agreements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_comments")),
    )
    op.create_index(op.f("ix_agreement_comments_agreement_id"), "agreement_comments", ["agreement_id"], unique=False)
    op.create_table(
        "agreement_signatures",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("signer_id", sa.String(length=36), nullable=False),
        sa.Column("signer_kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_hash", sa.String(length=64), nullable=False),
        sa.Column("handwriting_document_id", sa.String(length=36), nullable=True),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_agreement_signatures_agreement_id_agreements")
        ),
        sa.PrimaryKeyConstraint("agreement_id", "signer_id", name=op.f("pk_agreement_signatures")),
    )
    op.create_table(
        "agreement_deliveries",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("delivered_at", WHEN, nullable=False),
        sa.Column("delivered_seq", sa.Integer(), nullable=True),
        sa.Column("received_at", WHEN, nullable=True),
        sa.Column("received_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_agreement_deliveries_agreement_id_agreements")
        ),
        sa.PrimaryKeyConstraint("agreement_id", "party_id", name=op.f("pk_agreement_deliveries")),
    )

    dialect = op.get_bind().dialect.name
    for table in KEPT:
        if dialect == "postgresql":  # mediate_refuse_change() comes from 0002
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION mediate_refuse_change()"
            )
        elif dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'mediate: signed and filed documents are never changed'); END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in KEPT:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif dialect == "sqlite":
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    for table in ("agreement_deliveries", "agreement_signatures", "agreement_comments", "agreement_versions", "agreements"):
        op.drop_table(table)
    op.drop_index(op.f("ix_case_documents_case_id"), table_name="case_documents")
    op.drop_table("case_documents")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("outcome_note")
        batch.drop_column("outcome_reason")
