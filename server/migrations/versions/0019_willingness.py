"""willingness: whether the other side agrees to mediation, and links that need no session

People's Mediation Law art. 17 (a party who clearly refuses may not be mediated) and 在线调解规则
art. 15: before mediation each respondent is asked, through their own link, whether they agree
(server/domain/willingness.py). `willingness_questions` keeps each question and its answer. The
question may come before any session is booked, so a party link may now have no session
(`party_links.session_id` nullable); every existing link keeps its session.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("party_links") as batch:
        batch.alter_column("session_id", existing_type=sa.String(length=36), nullable=True)
    op.create_table(
        "willingness_questions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sa.String(length=36), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answer_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["asked_by"], ["users.id"], name=op.f("fk_willingness_questions_asked_by_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_willingness_questions_case_id_cases")),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_willingness_questions_party_id_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_willingness_questions")),
        sa.UniqueConstraint("case_id", "party_id", name=op.f("uq_willingness_questions_case_id")),
    )
    with op.batch_alter_table("willingness_questions") as batch:
        batch.create_index(batch.f("ix_willingness_questions_case_id"), ["case_id"], unique=False)
        batch.create_index(batch.f("ix_willingness_questions_answer"), ["answer"], unique=False)


def downgrade() -> None:
    op.drop_table("willingness_questions")
    op.execute("DELETE FROM auth_sessions WHERE link_id IN (SELECT id FROM party_links WHERE session_id IS NULL)")
    op.execute("DELETE FROM party_links WHERE session_id IS NULL")
    with op.batch_alter_table("party_links") as batch:
        batch.alter_column("session_id", existing_type=sa.String(length=36), nullable=False)
