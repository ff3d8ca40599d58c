"""Several real ``mediate serve`` processes sharing one PostgreSQL database and one Redis.

They share a data directory too (the platform's keys, the recording master key, the seals), as
processes on one machine do; on several machines those files are copied or set by environment.
Each test gets its own database (from the suite's migrated PostgreSQL template) and its own Redis
key prefix, so tests never see each other's rooms.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from tests.browser.conftest import (
    MEDIATOR_PASSWORD,
    MEDIATOR_USERNAME,
    REPO,
    codes_by_spool,
    free_port,
    last_line,
    mediate_command,
    server_env,
)
from tests.conftest import PG_URL, _pg_admin, _pg_url_for
from tests.static_cache import share_static_cache

REDIS_URL = os.environ.get("MEDIATE_TEST_REDIS_URL", "").strip()

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs PostgreSQL and Redis (scripts/test finds them; CI requires both)"
)


@dataclass
class Cluster:
    data_dir: Path
    database_url: str
    redis_prefix: str
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[ServeProcess] = field(default_factory=list)

    def env(self, url: str | None = None) -> dict[str, str]:
        return {
            **server_env(self.data_dir, url),
            "MEDIATE_DATABASE_URL": self.database_url,
            "MEDIATE_REDIS_URL": REDIS_URL,
            "MEDIATE_REDIS_PREFIX": self.redis_prefix,
            "MEDIATE_MEDIA_LOOPBACK": "1",
            "MEDIATE_SEGMENT_SECONDS": "1.5",
            **codes_by_spool(self.data_dir),
            **self.extra_env,
        }

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*mediate_command(), *args, "--data-dir", str(self.data_dir)],
            check=False, capture_output=True, text=True, timeout=120, cwd=REPO, env=self.env(),
        )  # fmt: skip
        assert done.returncode == 0, f"mediate {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    async def start(self, name: str, env: dict[str, str] | None = None) -> ServeProcess:
        """Start ``mediate serve`` and wait until it is ready; ``env``: this process's own settings
        (each answers phone calls on its own SIP port, for one)."""
        process = ServeProcess(self, name, free_port(), env=env or {})
        self.processes.append(process)
        process.start()
        await process.ready()
        return process


@dataclass
class ServeProcess:
    cluster: Cluster
    name: str
    port: int
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.cluster.data_dir / f"server-{self.name}.log"

    def start(self) -> None:
        share_static_cache(self.cluster.data_dir)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [*mediate_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.cluster.data_dir)],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env={**self.cluster.env(self.url), **self.env},
        )  # fmt: skip

    async def ready(self) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
                try:
                    async with http.get(f"{self.url}/readyz") as res:
                        if res.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, f"{self.name}: no /readyz within 60 s"
                await asyncio.sleep(0.2)

    async def exited(self, within: float) -> int:
        """The exit status once the process ends; waited for in a thread so this loop's clients
        go on answering (pings, media) meanwhile. A process still there names what it waits on
        in its log (server/ops/stopwatch.py), shown here."""
        assert self.proc is not None
        try:
            return await asyncio.to_thread(self.proc.wait, within)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running {within:.0f} s later:\n{self.log.read_text()[-6000:]}") from None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def cluster_database(pg_template: str) -> Iterator[str]:
    name = f"mediate_c_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _pg_url_for(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def cluster(tmp_path: Path, cluster_database: str) -> AsyncIterator[Cluster]:
    prefix = f"mediate-test-{uuid.uuid4().hex}"
    c = Cluster(tmp_path / "data", cluster_database, prefix)
    org = last_line(c.cli("org", "add", "--name", "朝阳区人民调解委员会", "--kind", "committee"))
    c.cli(
        "user", "add", "--username", MEDIATOR_USERNAME, "--password", MEDIATOR_PASSWORD, "--role", "mediator",
        "--display-name", "刘调解员", "--org", org,
    )  # fmt: skip
    yield c
    for process in c.processes:
        process.stop()
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
