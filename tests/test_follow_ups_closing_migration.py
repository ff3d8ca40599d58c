"""The follow-ups and closing migration (#22) on SQLite and PostgreSQL: a case mediated before it has no closing
and no visit recorded, keeps every row, and takes them after; going back removes only what it added."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from tests.test_case_registration_migration import OPENED, empty_database, insert, migrate

__all__ = ["empty_database"]  # the fixture, parametrized over both databases


def around_ours(url: str) -> tuple[str, str]:
    """(the revision it follows, its own), whatever their numbers after merging."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_follow_ups_closing.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision, ours.revision


def a_settled_case(connection: Connection) -> None:
    insert(connection, "organisations", id="o-1", name="朝阳区人民调解委员会", kind="committee", timezone="Asia/Shanghai")
    insert(connection, "users", id="u-1", username="liu", organisation_id="o-1", role="mediator")
    insert(
        connection, "cases", id="c-1", organisation_id="o-1", case_number="c-1", dispute_type="wages", summary="s",
        status="settled", mediator_id="u-1", created_by="u-1", created_at=OPENED, closed_at=OPENED,
    )  # fmt: skip


def columns(connection: Connection, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(connection).get_columns(table)}


def test_a_case_mediated_before_has_no_closing_and_a_downgrade_removes_only_the_new_parts(empty_database: str) -> None:
    before, ours = around_ours(empty_database)
    migrate(empty_database, before, a_settled_case)

    def after(connection: Connection) -> Any:
        row = connection.execute(sa.text("SELECT status, case_closed_at, closing_reason FROM cases WHERE id = 'c-1'")).one()
        insert(connection, "follow_ups", id="f-1", case_id="c-1", plan="sealed_7", planned_on=OPENED.date(), created_at=OPENED)
        return tuple(row), sa.inspect(connection).has_table("follow_ups")

    assert migrate(empty_database, ours, after) == (("settled", None, None), True)

    def downgrade(connection: Connection) -> Any:
        config = db.alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        kept = connection.execute(sa.text("SELECT status FROM cases WHERE id = 'c-1'")).scalar()
        return kept, sa.inspect(connection).has_table("follow_ups"), "case_closed_at" in columns(connection, "cases")

    assert migrate(empty_database, ours, downgrade) == ("settled", False, False)
