"""`mediate bench ledger`: what the evidence ledger costs on this machine.

- appends per second: N records appended by 50 concurrent tasks, each as a request does (its own
  transaction, committed together with concurrent requests' by the group commit,
  server/domain/group_commit.py), with the background sequencer running, until a signed
  checkpoint covers them all; on a fresh SQLite database, and on PostgreSQL when `--postgres URL`
  is given (a throwaway database is created on that server and dropped afterwards);
- checkpoint latency: from the last append's commit to a checkpoint that includes it;
- inclusion-proof time at 1,000,000 entries (in memory, from stored subtree hashes, as the
  server's reads do) and, for the database, at the size the append run reached;
- the offline verification time of a case with 1,000 records.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from server import db
from server.composition import make_services
from server.domain.ledger_shapes import Appended
from server.evidence.records import Claim, body_hash, make_body
from server.settings import Settings, normalise_database_url


async def appends(settings: Settings, records: int, concurrency: int = 50, grouped: bool = False) -> dict[str, float]:
    engine = db.make_engine(settings.resolved_database_url)
    await db.upgrade(engine)
    services = make_services(settings, engine)
    ledger = services.ledger
    await ledger.publish_platform_keys()
    stop = asyncio.Event()
    runner = asyncio.create_task(ledger.run(stop))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(records):
        queue.put_nowait(i)

    platform = ledger.keyring.signer("platform")
    # Grouped submissions stand for records signed elsewhere (a party's or mediator's browser),
    # so they are signed before the clock starts: the figure is the ledger's own cost.
    signed = []
    if grouped:
        for i in range(records):
            body = make_body({"i": i})
            claim = Claim(
                ledger.origin,
                "identity_checked",
                f"bench-case-{i % 200}",
                {"kind": "platform", "id": "bench"},
                body_hash(body),
                {"method": "bench"},
            )
            signed.append((claim, [platform.sign(claim.statement)], body))

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            if grouped:
                claim, sigs, body = signed[i]
                await ledger.submit(claim, sigs, body)
                continue
            case = f"bench-case-{i % 200}"

            async def append(session: AsyncSession, case: str = case, i: int = i) -> Appended:
                return await ledger.append_platform(
                    session,
                    type="identity_checked",
                    case=case,
                    actor={"kind": "platform", "id": "bench"},
                    data={"i": i},
                    public={"method": "bench"},
                )

            await services.group_commit.run(append, cases=[case])

    started, started_at = time.perf_counter(), time.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    accepted, accepted_at = time.perf_counter(), time.time()
    while True:
        row = await ledger.latest_checkpoint_row()
        if row is not None and row.size >= records:
            break
        await asyncio.sleep(0.01)
    covered = time.perf_counter()
    stop.set()
    await runner
    proof_times = []
    size = row.size
    for i in range(0, size, max(1, size // 200)):
        t0 = time.perf_counter()
        await ledger.inclusion_proof(i, size)
        proof_times.append(time.perf_counter() - t0)
    await engine.dispose()
    return {
        "appends_per_s": records / (covered - started),
        "accept_per_s": records / (accepted - started),
        "checkpoint_latency_ms": (covered - accepted) * 1000,
        "db_proof_ms": statistics.median(proof_times) * 1000,
        # Wall-clock times, so that appends from several processes at once add up (bench cluster).
        "started_at": started_at,
        "accepted_at": accepted_at,
        "size": float(size),
    }


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(make_url(normalise_database_url(url)), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def postgres_appends(url: str, records: int, grouped: bool) -> dict[str, float]:
    name = f"mediate_bench_{uuid.uuid4().hex[:10]}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    try:
        target = make_url(normalise_database_url(url)).set(database=name).render_as_string(hide_password=False)
        with tempfile.TemporaryDirectory(prefix="mediate-bench-") as tmp:
            return await appends(Settings(data_dir=Path(tmp), database_url=target), records, grouped=grouped)
    finally:
        await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(settings: Settings, records: int = 5000, postgres: str | None = None, proof_entries: int = 1_000_000) -> int:
    print(f"mediate bench ledger: {records} appends from 50 concurrent tasks")
    rows: list[tuple[str, dict[str, float]]] = []
    for grouped in (False, True):
        how = "grouped" if grouped else "request path"
        with tempfile.TemporaryDirectory(prefix="mediate-bench-") as tmp:
            rows.append((f"SQLite, {how}", asyncio.run(appends(Settings(data_dir=Path(tmp)), records, grouped=grouped))))
        if postgres:
            rows.append((f"PostgreSQL, {how}", asyncio.run(postgres_appends(postgres, records, grouped))))
    print(f"{'database, appends':<26}{'appends/s':>11}{'accepted/s':>12}{'checkpoint ms':>15}{'proof ms (db)':>15}")
    for name, r in rows:
        print(
            f"{name:<26}{r['appends_per_s']:>11.0f}{r['accept_per_s']:>12.0f}{r['checkpoint_latency_ms']:>15.1f}{r['db_proof_ms']:>15.3f}"
        )
    print("(request path: each append in a request's own unit of work, signed then, committed with concurrent requests'")
    print(" by the group commit, as a request that also changes a case does;")
    print(" grouped: Ledger.submit, concurrent appends share one transaction (group commit), claims signed beforehand;")
    print(" appends/s counts until a signed checkpoint covers every record; checkpoint ms: after the last append)")

    from server.evidence import bench as proof_bench

    proofs = proof_bench.run(n=proof_entries, samples=10_000)
    print(
        f"inclusion proof at {proof_entries:,} entries: {proofs['proof_ms']:.4f} ms to build, "
        f"{proofs['verify_ms']:.4f} ms to verify (tree built in {proofs['build_s']:.1f} s)"
    )
    try:
        from server.evidence import bench_verify
    except ImportError:
        print("bundle verification: (not available)")
        return 0
    figures = bench_verify.run(records=1000)
    seconds = figures.get("verify_s", figures.get("seconds", float("nan")))
    print(f"offline verification of a 1,000-record case: {seconds:.2f} s")
    return 0
