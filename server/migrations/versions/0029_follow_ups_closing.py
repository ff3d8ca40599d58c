"""follow-ups and case closing: the mediator's visits after the agreement, and closing the case (结案) (issue #22)

People's Mediation Law art. 31: the committee follows up the agreement's performance (回访) and the
case is closed (结案) once it is performed or for a recorded reason. ``follow_ups`` holds each visit,
planned (by rule: 7 and 30 days after sealing and after each last day, or by hand) and recorded
(how, what was found, the parties' satisfaction, the remaining risk and what was done about it,
``follow_up_recorded`` record ``record_seq``). ``cases`` gains the closing: when, by whom, its record
(``case_closed``), the reason and its text. A case's ``closed_at`` stays what it was: when mediation
ended (settled or failed), which is not the case being closed.

Revision ID: 0029
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("plan", sa.String(length=80), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("recorded_at", WHEN, nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=True),
        sa.Column("record_seq", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("performance", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.String(length=20), nullable=True),
        sa.Column("risk", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_follow_ups_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_follow_ups_created_by_users")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_follow_ups_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("case_id", "plan", name=op.f("uq_follow_ups_case_id")),
    )
    op.create_index(op.f("ix_follow_ups_case_id"), "follow_ups", ["case_id"], unique=False)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("case_closed_at", WHEN, nullable=True))
        batch.add_column(sa.Column("case_closed_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("case_closed_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closing_reason", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("closing_note", sa.Text(), nullable=True))


def downgrade() -> None:
    # The visits first: SQLite rebuilds ``cases`` to drop its columns, which rows referring to it would refuse.
    op.drop_index(op.f("ix_follow_ups_case_id"), table_name="follow_ups")
    op.drop_table("follow_ups")
    with op.batch_alter_table("cases") as batch:
        for column in ("closing_note", "closing_reason", "case_closed_seq", "case_closed_by", "case_closed_at"):
            batch.drop_column(column)
