"""login throttling: one counter row per account, client address, and account from one address

The failures table was read before a password was checked and written after, so guesses sent
at once were all checked (#19). A row per key is reserved by one locked update instead
(server/domain/login_throttle.py); the old rows only counted towards a 15-minute window and
are not carried over.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forget_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(op.f("ix_login_throttles_forget_at"), "login_throttles", ["forget_at"], unique=False)
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_index(batch.f("ix_login_failures_username"))
        batch.drop_index(batch.f("ix_login_failures_at"))
    op.drop_table("login_failures")


def downgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures") as batch:
        batch.create_index(batch.f("ix_login_failures_at"), ["at"], unique=False)
        batch.create_index(batch.f("ix_login_failures_username"), ["username"], unique=False)
    op.drop_index(op.f("ix_login_throttles_forget_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
