"""The registration migration (#21) on SQLite and PostgreSQL: cases opened before it get a source and a day.

A case a court invited came by the court's referral; any other was opened by a mediator for an
applicant, the platform's only door then: a party's application. Its registration day is the day it
was opened in its organisation's zone (01:30 UTC on 5 December is 09:30 in Beijing, but still
4 December in New York).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from tests.conftest import BACKENDS, _pg_admin, _pg_url_for

OPENED = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)


def before_registration(url: str) -> str:
    """The revision the registration migration follows (whatever its number after merging)."""
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_case_registration.py")]
    down = ours.down_revision
    assert isinstance(down, str)
    return down


def migrate(url: str, revision: str, then: Any = None) -> Any:
    def run(connection: Connection) -> Any:
        config = db.alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return then(connection) if then else None

    async def main() -> Any:
        engine = db.make_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(run)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def insert(connection: Connection, table_name: str, /, **values: Any) -> None:
    """A row as the older schema had it: what a column needs and the test does not say is filled in."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    filler = {sa.String: "x", sa.Integer: 1, sa.Boolean: False, sa.DateTime: OPENED, sa.Date: OPENED.date()}
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default is not None:
            continue
        values[column.name] = next(v for kind, v in filler.items() if isinstance(column.type, kind))
    connection.execute(table.insert().values(**values))


def old_cases(connection: Connection) -> None:
    insert(connection, "organisations", id="o-bj", name="朝阳区人民调解委员会", kind="committee", timezone="Asia/Shanghai")
    insert(connection, "organisations", id="o-ny", name="纽约华人调解中心", kind="centre", timezone="America/New_York")
    insert(connection, "organisations", id="o-court", name="朝阳区人民法院", kind="court", timezone="Asia/Shanghai")
    insert(connection, "users", id="u-1", username="liu", organisation_id="o-bj", role="mediator")
    cases = [("c-applied", "o-bj", None), ("c-invited", "o-bj", "o-court"), ("c-ny", "o-ny", None)]
    for case_id, org, court in cases:
        insert(
            connection, "cases", id=case_id, organisation_id=org, case_number=case_id, dispute_type="wages",
            summary="s", status="open", mediator_id="u-1", created_by="u-1", created_at=OPENED, invited_by_court_id=court,
        )  # fmt: skip


def read_cases(connection: Connection) -> dict[str, tuple[Any, ...]]:
    rows = connection.execute(sa.text("SELECT id, source, registered_on, collective, source_reference FROM cases"))
    # SQLite answers raw SQL with text and 0/1: compare as text and truth values on both.
    return {row[0]: (row[1], str(row[2]), bool(row[3]), row[4]) for row in rows}


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"mediate_mig_{os.getpid()}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield _pg_url_for(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_cases_opened_before_registration_get_their_source_and_registration_day(empty_database: str) -> None:
    migrate(empty_database, before_registration(empty_database), old_cases)
    found = migrate(empty_database, "head", read_cases)
    assert found == {
        "c-applied": ("party_application", "2026-12-05", False, None),
        "c-invited": ("court_referral", "2026-12-05", False, None),
        "c-ny": ("party_application", "2026-12-04", False, None),
    }
