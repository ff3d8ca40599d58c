"""outbox: template parameters, the provider's message id, delivery receipts and failures

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("template_params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("provider", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("provider_message_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("error_code", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("failure_reason", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_outbox_provider_message_id"), ["provider_message_id"], unique=False)
    # Codes asked for by a party or to a number, counted by time (server/domain/code_requests.py).
    op.create_index("ix_outbox_kind_party_created", "outbox", ["kind", "party_id", "created_at"], unique=False)
    op.create_index("ix_outbox_kind_recipient_created", "outbox", ["kind", "recipient", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_recipient_created", table_name="outbox")
    op.drop_index("ix_outbox_kind_party_created", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index(batch.f("ix_outbox_provider_message_id"))
        for column in ("delivered_at", "failure_reason", "error_code", "provider_message_id", "provider", "template_params"):
            batch.drop_column(column)
