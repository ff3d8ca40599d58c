"""court case numbers and court codes; parties' particulars for the agreement and the ruling

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
PARTICULARS = (
    ("sex", sa.String(length=10)),
    ("birth_date", sa.Date()),
    ("ethnicity", sa.String(length=20)),
    ("occupation", sa.String(length=100)),
    ("address", sa.String(length=200)),
    ("authority", sa.String(length=200)),
)


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("court_code", sa.String(length=16), nullable=True))
    with op.batch_alter_table("parties") as batch:
        for name, kind in PARTICULARS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("confirmation_applications") as batch:
        batch.add_column(sa.Column("accepted_at", WHEN, nullable=True))
        batch.add_column(sa.Column("court_case_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("clerk_name", sa.String(length=100), nullable=True))
        batch.create_unique_constraint(op.f("uq_confirmation_applications_court_case_number"), ["court_case_number"])
    op.create_table(
        "court_case_counters",
        sa.Column("court_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_type", sa.String(length=10), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["court_id"], ["organisations.id"], name=op.f("fk_court_case_counters_court_id_organisations")),
        sa.PrimaryKeyConstraint("court_id", "year", "case_type", name=op.f("pk_court_case_counters")),
    )


def downgrade() -> None:
    op.drop_table("court_case_counters")
    with op.batch_alter_table("confirmation_applications") as batch:
        batch.drop_constraint(op.f("uq_confirmation_applications_court_case_number"), type_="unique")
        batch.drop_column("clerk_name")
        batch.drop_column("court_case_number")
        batch.drop_column("accepted_at")
    with op.batch_alter_table("parties") as batch:
        for name, _ in reversed(PARTICULARS):
            batch.drop_column(name)
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("court_code")
