"""`mediate bench stats`: how fast the ledger (台账) and the statistics answer at 100,000 cases.

A database of ``--cases`` cases over ``--years`` years in a tree of ``--organisations`` organisations
(a province's bureau, its cities' bureaus, their counties' centres and the villages' committees) is
generated (statsdata.py), on SQLite and, with ``--postgres URL``, on a throwaway PostgreSQL database;
then each of the reads below is timed several times and the median printed, beside its target (#23:
under 300 ms for a page, under 2 s for a year's statistics). Printed, not asserted: the figures
depend on the machine.

The monthly snapshot (``statistics_snapshot``, signed at each month's end) is timed by what it reads
and computes, ``snapshots.cohort`` (the figures, each count's cases, each case's last record), for the
busiest committee's last month; signing and writing the one record is the evidence ledger's cost
(`mediate bench ledger`).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from server import db
from server.bench.ledger import _admin
from server.bench.statsdata import Generated, generate
from server.domain.principal import SYSTEM
from server.domain.statistics.service import LedgerQuery, Statistics, _cursor
from server.domain.statistics.snapshots import Cohort, cohort
from server.domain.workdays import Workdays
from server.models import Case, Party, utcnow
from server.settings import normalise_database_url

PAGE_MS = 300.0
YEAR_MS = 2000.0
#: Each read is timed this many times; the median is printed.
RUNS = 5


@dataclass(frozen=True)
class Timing:
    name: str
    target_ms: float
    median_ms: float
    best_ms: float
    #: What the read found, to show it read something: rows on the page, cases counted.
    found: str


async def _timed(name: str, target_ms: float, read: Callable[[], Awaitable[str]], runs: int = RUNS) -> Timing:
    times: list[float] = []
    found = ""
    for _ in range(runs):
        started = time.perf_counter()
        found = await read()
        times.append((time.perf_counter() - started) * 1000)
    return Timing(name, target_ms, statistics.median(times), min(times), found)


async def monthly_snapshot(engine: AsyncEngine, organisation_id: str, month: date) -> Cohort:
    """What the monthly snapshot of ``organisation_id`` for ``month`` states, as ``take_snapshot`` computes it."""
    async with db.make_sessionmaker(engine)() as session:
        return await cohort(session, organisation_id, f"{month:%Y-%m}", utcnow(), Workdays())


async def measure(engine: AsyncEngine, data: Generated) -> list[Timing]:
    """Time the ledger's pages and the statistics on the generated database."""
    service = Statistics(db.make_sessionmaker(engine))
    tree = data.tree
    maker = db.make_sessionmaker(engine)
    async with maker() as session:
        # The busiest county and committee, a closed family case's applicant to search for, and the row
        # half way down the whole tree's ledger (newest first) for a deep page.
        county_of = tree.county_of
        per_committee = dict(
            (await session.execute(select(Case.organisation_id, func.count()).group_by(Case.organisation_id))).all()
        )
        committee = max(tree.committees, key=lambda c: per_committee.get(c, 0))
        county = max(tree.counties, key=lambda k: sum(n for c, n in per_committee.items() if county_of.get(c) == k))
        searched = await session.scalar(
            select(Party.name)
            .join(Case, Case.id == Party.case_id)
            .where(Party.role == "applicant", Case.dispute_type == "family", Case.case_closed_at.is_not(None))
            .order_by(Case.registered_on, Case.id)
            .limit(1)
        )
        total = sum(per_committee.values())
        middle = (
            await session.execute(
                select(Case.registered_on, Case.id)
                .order_by(Case.registered_on.desc(), Case.id.desc())
                .offset(total // 2)
                .limit(1)
            )
        ).first()
    deep = _cursor("registered_on", middle[0], middle[1]) if middle else None
    year = data.last_day.year - 1 if data.last_day.year > data.first_day.year else data.last_day.year
    month = (data.last_day.replace(day=1) - timedelta(days=1)).replace(day=1)
    if month < data.first_day:
        month = data.last_day.replace(day=1)
    # The last quarter that has ended (the report is made after it), else this one.
    this_quarter = date(data.last_day.year, 3 * ((data.last_day.month - 1) // 3) + 1, 1)
    quarter_start = (this_quarter - timedelta(days=1)).replace(day=1)
    quarter_start = quarter_start.replace(month=3 * ((quarter_start.month - 1) // 3) + 1)
    if quarter_start < data.first_day:
        quarter_start = this_quarter

    def page(query: LedgerQuery) -> Callable[[], Awaitable[str]]:
        async def read() -> str:
            found = await service.ledger(SYSTEM, query)
            return f"{len(found.rows)} of {found.total:,}"

        return read

    def figures(organisation_id: str, start: date, end: date, subtree: bool) -> Callable[[], Awaitable[str]]:
        async def read() -> str:
            result = await service.figures(SYSTEM, organisation_id, start, end, subtree=subtree)
            t = result["totals"]
            return f"{t['mediated']:,} cases, {t['successful']:,} successful"

        return read

    async def snapshot() -> str:
        t = (await monthly_snapshot(engine, committee, month)).figures
        return f"{t['mediated']:,} cases, {t['successful']:,} successful"

    async def deputies() -> str:
        t = (await service.deputies(SYSTEM, tree.top, quarter_start.year, (quarter_start.month - 1) // 3 + 1, subtree=True))[
            "totals"
        ]
        return f"{t['cases']:,} cases, {t['settled']:,} settled"

    whole = LedgerQuery(organisation_id=tree.top, subtree=True)
    return [
        await _timed("ledger, first page, a committee", PAGE_MS, page(LedgerQuery(organisation_id=committee))),
        await _timed("ledger, first page, the whole tree", PAGE_MS, page(whole)),
        await _timed(
            "ledger, filtered (type+stage+party), tree",
            PAGE_MS,
            page(LedgerQuery(organisation_id=tree.top, subtree=True, dispute_type="family", stage="closed", q=searched)),
        ),
        await _timed(
            "ledger, deep keyset page (middle), tree",
            PAGE_MS,
            page(LedgerQuery(organisation_id=tree.top, subtree=True, cursor=deep)),
        ),
        await _timed(
            f"statistics, {year}, a county subtree",
            YEAR_MS,
            figures(county, date(year, 1, 1), date(year, 12, 31), True),
            runs=3,
        ),
        await _timed(
            f"statistics, {year}, the whole tree", YEAR_MS, figures(tree.top, date(year, 1, 1), date(year, 12, 31), True), runs=3
        ),
        await _timed(f"monthly snapshot, {month:%Y-%m}, a committee", YEAR_MS, snapshot, runs=3),
        await _timed(
            f"deputies' report, {quarter_start.year} Q{(quarter_start.month - 1) // 3 + 1}, tree", PAGE_MS, deputies, runs=3
        ),
    ]


@dataclass(frozen=True)
class Size:
    cases: int
    organisations: int
    years: int


async def run_on(url: str, size: Size) -> tuple[Generated, list[Timing]]:
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
        data = await generate(engine, size.cases, size.organisations, size.years)
        return data, await measure(engine, data)
    finally:
        await engine.dispose()


async def on_postgres(server: str, size: Size) -> tuple[Generated, list[Timing]]:
    name = f"mediate_bench_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        return await run_on(
            make_url(normalise_database_url(server)).set(database=name).render_as_string(hide_password=False), size
        )
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(database: str, data: Generated, timings: list[Timing]) -> None:
    rows = ", ".join(f"{n:,} {table}" for table, n in data.rows.items())
    print(f"\n{database}: generated in {data.seconds:.1f} s ({rows})")
    print(f"{'read':<44}{'median ms':>11}{'best ms':>10}{'target':>9}  found")
    for t in timings:
        mark = "" if t.median_ms <= t.target_ms else "  (over target)"
        print(f"{t.name:<44}{t.median_ms:>11.1f}{t.best_ms:>10.1f}{t.target_ms:>9.0f}  {t.found}{mark}")


def main(cases: int = 100_000, organisations: int = 200, years: int = 3, postgres: str | None = None) -> int:
    size = Size(cases, organisations, years)
    print(f"mediate bench stats: {cases:,} cases over {years} year(s) in {organisations} organisations; median of {RUNS} runs")
    with tempfile.TemporaryDirectory(prefix="mediate-bench-") as tmp:
        report("SQLite", *asyncio.run(run_on(f"sqlite+aiosqlite:///{Path(tmp) / 'stats.db'}", size)))
    if postgres:
        report("PostgreSQL", *asyncio.run(on_postgres(postgres, size)))
    print("(pages: 50 rows with their parties, mediators, agreement, performance; statistics: every figure and grouping;")
    print(" the deputies' report: every case a people's deputy was invited to in the quarter, over the whole tree;")
    print(" the monthly snapshot: what snapshots.cohort reads and computes for the busiest committee, before signing)")
    return 0
