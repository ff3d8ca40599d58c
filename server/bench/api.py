"""`mediate bench api`: requests per second and latency of the two busiest API calls.

A real `mediate serve` runs in its own process (as in production: the load generator must not
share the server's event loop) on a fresh SQLite database, or on MEDIATE_DATABASE_URL if set.
N concurrent clients then, for a fixed time each:
  - open a party link (the token lookup, a new browser session, the history row), and
  - book a session (login once, then availability, conflict check under the mediator lock,
    the session, two links, two outbox messages and the history, in one transaction).
Each booking client works for its own mediator, so no request fails on a conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from server import db
from server.composition import make_services
from server.domain.principal import SYSTEM
from server.settings import Settings

PASSWORD = "Bench-password-9"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    seconds: float

    def row(self) -> str:
        lat = sorted(self.latencies)

        def ms(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

        rps = len(lat) / self.seconds if self.seconds else 0
        mean = statistics.mean(lat) * 1000 if lat else 0
        return f"{self.name:<22}{len(lat):>9}{self.errors:>8}{rps:>10.1f}{ms(0.5):>9.1f}{ms(0.99):>9.1f}{mean:>9.1f}"


async def prepare(settings: Settings, clients: int) -> list[str]:
    """One mediator per booking client; each opens its own case through the API later."""
    engine = db.make_engine(settings.resolved_database_url)
    await db.upgrade(engine)
    services = make_services(settings, engine)
    org = await services.accounts.create_organisation(SYSTEM, f"基准测试调解委员会{time.time_ns()}", "committee")
    usernames = []
    for i in range(clients):
        username = f"bench{time.time_ns()}_{i}"
        await services.accounts.create_user(
            SYSTEM, username=username, display_name=f"调解员{i}", password=PASSWORD, role="mediator", organisation_id=org.id
        )
        usernames.append(username)
    await engine.dispose()
    return usernames


async def login(session: aiohttp.ClientSession, base: str, username: str) -> str:
    async with session.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}) as r:
        r.raise_for_status()
        return str((await r.json())["csrf_token"])


#: Parties of a benchmark case, in order: a case may have several on each side.
PARTY_ROLES = ("applicant", "respondent", "applicant", "respondent")


async def open_bookable_case(
    session: aiohttp.ClientSession, base: str, username: str, case_number: str, parties: int = 2
) -> tuple[dict[str, str], str]:
    """Log in as ``username``, make them bookable around the clock, open a case with ``parties`` parties.

    Returns the CSRF headers of the login and the case id.
    """
    csrf = await login(session, base, username)
    headers = {"X-CSRF-Token": csrf}
    async with session.get(f"{base}/api/v1/auth/me") as r:
        me = (await r.json())["user"]["id"]
    every_day = {"timezone": "Asia/Shanghai", "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}
    async with session.put(f"{base}/api/v1/users/{me}/availability", json=every_day, headers=headers) as r:
        r.raise_for_status()
    async with session.post(
        f"{base}/api/v1/cases",
        json={"case_number": case_number, "dispute_type": "wages", "source": "party_application", "summary": "基准"},
        headers=headers,
    ) as r:
        case_id = str((await r.json())["id"])
    for i in range(parties):
        party = {"role": PARTY_ROLES[i % len(PARTY_ROLES)], "name": f"当事人{i}", "phone": f"1380000{i:04d}"}
        async with session.post(f"{base}/api/v1/cases/{case_id}/parties", json=party, headers=headers) as r:
            if r.status >= 400:
                raise RuntimeError(f"adding a party failed: {r.status} {await r.text()}")
    return headers, case_id


async def booking_client(base: str, username: str, seconds: float, out: Result, links: list[str]) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        headers, case_id = await open_bookable_case(session, base, username, f"BENCH-{username}")
        slot = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            body = {"starts_at": slot.isoformat(), "duration_minutes": 30, "timezone": "Asia/Shanghai"}
            slot += timedelta(minutes=60)
            started = time.perf_counter()
            async with session.post(f"{base}/api/v1/cases/{case_id}/sessions", json=body, headers=headers) as r:
                answer = await r.json()
                elapsed = time.perf_counter() - started
                if r.status == 201:
                    out.latencies.append(elapsed)
                    links.extend(link["url"] for link in answer["links"])
                else:
                    out.errors += 1


async def link_client(base: str, urls: list[str], seconds: float, out: Result) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        end, i = time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            token = urls[i % len(urls)].rsplit("/j/", 1)[1]
            i += 1
            started = time.perf_counter()
            async with session.get(f"{base}/j/{token}", allow_redirects=False) as r:
                await r.read()
                elapsed = time.perf_counter() - started
                if r.status == 303:
                    out.latencies.append(elapsed)
                else:
                    out.errors += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(settings: Settings, **extra_env: str) -> AsyncIterator[tuple[str, int]]:
    """A real `mediate serve` in its own process on a free port; yields (base URL, pid) once it answers."""
    port = free_port()
    env = dict(
        os.environ,
        MEDIATE_PORT=str(port),
        MEDIATE_HOST="127.0.0.1",
        MEDIATE_DATA_DIR=str(settings.data_dir),
        MEDIATE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # Every client logs in from this one address at once: each login is counted against the
        # address until its password is checked (server/domain/login_throttle.py).
        MEDIATE_LOGIN_ADDRESS_MAX_FAILURES="100000",
        **extra_env,
    )
    if settings.database_url:
        env["MEDIATE_DATABASE_URL"] = settings.database_url
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as probe:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with probe.get(f"{base}/healthz") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)


async def run(settings: Settings, clients: int, seconds: float) -> list[Result]:
    usernames = await prepare(settings, clients)
    async with serving(settings) as (base, _):
        booking = Result("book a session", [], 0, seconds)
        links: list[str] = []
        await asyncio.gather(*(booking_client(base, u, seconds, booking, links) for u in usernames))
        opening = Result("open party link", [], 0, seconds)
        await asyncio.gather(*(link_client(base, links[i::clients] or links, seconds, opening) for i in range(clients)))
        return [opening, booking]


def main(settings: Settings, clients: int = 50, seconds: float = 10.0) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-") as tmp:
        if not settings.database_url:
            settings = settings.with_overrides(data_dir=Path(tmp))
        backend = "PostgreSQL" if settings.database_url and "postgres" in settings.database_url else "SQLite"
        print(f"mediate bench api: {clients} concurrent clients, {seconds:.0f} s per call, {backend}, server in its own process")
        results = asyncio.run(run(settings, clients, seconds))
    print(f"{'call':<22}{'requests':>9}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for result in results:
        print(result.row())
    return 0
