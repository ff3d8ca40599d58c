"""indexes for the ledger (台账), the statistics and the people's-deputy report at 100,000 cases (issue #23)

`mediate bench stats` measured the ledger's pages over a whole tree and its deep keyset pages sorting
every case of the tree for each page; these indexes let them read the cases in registration order
and stop after a page, let the statistics of an organisation's period read only its cases, and let
the quarter's people's-deputy report read the few deputies invited rather than every party.

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_cases_registered_on_id"), "cases", ["registered_on", "id"])
    op.create_index(op.f("ix_cases_organisation_registered"), "cases", ["organisation_id", "registered_on", "id"])
    op.create_index(op.f("ix_parties_invited_as_created_at"), "parties", ["invited_as", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_parties_invited_as_created_at"), table_name="parties")
    op.drop_index(op.f("ix_cases_organisation_registered"), table_name="cases")
    op.drop_index(op.f("ix_cases_registered_on_id"), table_name="cases")
