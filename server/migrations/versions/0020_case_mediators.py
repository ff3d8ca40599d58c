"""case mediators: several mediators per case, their disclosures, parties' requests, the directory

A committee may have one or several mediators mediate a dispute, designated by it or chosen by the
parties (人民调解法 art. 19); parties choose from a directory of mediators (人民法院在线调解规则
art. 5), each assigned mediator discloses what might affect impartial mediation (art. 13) and a
party may ask for another mediator (art. 14). New tables only: the mediator who opened an existing
case leads it as before (``cases.mediator_id``), without a row here.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "case_mediators",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("assigned_by", sa.String(length=36), nullable=True),
        sa.Column("chosen_by_party_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", WHEN, nullable=False),
        sa.Column("assigned_seq", sa.Integer(), nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        _fk("case_mediators", "case_id", "cases"),
        _fk("case_mediators", "user_id", "users"),
        _fk("case_mediators", "assigned_by", "users"),
        _fk("case_mediators", "chosen_by_party_id", "parties"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_mediators")),
    )
    op.create_index(op.f("ix_case_mediators_case_id"), "case_mediators", ["case_id"], unique=False)
    op.create_index(op.f("ix_case_mediators_user_id"), "case_mediators", ["user_id"], unique=False)
    op.create_table(
        "mediator_disclosures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _fk("mediator_disclosures", "case_id", "cases"),
        _fk("mediator_disclosures", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_disclosures")),
    )
    op.create_index(op.f("ix_mediator_disclosures_case_id"), "mediator_disclosures", ["case_id"], unique=False)
    op.create_table(
        "mediator_change_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("mediator_id", sa.String(length=36), nullable=True),
        sa.Column("preferred_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("requested_seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("replacement_id", sa.String(length=36), nullable=True),
        sa.Column("decided_seq", sa.Integer(), nullable=True),
        _fk("mediator_change_requests", "case_id", "cases"),
        _fk("mediator_change_requests", "party_id", "parties"),
        _fk("mediator_change_requests", "mediator_id", "users"),
        _fk("mediator_change_requests", "preferred_id", "users"),
        _fk("mediator_change_requests", "decided_by", "users"),
        _fk("mediator_change_requests", "replacement_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_change_requests")),
    )
    op.create_index(op.f("ix_mediator_change_requests_case_id"), "mediator_change_requests", ["case_id"], unique=False)
    op.create_table(
        "mediator_profiles",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("specialities", sa.JSON(), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("mediator_profiles", "user_id", "users"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mediator_profiles")),
    )


def downgrade() -> None:
    op.drop_table("mediator_profiles")
    op.drop_index(op.f("ix_mediator_change_requests_case_id"), table_name="mediator_change_requests")
    op.drop_table("mediator_change_requests")
    op.drop_index(op.f("ix_mediator_disclosures_case_id"), table_name="mediator_disclosures")
    op.drop_table("mediator_disclosures")
    op.drop_index(op.f("ix_case_mediators_user_id"), table_name="case_mediators")
    op.drop_index(op.f("ix_case_mediators_case_id"), table_name="case_mediators")
    op.drop_table("case_mediators")
