"""A court's case numbers: one yearly sequence per court, never the same number twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from server.domain.court_numbers import assign, next_sequence
from server.domain.principal import SYSTEM
from tests.conftest import World

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_each_court_counts_its_own_cases_year_by_year(world: World) -> None:
    other = await world.services.accounts.create_organisation(SYSTEM, "达拉特旗人民法院", "court", court_code="蒙0621")
    maker = world.services.links._maker
    late_2026 = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)  # 23:00 in Beijing: still 2026 at the court
    async with maker() as db, db.begin():
        first = await assign(db, world.court, late_2026)
        second = await assign(db, world.court, late_2026)
        elsewhere = await assign(db, other, late_2026)
        next_year = await assign(db, world.court, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 00:00 on 1 January
    assert (first, second) == ("（2026）京0105民特1号", "（2026）京0105民特2号")
    assert elsewhere == "（2026）蒙0621民特1号"
    assert next_year == "（2027）京0105民特1号"


async def test_numbers_taken_at_the_same_moment_are_all_different(world: World) -> None:
    maker = world.services.links._maker

    async def take() -> int:
        async with maker() as db, db.begin():
            return await next_sequence(db, world.court.id, 2030)

    taken = await asyncio.gather(*(take() for _ in range(25)))
    assert sorted(taken) == list(range(1, 26))


async def test_several_processes_never_take_the_same_number(world: World) -> None:
    url = world.services.settings.resolved_database_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    command = [sys.executable, "-m", "tests.court_numbers_worker", url, world.court.id, "2031", "10"]
    workers = [
        await asyncio.create_subprocess_exec(*command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    taken: list[int] = []
    for worker in workers:
        out, err = await worker.communicate()
        assert worker.returncode == 0, err.decode()
        taken += [int(n) for n in out.split()]
    assert sorted(taken) == list(range(1, 31))
