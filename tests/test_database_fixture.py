"""The PostgreSQL database a test gets is in the migrated template's state (tests/conftest.py):
the run keeps one database and empties it before each test instead of copying the template."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, _pg_empty

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (MEDIATE_TEST_DATABASE_URL; scripts/test finds one)")


async def test_emptying_leaves_no_row_no_used_sequence_and_no_connection_of_the_test_before(pg_database: str) -> None:
    dsn = make_url(PG_URL).set(drivername="postgresql", database=pg_database).render_as_string(hide_password=False)
    await _pg_empty(pg_database)
    before = await asyncpg.connect(dsn)  # what a test before could leave: rows, sequences used, a connection
    await before.execute(
        "INSERT INTO organisations (id, name, kind, timezone, created_at) VALUES ('o1', '朝阳区', 'committee', 'Asia/Shanghai', now())"
    )
    assert await before.fetchval("SELECT nextval('outbox_id_seq')") == 1
    assert await before.fetchval("SELECT nextval('outbox_id_seq')") == 2

    await _pg_empty(pg_database)

    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
        await before.fetchval("SELECT 1")
    await before.close()
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM organisations") == 0
        assert await conn.fetchval("SELECT nextval('outbox_id_seq')") == 1
        assert await conn.fetchval("SELECT count(*) FROM alembic_version") == 1, "the schema stays migrated"
    finally:
        await conn.close()
