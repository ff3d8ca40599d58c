"""The phone PINs' migration (#25) on SQLite and PostgreSQL: the schema it builds is the models'
(server/models/), links issued before it have no PIN, the PIN's hash is unique, and it goes back cleanly."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from tests.test_case_registration_migration import OPENED, empty_database, insert, migrate
from tests.test_statistics_indexes_migration import differences

__all__ = ["empty_database"]  # the fixture, parametrized over both databases


def around_pins(url: str) -> tuple[str, str]:
    """(the revision it follows, its own), whatever their numbers after merging."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_phone_pins.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision, ours.revision


def a_link_issued_before(connection: Connection) -> None:
    insert(connection, "organisations", id="o-1", name="朝阳区人民调解委员会", kind="committee", timezone="Asia/Shanghai")
    insert(connection, "users", id="u-1", username="liu", organisation_id="o-1", role="mediator")
    insert(
        connection, "cases", id="c-1", organisation_id="o-1", case_number="c-1", dispute_type="wages", summary="s",
        status="open", mediator_id="u-1", created_by="u-1", created_at=OPENED,
    )  # fmt: skip
    insert(connection, "parties", id="p-1", case_id="c-1", role="applicant", name="张三")
    insert(connection, "mediation_sessions", id="s-1", case_id="c-1", mediator_id="u-1", timezone="Asia/Shanghai")
    insert(connection, "party_links", id="l-1", party_id="p-1", session_id="s-1", token_hash="a" * 64, expires_at=OPENED)


def pins(connection: Connection) -> tuple[list[Any], set[str]]:
    rows = [tuple(row) for row in connection.execute(sa.text("SELECT id, pin_hash FROM party_links"))]
    unique = {str(u["name"]) for u in sa.inspect(connection).get_unique_constraints("party_links")}
    return rows, unique


def columns(connection: Connection) -> set[str]:
    return {str(c["name"]) for c in sa.inspect(connection).get_columns("party_links")}


def test_links_get_a_unique_pin_hash_as_the_models_say_and_the_migration_goes_back(empty_database: str) -> None:
    before, _ = around_pins(empty_database)
    migrate(empty_database, before, a_link_issued_before)
    rows, unique = migrate(empty_database, "head", pins)
    assert rows == [("l-1", None)], "a link issued before has no PIN (re-issuing it gives one)"
    assert "uq_party_links_pin_hash" in unique and "uq_party_links_token_hash" in unique
    assert migrate(empty_database, "head", differences) == []

    def downgrade(connection: Connection) -> set[str]:
        config = db.alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        return columns(connection)

    assert "pin_hash" not in migrate(empty_database, "head", downgrade)
    assert "pin_hash" in migrate(empty_database, "head", columns)
