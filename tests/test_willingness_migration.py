"""The willingness migration (#21) on SQLite and PostgreSQL: links need no session any more, and going back
removes only the links that have none.

Every link before it belongs to a session and keeps it. A link of a question (no session) exists only
after it; a downgrade cannot keep such a link (the column is required again), so it goes, with the
browser sessions it opened, and every session's link stays.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from tests.test_case_registration_migration import OPENED, empty_database, insert, migrate

__all__ = ["empty_database"]  # the fixture, parametrized over both databases


def around_willingness(url: str) -> tuple[str, str]:
    """(the revision it follows, its own), whatever their numbers after merging."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_willingness.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision, ours.revision


def session_and_link(connection: Connection) -> None:
    insert(connection, "organisations", id="o-1", name="朝阳区人民调解委员会", kind="committee", timezone="Asia/Shanghai")
    insert(connection, "users", id="u-1", username="liu", organisation_id="o-1", role="mediator")
    insert(
        connection, "cases", id="c-1", organisation_id="o-1", case_number="c-1", dispute_type="wages", summary="s",
        status="open", mediator_id="u-1", created_by="u-1", created_at=OPENED,
    )  # fmt: skip
    insert(connection, "parties", id="p-1", case_id="c-1", role="respondent", name="李四", phone="13900000002")
    insert(connection, "mediation_sessions", id="s-1", case_id="c-1", mediator_id="u-1", starts_at=OPENED, ends_at=OPENED)
    insert(connection, "party_links", id="l-session", party_id="p-1", session_id="s-1", token_hash="a" * 64, expires_at=OPENED)


def links(connection: Connection) -> dict[str, Any]:
    return {row[0]: row[1] for row in connection.execute(sa.text("SELECT id, session_id FROM party_links"))}


def test_links_keep_their_sessions_and_a_downgrade_drops_only_the_sessionless(empty_database: str) -> None:
    before, ours = around_willingness(empty_database)
    migrate(empty_database, before, session_and_link)

    def question_link(connection: Connection) -> dict[str, Any]:
        insert(
            connection, "party_links", id="l-question", party_id="p-1", session_id=None, token_hash="b" * 64, expires_at=OPENED
        )
        insert(
            connection, "auth_sessions", id="a-1", token_hash="c" * 64, kind="party", party_id="p-1", case_id="c-1",
            session_id=None, link_id="l-question", csrf_token="x", expires_at=OPENED,
        )  # fmt: skip
        return links(connection)

    assert migrate(empty_database, ours, question_link) == {"l-session": "s-1", "l-question": None}

    def downgrade(connection: Connection) -> dict[str, Any]:
        config = db.alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, before)
        assert connection.execute(sa.text("SELECT count(*) FROM auth_sessions")).scalar() == 0
        return links(connection)

    assert migrate(empty_database, ours, downgrade) == {"l-session": "s-1"}
