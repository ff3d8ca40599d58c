"""invited persons: a party row of role "invited" says in what capacity it takes part

People's Mediation Law art. 20 lets the mediator invite relatives, neighbours, experts and others
into the mediation (issue #21: people's deputies, lawyers, village cadres, a guiding judge). They
join from a link like a party's and everyone in the room sees what they are; `invited_as` holds
that capacity (server/domain/vocabulary.py INVITED_AS). Existing rows are parties, agents or
interpreters and keep NULL.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("invited_as", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("invited_as")
