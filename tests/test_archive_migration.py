"""The archive migration (#22) on SQLite and PostgreSQL: organisations get the 30-year rule, cases and
documents keep every row; a filed document then changes in one way only (its bytes destroyed, once,
naming the record), and going back removes only what it added and makes documents unchangeable again."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from server import db
from tests.test_case_registration_migration import OPENED, empty_database, insert, migrate
from tests.test_follow_ups_closing_migration import a_settled_case, columns

__all__ = ["empty_database"]  # the fixture, parametrized over both databases


def around_ours(url: str) -> tuple[str, str]:
    """(the revision it follows, its own), whatever their numbers after merging."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_archive_retention.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision, ours.revision


def a_filed_document(connection: Connection) -> None:
    a_settled_case(connection)
    insert(
        connection, "case_documents", id="d-1", case_id="c-1", kind="upload", name="工资条.pdf", content_type="application/pdf",
        sha256="a" * 64, size=9, data=b"%PDF-1.4 ", uploaded_by_kind="staff", uploaded_by_name="刘调解员", created_at=OPENED,
    )  # fmt: skip


def refused(connection: Connection, sql: str, **params: Any) -> bool:
    """Whether the database refuses this statement (tried in a savepoint, so that the test goes on)."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text(sql), params)
    except DBAPIError:
        return True
    return False


def test_documents_filed_before_are_kept_and_then_only_destroyed(empty_database: str) -> None:
    before, ours = around_ours(empty_database)
    migrate(empty_database, before, a_filed_document)

    def after(connection: Connection) -> Any:
        years = connection.execute(sa.text("SELECT case_file_retention_years FROM organisations WHERE id = 'o-1'")).scalar()
        archived = connection.execute(sa.text("SELECT archived_at, retained_until FROM cases WHERE id = 'c-1'")).one()
        other = refused(connection, "UPDATE case_documents SET name = 'x.pdf' WHERE id = 'd-1'")
        kept_bytes = refused(
            connection, "UPDATE case_documents SET destroyed_at = :t, destroyed_seq = 3 WHERE id = 'd-1'", t=OPENED
        )
        destroy = "UPDATE case_documents SET data = :empty, destroyed_at = :t, destroyed_seq = 3 WHERE id = 'd-1'"
        first = refused(connection, destroy, empty=b"", t=OPENED)
        again = refused(connection, destroy, empty=b"", t=OPENED)
        deleted = refused(connection, "DELETE FROM case_documents WHERE id = 'd-1'")
        row = connection.execute(sa.text("SELECT sha256, size, length(data), destroyed_seq FROM case_documents")).one()
        return years, tuple(archived), (other, kept_bytes, first, again, deleted), tuple(row)

    assert migrate(empty_database, ours, after) == (
        30, (None, None), (True, True, False, True, True), ("a" * 64, 9, 0, 3),
    )  # fmt: skip

    def downgrade(connection: Connection) -> Any:
        config = db.alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        return (
            "destroyed_at" in columns(connection, "case_documents"),
            "archived_at" in columns(connection, "cases"),
            "case_file_retention_years" in columns(connection, "organisations"),
            refused(connection, "UPDATE case_documents SET name = 'x.pdf' WHERE id = 'd-1'"),
            connection.execute(sa.text("SELECT count(*) FROM case_documents")).scalar(),
        )

    assert migrate(empty_database, ours, downgrade) == (False, False, False, True, 1)


@pytest.mark.parametrize("empty_database", ["sqlite"], indirect=True)
def test_the_migration_goes_up_again_after_going_down(empty_database: str) -> None:
    before, ours = around_ours(empty_database)
    migrate(empty_database, ours, a_filed_document)
    migrate(empty_database, ours, lambda c: command.downgrade(_config(empty_database, c), before))
    assert migrate(empty_database, ours, lambda c: "destroyed_at" in columns(c, "case_documents")) is True


def _config(url: str, connection: Connection) -> Any:
    config = db.alembic_config(url)
    config.attributes["connection"] = connection
    return config
