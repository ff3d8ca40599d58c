"""The statistics indexes (0032, #23): the schema the migrations build is the models' (server/models/), on
both databases, and the migration goes back cleanly.

Alembic's comparison of the database against ``Base.metadata`` finds what the models declare but no
migration made (an index added to a model alone would make the tests' databases, built from the
migrations, differ from what the code expects), and the reverse.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from server.models import Base
from tests.test_case_registration_migration import empty_database, migrate

__all__ = ["empty_database"]  # the fixture, parametrized over both databases

OURS = {
    "cases": {"ix_cases_registered_on_id", "ix_cases_organisation_registered"},
    "parties": {"ix_parties_invited_as_created_at"},
}


def around_indexes(url: str) -> tuple[str, str]:
    """(the revision it follows, its own), whatever their numbers after merging."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_statistics_indexes.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision, ours.revision


def differences(connection: Connection) -> list[Any]:
    found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # 0028 named the ratings' unique constraint in full where the naming convention (models/base.py) takes
    # the first column only: the same constraint, named otherwise. Anything else is a real difference.
    return [
        d
        for d in found
        if not (
            isinstance(d, tuple)
            and d[0] in ("add_constraint", "remove_constraint")
            and getattr(d[1], "table", None) is not None
            and d[1].table.name == "satisfaction_ratings"
        )
    ]


def indexes(connection: Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    return {table: {str(i["name"]) for i in inspector.get_indexes(table)} & names for table, names in OURS.items()}


def test_the_models_are_the_schema_the_migrations_build_and_the_indexes_go_back(empty_database: str) -> None:
    before, _ = around_indexes(empty_database)
    assert migrate(empty_database, "head", differences) == []
    assert migrate(empty_database, "head", indexes) == OURS

    def downgrade(connection: Connection) -> dict[str, set[str]]:
        config = db.alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        return indexes(connection)

    assert migrate(empty_database, "head", downgrade) == {"cases": set(), "parties": set()}
    assert migrate(empty_database, "head", indexes) == OURS
