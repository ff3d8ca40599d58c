"""mediation applications: the status link texted to the applicant with staff's answer

When staff accept or decline an online application, the applicant is told by text message on the
phone they confirmed, with a link to their status page. The status link shown when they confirmed
is kept only as its hash, so it cannot be sent again: the text carries a second token to the same
page (only its hash kept too), and the first keeps working.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mediation_applications") as batch:
        batch.add_column(sa.Column("notice_token_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_mediation_applications_notice_token_hash"), ["notice_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("mediation_applications") as batch:
        batch.drop_constraint(batch.f("uq_mediation_applications_notice_token_hash"), type_="unique")
        batch.drop_column("notice_token_hash")
