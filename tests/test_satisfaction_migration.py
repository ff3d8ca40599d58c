"""The satisfaction migration (issue #22) adds the ratings and complaints tables on both databases,
holds one rating per party and occasion under a race (the unique constraint), and goes back cleanly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from tests.test_case_registration_migration import OPENED, empty_database, insert, migrate
from tests.test_willingness_migration import session_and_link

__all__ = ["empty_database"]  # the fixture, parametrized over both databases


def around_satisfaction(url: str) -> tuple[str, str]:
    """(the revision it follows, its own), whatever their numbers after merging."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_satisfaction.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision, ours.revision


def tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def test_ratings_are_one_per_party_and_occasion_and_the_migration_goes_back(empty_database: str) -> None:
    before, ours = around_satisfaction(empty_database)
    migrate(empty_database, before, session_and_link)

    def rate_twice(connection: Connection) -> set[str]:
        rating = {"case_id": "c-1", "party_id": "p-1", "mediator_id": "u-1", "occasion": "session", "occasion_ref": "s-1"}
        insert(connection, "satisfaction_ratings", id="r-1", stars=4, comment="", rated_at=OPENED, seq=7, **rating)
        with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
            insert(connection, "satisfaction_ratings", id="r-2", stars=1, comment="", rated_at=OPENED, seq=8, **rating)
        insert(
            connection, "complaints", id="k-1", case_id="c-1", party_id="p-1", organisation_id="o-1", about="mediator",
            mediator_id="u-1", text="打断我", filed_at=OPENED, seq=9,
        )  # fmt: skip
        return tables(connection)

    assert {"satisfaction_ratings", "complaints"} <= migrate(empty_database, ours, rate_twice)

    def downgrade(connection: Connection) -> set[str]:
        config = db.alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        return tables(connection)

    after = migrate(empty_database, ours, downgrade)
    assert not {"satisfaction_ratings", "complaints"} & after
    assert {"satisfaction_ratings", "complaints"} <= migrate(empty_database, ours, tables)
