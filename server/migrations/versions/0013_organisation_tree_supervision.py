"""organisations form a tree; supervisors' instructions and the replies to them

Disputes are handled where they arise and supervised from above: a village committee under a
town, a town under a county centre, a county under a city's justice bureau (人民调解法 art. 5:
the justice administration guides people's mediation in its area). An organisation's parent
says where it sits; a supervisor of an organisation reads the cases of everything below it and
issues instructions the handling mediator answers (督办 and 反馈). The instructions' table is
what the supervision board reads; each instruction and reply is also a record in the case's
evidence log.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch.create_index(batch.f("ix_organisations_parent_id"), ["parent_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_organisations_parent_id_organisations"), "organisations", ["parent_id"], ["id"])
    op.create_table(
        "supervision_instructions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("issued_by", sa.String(length=36), nullable=False),
        sa.Column("issued_by_name", sa.String(length=100), nullable=False),
        sa.Column("issued_by_organisation", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("issued_at", WHEN, nullable=False),
        sa.Column("issued_seq", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_by", sa.String(length=36), nullable=True),
        sa.Column("replied_by_name", sa.String(length=100), nullable=True),
        sa.Column("replied_at", WHEN, nullable=True),
        sa.Column("replied_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_supervision_instructions_case_id_cases")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_supervision_instructions_issued_by_users")),
        sa.ForeignKeyConstraint(["replied_by"], ["users.id"], name=op.f("fk_supervision_instructions_replied_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_instructions")),
    )
    op.create_index(op.f("ix_supervision_instructions_case_id"), "supervision_instructions", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_supervision_instructions_case_id"), table_name="supervision_instructions")
    op.drop_table("supervision_instructions")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint(batch.f("fk_organisations_parent_id_organisations"), type_="foreignkey")
        batch.drop_index(batch.f("ix_organisations_parent_id"))
        batch.drop_column("parent_id")
