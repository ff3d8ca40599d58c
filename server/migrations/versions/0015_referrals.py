"""referrals: a case sent to another organisation to lead it or to assist (issue #21)

A one-stop centre routes a dispute (分流) to the body that can settle it, with others assisting,
and a court refers cases to invited mediators before filing (委派) or after (委托) and expects
the result back (最高人民法院关于人民法院特邀调解的规定 arts. 11, 19–21, 26). Each referral is
a row here and a signed record in the case's evidence log.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("from_organisation_id", sa.String(length=36), nullable=False),
        sa.Column("to_organisation_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("court_stage", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referred_by", sa.String(length=36), nullable=False),
        sa.Column("referred_at", WHEN, nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("mediator_id", sa.String(length=36), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=36), nullable=True),
        sa.Column("reported_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["from_organisation_id"], ["organisations.id"], name=op.f("fk_referrals_from_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["to_organisation_id"], ["organisations.id"], name=op.f("fk_referrals_to_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["referred_by"], ["users.id"], name=op.f("fk_referrals_referred_by_users")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_referrals_decided_by_users")),
        sa.ForeignKeyConstraint(["mediator_id"], ["users.id"], name=op.f("fk_referrals_mediator_id_users")),
        sa.ForeignKeyConstraint(["reported_by"], ["users.id"], name=op.f("fk_referrals_reported_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_case_id"), "referrals", ["case_id"], unique=False)
    op.create_index(op.f("ix_referrals_from_organisation_id"), "referrals", ["from_organisation_id"], unique=False)
    op.create_index(op.f("ix_referrals_to_organisation_id"), "referrals", ["to_organisation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_referrals_to_organisation_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_from_organisation_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_case_id"), table_name="referrals")
    op.drop_table("referrals")
