"""ending grounds and the court's result report

Mediation now ends on one of the grounds of 人民法院在线调解规则 art. 25 (server/domain/outcomes.py
GROUNDS). Cases that ended before on an older reason are moved onto the ground it is
(outcomes.LEGACY); the signed `mediation_ended` records keep the reason they were written with, so
they still verify. A court's lead referral keeps the written result report its mediator made for the
court (特邀调解规定 art. 26 ¶2): the PDF, its hash, who made it and when.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

#: As server.domain.outcomes.LEGACY, frozen here: a migration never changes with the code.
LEGACY = {
    "party_refused": "unwilling",
    "party_withdrew": "unwilling",
    "no_agreement": "divergence",
    "out_of_time": "period_expired",
    "not_signed": "refused_to_sign",
    "other_proceedings": "other",
}

cases = sa.table("cases", sa.column("outcome_reason", sa.String))


def upgrade() -> None:
    for old, new in LEGACY.items():
        op.execute(cases.update().where(cases.c.outcome_reason == old).values(outcome_reason=new))
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("report_pdf", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("report_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("report_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("report_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        for column in ("report_at", "report_by", "report_sha256", "report_pdf"):
            batch.drop_column(column)
    # The older reasons are not restored: several map onto one ground.
