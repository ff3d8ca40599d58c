"""satisfaction ratings and complaints: parties rate each ended session and complain to the supervising organisation (issue #22)

A party rates the mediation from their link (1 to 5 stars and a comment, once per session and,
later, once at closing), signed with their own key; the ratings feed each mediator's record that
supervisors read (人民法院在线调解规则 art. 27). A party may complain about the mediator or the
mediation to the organisation above the case's (art. 29), whose supervisors answer; the mediator
complained about never reads it.

Revision ID: 0028
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "satisfaction_ratings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("mediator_id", sa.String(length=36), nullable=False),
        sa.Column("occasion", sa.String(length=20), nullable=False),
        sa.Column("occasion_ref", sa.String(length=36), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", WHEN, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_satisfaction_ratings_case_id_cases")),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_satisfaction_ratings_party_id_parties")),
        sa.ForeignKeyConstraint(["mediator_id"], ["users.id"], name=op.f("fk_satisfaction_ratings_mediator_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_ratings")),
        sa.UniqueConstraint(
            "party_id", "occasion", "occasion_ref", name=op.f("uq_satisfaction_ratings_party_id_occasion_occasion_ref")
        ),
    )
    for column in ("case_id", "party_id", "mediator_id"):
        op.create_index(op.f(f"ix_satisfaction_ratings_{column}"), "satisfaction_ratings", [column], unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("about", sa.String(length=20), nullable=False),
        sa.Column("mediator_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filed_at", WHEN, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=36), nullable=True),
        sa.Column("answered_by_name", sa.String(length=100), nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("answer_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_complaints_case_id_cases")),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_complaints_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_complaints_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["mediator_id"], ["users.id"], name=op.f("fk_complaints_mediator_id_users")),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f("fk_complaints_answered_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    for column in ("case_id", "party_id", "organisation_id"):
        op.create_index(op.f(f"ix_complaints_{column}"), "complaints", [column], unique=False)


def downgrade() -> None:
    for column in ("case_id", "party_id", "organisation_id"):
        op.drop_index(op.f(f"ix_complaints_{column}"), table_name="complaints")
    op.drop_table("complaints")
    for column in ("case_id", "party_id", "mediator_id"):
        op.drop_index(op.f(f"ix_satisfaction_ratings_{column}"), table_name="satisfaction_ratings")
    op.drop_table("satisfaction_ratings")
