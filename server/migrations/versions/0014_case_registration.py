"""case registration at the window: where a case came from, the day it was registered, collective cases

Staff register a case with the Ministry of Justice's registration fields (人民调解受理登记表): its
source (案件来源), the other body's reference for it, the registration day (受理日期) and whether it
is a collective dispute (群体性纠纷); a party's age as told when no date of birth is known (#21).

Cases opened before this had no source. A case a court invited (``invited_by_court_id``) came by
the court's referral; every other one was opened by a mediator for an applicant and a respondent,
which was the platform's only door: a party's application. Their registration day is the day
they were opened, in their organisation's zone.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

cases = sa.table(
    "cases",
    sa.column("id", sa.String),
    sa.column("organisation_id", sa.String),
    sa.column("created_at", sa.DateTime),
    sa.column("invited_by_court_id", sa.String),
    sa.column("source", sa.String),
    sa.column("registered_on", sa.Date),
)
organisations = sa.table("organisations", sa.column("id", sa.String), sa.column("timezone", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("source", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("source_reference", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("registered_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("collective", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("age", sa.Integer(), nullable=True))
    connection = op.get_bind()
    connection.execute(cases.update().where(cases.c.invited_by_court_id.is_not(None)).values(source="court_referral"))
    connection.execute(cases.update().where(cases.c.source.is_(None)).values(source="party_application"))
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.created_at, organisations.c.timezone).join(
            organisations, organisations.c.id == cases.c.organisation_id
        )
    ).all()
    for case_id, created_at, zone in rows:
        opened = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        day = opened.astimezone(ZoneInfo(zone or "Asia/Shanghai")).date()
        connection.execute(cases.update().where(cases.c.id == case_id).values(registered_on=day))
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("source", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("registered_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("age")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("collective")
        batch.drop_column("registered_on")
        batch.drop_column("source_reference")
        batch.drop_column("source")
