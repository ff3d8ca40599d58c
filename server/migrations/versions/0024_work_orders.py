"""work orders: a hotline's system sends orders with a key its organisation issued (issue #21)

A one-stop centre takes work orders from the 12345 hotline (12345 派单). The hotline's system sends
each order to an authenticated endpoint with a key an administrator issued to it (only its hash is
kept here); each order becomes a case of the organisation, or joins the case of the dispute it
repeats, and the hotline reads the result through the same interface.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hotline_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("receiver_id", sa.String(length=36), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_hotline_keys_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["receiver_id"], ["users.id"], name=op.f("fk_hotline_keys_receiver_id_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_hotline_keys_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_hotline_keys_prefix")),
    )
    op.create_index(op.f("ix_hotline_keys_organisation_id"), "hotline_keys", ["organisation_id"], unique=False)
    op.create_table(
        "work_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("caller_phone", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_work_orders_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["key_id"], ["hotline_keys.id"], name=op.f("fk_work_orders_key_id_hotline_keys")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_work_orders_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("organisation_id", "order_number", name=op.f("uq_work_orders_organisation_id")),
    )
    op.create_index(op.f("ix_work_orders_organisation_id"), "work_orders", ["organisation_id"], unique=False)
    op.create_index(op.f("ix_work_orders_case_id"), "work_orders", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_work_orders_case_id"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_organisation_id"), table_name="work_orders")
    op.drop_table("work_orders")
    op.drop_index(op.f("ix_hotline_keys_organisation_id"), table_name="hotline_keys")
    op.drop_table("hotline_keys")
