"""dispute types: the Ministry of Justice's people's-mediation statistical categories

The dispute types follow the categories the Ministry of Justice counts people's mediation by
(婚姻家庭, 邻里, 房屋宅基地, 损害赔偿, 合同, 山林土地承包经营, 征地拆迁, 劳动争议, 拖欠工资, 村务管理,
环境保护, 交通事故, 医患, 物业, 消费, 其他; issue #21). Six of the old types are categories of their
own and keep their keys; "loans" (民间借贷) is not a category: a loan is a contract (民法典 art. 667),
so its cases become "contract". Only the case's current type changes: the evidence log's
``case_opened`` records and the case history keep the type the case was opened with.

Downgrade: the old list knows none of the new categories, and a former loan can no longer be told
from any other contract case, so every case of a category the old list lacks ("contract" included)
becomes "other".

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: The types before this revision.
OLD_TYPES = ("wages", "neighbours", "loans", "property_management", "traffic", "family", "other")

cases = sa.table("cases", sa.column("dispute_type", sa.String(32)))


def upgrade() -> None:
    op.execute(cases.update().where(cases.c.dispute_type == "loans").values(dispute_type="contract"))


def downgrade() -> None:
    op.execute(cases.update().where(cases.c.dispute_type.not_in(OLD_TYPES)).values(dispute_type="other"))
