"""party links: a PIN to join the session by phone (issue #25)

A party without a smartphone dials the organisation's number and types a six-digit PIN on the
keypad; each session link has its own. Only the PIN's HMAC under a server-side key is kept
(server/domain/phone_pins.py), unique so that a PIN names one link; a link whose PIN is given up
(re-issued, withdrawn, or expired and drawn again) holds none. Links issued before have no PIN:
re-issuing one gives it one.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("party_links") as batch:
        batch.add_column(sa.Column("pin_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_party_links_pin_hash"), ["pin_hash"])


def downgrade() -> None:
    with op.batch_alter_table("party_links") as batch:
        batch.drop_constraint(batch.f("uq_party_links_pin_hash"), type_="unique")
        batch.drop_column("pin_hash")
