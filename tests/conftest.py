"""Fixtures shared by the whole suite.

Every API test runs against a real aiohttp server and a real database: SQLite always, and
PostgreSQL as well when MEDIATE_TEST_DATABASE_URL names one (CI does). Each test gets a
database in the state of a migrated template, so tests never see each other's data: on SQLite
a copy of the template's file, on PostgreSQL the run's one database emptied (`_pg_empty`), which
takes milliseconds where a copy of the template and its drop took over half a second a test.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import profiles
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server import db
from server.app import create_app
from server.domain.principal import SYSTEM
from server.services import SERVICES, Services
from server.settings import Settings, normalise_database_url
from tests.ice_guard import ice_servers_named_by_settings  # noqa: F401 (autouse: item 10 of issue #19)

PASSWORD = "Correct-Horse-9"
#: Argon2id at its lowest cost: at production cost (RFC 9106, 64 MiB, 3 passes) the five staff of
#: `world` alone took seconds per test on two shared cores. Production's cost is checked by
#: tests/test_settings.py::test_production_hashes_passwords_at_rfc_9106_cost.
CHEAP_PASSWORD_HASH = profiles.CHEAPEST
PG_URL = os.environ.get("MEDIATE_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


#: The day the run started in Shanghai, as ISO text: set once by the process that starts the
#: run, before pytest-xdist starts its workers (they inherit the environment), so every worker
#: counts booking days from the same day even when the run crosses midnight.
RUN_DAY = "MEDIATE_TEST_RUN_DAY"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(RUN_DAY, datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat())


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """One test process more than the machine has cores (``-n auto`` in ``addopts``).

    A third of the suite waits on the clock rather than on a core: media flowing for seconds, a
    phone call's spoken prompts, processes failing over, a server timer in a browser journey. On
    two processes for two cores the machine was busy 1.2–1.3 cores on average (20 min 28 s of CPU in
    a 17 min 52 s run, measured on 2026-12-08); a third process fills what the waiting ones leave:
    the same run took 15 min 15 s for 33 CPU s more. ``-n N`` still decides, and so does
    ``PYTEST_XDIST_AUTO_NUM_WORKERS``: when it is set this answers nothing and xdist's own hook
    reads it.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


def run_day() -> date:
    """The day this run started in Shanghai (see :data:`RUN_DAY`)."""
    return date.fromisoformat(os.environ[RUN_DAY])


#: Each test file's seconds in a whole run (``bash scripts/durations`` writes it from junit.xml).
DURATIONS = Path(__file__).with_name("durations.json")
#: A file not in it yet is taken as a short one.
UNKNOWN_SECONDS = 1.0
#: Where the tests mostly wait on the clock (media flowing for seconds, a phone call's spoken
#: prompts, a process failing over): alone, they leave the cores half idle.
WAITING = ("cluster", "recording", "signaling", "telephony", "ops")
#: Where a test keeps more than one core busy (Chromium, the server and the test's own process).
SEVERAL_CORES = ("browser",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files in the order that keeps both cores busy: longest first, each waiting one beside a browser one.

    pytest-xdist hands each process a whole file at a time (``--dist loadfile``) in collection order
    (``--no-loadscope-reorder`` in ``addopts``: its default puts files with more tests first, which
    left the one-test browser journeys, a minute or more each, for the end while the other process
    had nothing left to do). First the browser files and the files that mostly wait, merged so that
    they run side by side (``_spread``): two waiting files together left the machine half idle for
    minutes, and a browser test fills what a waiting one leaves; then the rest, whose tests keep one
    core each. Within each part the longest first, so that the run ends on short files (#20). The
    order of the tests within a file does not change.

    Before all of them, the files with tests that run alone (``realtime``): the first file goes to
    the first process as the run starts, when the others have nothing under way to finish. Later in
    the run such a test first waited for every other process's test under way to end (a browser
    journey takes up to a minute), and the processes that ended theirs waited idle meanwhile.
    """
    seconds: dict[str, float] = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}

    file_of = {item: Path(str(item.path)).relative_to(config.rootpath).as_posix() for item in items}
    alone = {file_of[item] for item in items if item.get_closest_marker("realtime") is not None}
    spread = _spread([name for name in dict.fromkeys(file_of.values()) if name not in alone], seconds)
    order = {name: i for i, name in enumerate(sorted(alone) + spread)}
    items.sort(key=lambda item: order[file_of[item]])


def _spread(files: list[str], seconds: dict[str, float]) -> list[str]:
    """The waiting files merged into the browser files (each at the same share of its part's total
    time), then the others; each part longest first."""

    def length(name: str) -> float:
        return seconds.get(name, UNKNOWN_SECONDS)

    def folder(name: str) -> str:
        parts = name.split("/")
        return parts[1] if len(parts) > 2 else ""

    def longest_first(names: list[str]) -> list[str]:
        return sorted(names, key=length, reverse=True)

    waiting = longest_first([f for f in files if folder(f) in WAITING])
    busy = longest_first([f for f in files if folder(f) in SEVERAL_CORES])
    rest = longest_first([f for f in files if folder(f) not in WAITING + SEVERAL_CORES])
    total_waiting = sum(map(length, waiting)) or 1.0
    total_busy = sum(map(length, busy)) or 1.0
    merged: list[str] = []
    done_waiting = done_busy = 0.0
    while waiting or busy:
        if waiting and (not busy or done_waiting / total_waiting <= done_busy / total_busy):
            name = waiting.pop(0)
            done_waiting += length(name)
        else:
            name = busy.pop(0)
            done_busy += length(name)
        merged.append(name)
    return merged + rest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A test marked ``realtime`` runs while no other test runs; the others run side by side.

    The suite runs on one process more than the machine has cores (pytest-xdist, ``addopts`` and
    ``pytest_xdist_auto_num_workers``). Tests that measure media
    against the clock (a recording's participants in sync to 0.1 s and a key frame at least every
    6 s, tests/recording/test_recording.py) measure the machine instead when another process takes
    the cores: their own senders encode late, and whole-suite runs failed so. So they take the
    run's lock alone, and every other test shares it. The lock is held over the test's whole
    protocol: its setup, call and teardown, and with them the module's and session's fixtures that
    this test starts or ends (a browser launched, a server started), which a fixture could not
    cover. Two lock files give the lone test precedence: it closes the gate first (no test of
    another process starts), then waits for the room to empty (the tests running end). Without
    workers (one process) there is nobody to wait for.
    """
    with _without_a_foreign_loop(item):
        worker_temp = item.config.option.basetemp if os.environ.get("PYTEST_XDIST_WORKER") else None
        if not worker_temp:
            yield
            return
        yield from _alone_or_together(item, Path(worker_temp).parent)


@contextmanager
def _without_a_foreign_loop(item: pytest.Item) -> Iterator[None]:
    """A test that does not drive the browser runs with no foreign event loop registered.

    The process's browser (tests/browser/conftest.py, one per process) is driven through Playwright's
    *sync* API, which leaves its own loop registered as the thread's running loop between calls;
    pytest-asyncio and ``asyncio.run`` then refuse to start ("cannot be called from a running event
    loop") in a test file that the process runs after a browser file. That loop is idle meanwhile, so
    it is unregistered for such a test (its setup, call and teardown) and put back afterwards.
    """
    foreign = None if "browser" in getattr(item, "fixturenames", ()) else asyncio._get_running_loop()
    if foreign is not None:
        asyncio._set_running_loop(None)
    try:
        yield
    finally:
        if foreign is not None:
            asyncio._set_running_loop(foreign)


def _alone_or_together(item: pytest.Item, locks: Path) -> Iterator[None]:
    """The realtime lock of ``pytest_runtest_protocol`` (its docstring)."""
    # ``locks`` is the run's directory (pytest-N), shared by its workers (popen-gwK).
    alone = item.get_closest_marker("realtime") is not None
    with open(locks / "gate", "a") as gate, open(locks / "room", "a") as room:
        fcntl.flock(gate, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(room, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db.upgrade_blocking(f"sqlite+aiosqlite:///{path}")
    return path


async def _pg_admin(sql: str) -> None:
    url = make_url(normalise_database_url(PG_URL))
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def _pg_url_for(name: str) -> str:
    return make_url(normalise_database_url(PG_URL)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.fail("PostgreSQL backend asked for but MEDIATE_TEST_DATABASE_URL is not set")
    name = f"mediate_tpl_{os.getpid()}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    db.upgrade_blocking(_pg_url_for(name))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_database(pg_template: str) -> Iterator[str]:
    """The run's one PostgreSQL database for tests, copied once from the migrated template."""
    name = f"mediate_t_{os.getpid()}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_empty(name: str) -> None:
    """Back to the template's state: the migrated schema, no rows, sequences at their start.

    Cheaper than a fresh copy of the template per test (a copy and its drop took 0.6 s; this takes
    milliseconds) and as isolated: every connection left to the database is ended first, as a
    drop WITH (FORCE) would. The migrations seed no rows (alembic_version aside), so an empty table
    is the template's. session_replication_role = replica turns triggers off for the transaction:
    the foreign keys' (any order of deletion will do) and the evidence tables' append-only ones.
    """
    dsn = make_url(PG_URL).set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = await conn.fetch(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        sequences = await conn.fetch("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'")
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(
                "".join(f"DELETE FROM {row[0]};" for row in tables)
                + "".join(f"ALTER SEQUENCE {row[0]} RESTART;" for row in sequences)
            )
    finally:
        await conn.close()


def sqlite_copy(tmp_path_factory: pytest.TempPathFactory, template: Path) -> str:
    """The URL of a copy of the migrated template, at the same path for every test of this process.

    The same URL lets the tests keep one engine per database (the ``engine`` fixture). The file is
    replaced, not overwritten: a connection a test left open keeps the old file."""
    folder = tmp_path_factory.getbasetemp() / "database"
    folder.mkdir(exist_ok=True)
    target = folder / "mediate.sqlite3"
    for stale in (target, folder / "mediate.sqlite3-wal", folder / "mediate.sqlite3-shm"):
        stale.unlink(missing_ok=True)
    shutil.copy(template, target)
    url = f"sqlite+aiosqlite:///{target}"
    _ONE_PER_PROCESS.add(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database in the migrated template's state (SQLite: ``sqlite_copy``; PostgreSQL: the run's one, emptied)."""
    if request.param == "sqlite":
        yield sqlite_copy(tmp_path_factory, request.getfixturevalue("sqlite_template"))
        return
    name = request.getfixturevalue("pg_database")
    asyncio.run(_pg_empty(name))
    url = _pg_url_for(name)
    _ONE_PER_PROCESS.add(url)
    yield url


#: The database URLs every test of this process gets (``sqlite_copy``, the PostgreSQL database), and
#: the engine kept for each.
_ONE_PER_PROCESS: set[str] = set()
_ENGINES: dict[str, AsyncEngine] = {}


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The process's engine on the test's database, lent to the test's app (``create_app``).

    SQLAlchemy compiles each statement once per engine; a new engine per test compiled every
    statement again in every test, about a sixth of an API test's time. Its connections are closed
    when the test ends, after the app (a test may go on using the services after stopping the app),
    so the next test, on its own event loop, opens new ones."""
    url = settings.resolved_database_url
    engine = _ENGINES.get(url)
    if engine is None:
        engine = db.make_engine(url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow)
        if url in _ONE_PER_PROCESS:
            _ENGINES[url] = engine
    yield engine
    await engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url="http://mediate.test",
        login_max_failures=5,
        outbox_poll_seconds=0.2,
        # Codes leave through a spool (so a code can be asked for: server/domain/codes.py), and
        # may be asked for back to back (tests/api/test_codes.py keeps the real limits).
        sms_gateway=f"spool:{tmp_path / 'sms.jsonl'}",
        code_interval_seconds=0,
        codes_per_hour=1000,
        codes_per_day=1000,
        password_hash=CHEAP_PASSWORD_HASH,
    )


@dataclass
class Actor:
    """A browser: its own cookie jar, and the CSRF token of its session once logged in."""

    client: TestClient[web.Request, web.Application]
    csrf: str | None = None
    user: dict[str, Any] | None = None

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.csrf:
            out.setdefault("X-CSRF-Token", self.csrf)
        return out

    async def request(self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return await self.client.request(method, path, json=json, headers=self._headers(headers), **kw)

    async def call(self, method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        response = await self.request(method, path, json=json)
        body = await response.json() if response.content_type == "application/json" else await response.text()
        assert response.status == expect, f"{method} {path}: {response.status} {body}"
        return body

    async def login(self, username: str, password: str = PASSWORD) -> Actor:
        body = await self.call("POST", "/api/v1/auth/login", {"username": username, "password": password})
        self.csrf, self.user = body["csrf_token"], body["user"]
        return self

    async def open_link(self, url: str) -> Any:
        path = url.split("mediate.test", 1)[1]
        response = await self.client.get(path, allow_redirects=False)
        if response.status == 303:
            me = await self.call("GET", "/api/v1/auth/me")
            self.csrf = me["csrf_token"]
        return response


@dataclass
class World:
    """Two committees, a court, and their staff; `actor()` opens another browser."""

    app: web.Application
    services: Services
    server: Any
    make_client: Any
    org_a: Any
    org_b: Any
    court: Any
    ids: dict[str, str]

    async def actor(self) -> Actor:
        return Actor(await self.make_client(self.server))

    async def staff(self, username: str) -> Actor:
        return await (await self.actor()).login(username)


@pytest.fixture
async def world(settings: Settings, engine: AsyncEngine, aiohttp_server: Any, aiohttp_client: Any) -> AsyncIterator[World]:
    app = create_app(settings, migrate=False, run_background=False, engine=engine)
    server = await aiohttp_server(app)
    services = app[SERVICES]
    acc = services.accounts
    org_a = await acc.create_organisation(SYSTEM, "朝阳区人民调解委员会", "committee")
    org_b = await acc.create_organisation(SYSTEM, "海淀区矛盾纠纷多元化解中心", "centre")
    court = await acc.create_organisation(SYSTEM, "朝阳区人民法院", "court", court_code="京0105")
    ids = {}
    for username, role, org, name in [
        ("admin1", "admin", None, "管理员"),
        ("liu", "mediator", org_a, "刘调解员"),
        ("wang", "mediator", org_a, "王调解员"),
        ("zhao", "mediator", org_b, "赵调解员"),
        ("judge1", "judge", court, "陈法官"),
    ]:
        user = await acc.create_user(
            SYSTEM,
            username=username,
            display_name=name,
            password=PASSWORD,
            role=role,
            organisation_id=org.id if org else None,
        )
        ids[username] = user.id
    yield World(app, services, server, aiohttp_client, org_a, org_b, court, ids)
