"""deadline extensions: the parties' agreement to extend a case's mediation period (issue #21)

在线调解规则 art. 24 and 特邀调解规定 art. 27 give mediation 30 days "unless every party agrees to extend
it". The mediator proposes a new last day (`deadline_extensions`); each party signs their agreement
with their own key (`deadline_extension_signers`, one row per `signature` record); once all have,
a `deadline_extended` record is logged and the case's `mediation_extended_to` moves its clock.
Existing cases keep NULL: their 30 days stand.

Revision ID: 0022
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("mediation_extended_to", sa.Date(), nullable=True))
    op.create_table(
        "deadline_extensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("proposed_by", sa.String(length=36), nullable=False),
        sa.Column("proposed_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("declined_by", sa.String(length=36), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_deadline_extensions_case_id_cases")),
        sa.ForeignKeyConstraint(["proposed_by"], ["users.id"], name=op.f("fk_deadline_extensions_proposed_by_users")),
        sa.ForeignKeyConstraint(["declined_by"], ["parties.id"], name=op.f("fk_deadline_extensions_declined_by_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_extensions")),
    )
    op.create_index(op.f("ix_deadline_extensions_case_id"), "deadline_extensions", ["case_id"], unique=False)
    op.create_table(
        "deadline_extension_signers",
        sa.Column("extension_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("claim_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["deadline_extensions.id"],
            name=op.f("fk_deadline_extension_signers_extension_id_deadline_extensions"),
        ),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_deadline_extension_signers_party_id_parties")),
        sa.PrimaryKeyConstraint("extension_id", "party_id", name=op.f("pk_deadline_extension_signers")),
    )


def downgrade() -> None:
    op.drop_table("deadline_extension_signers")
    op.drop_index(op.f("ix_deadline_extensions_case_id"), table_name="deadline_extensions")
    op.drop_table("deadline_extensions")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("mediation_extended_to")
