"""mediation applications: a party applies online from the public page (issue #21)

People's Mediation Law art. 17: a party may apply to a committee for mediation. The public page
(/apply) takes the application; it counts once the applicant confirms their phone with a code,
and waits in the organisation's queue for acceptance or refusal within 3 working days (在线调解规则
art. 12). An accepted application's case takes the application's id; the files attached become
the case file's documents. No existing row changes.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
TABLE = "mediation_applications"
FILES = "mediation_application_files"  # what the applicant attached


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("centre_assigns", sa.Boolean(), nullable=False),
        sa.Column("preferred_mediator_id", sa.String(length=36), nullable=True),
        sa.Column("applicant", sa.JSON(), nullable=False),
        sa.Column("respondents", sa.JSON(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("requests", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_nonce", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", WHEN, nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", WHEN, nullable=True),
        sa.Column("status_token_hash", sa.String(length=64), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("decline_routes", sa.JSON(), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_mediation_applications_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["preferred_mediator_id"], ["users.id"], name=op.f("fk_mediation_applications_preferred_mediator_id_users")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_mediation_applications_decided_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_applications")),
        sa.UniqueConstraint("status_token_hash", name=op.f("uq_mediation_applications_status_token_hash")),
    )
    for column in ("organisation_id", "phone", "client_address", "status", "created_at"):
        op.create_index(op.f(f"ix_mediation_applications_{column}"), TABLE, [column], unique=False)
    op.create_table(
        FILES,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], [f"{TABLE}.id"], name=op.f("fk_mediation_application_files_application_id_mediation_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_application_files")),
    )
    op.create_index(op.f("ix_mediation_application_files_application_id"), FILES, ["application_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mediation_application_files_application_id"), table_name=FILES)
    op.drop_table(FILES)
    for column in ("organisation_id", "phone", "client_address", "status", "created_at"):
        op.drop_index(op.f(f"ix_mediation_applications_{column}"), table_name=TABLE)
    op.drop_table(TABLE)
