"""`mediate bench cluster`: one `mediate serve` process against two, on PostgreSQL and Redis.

Real processes on this machine, sharing a throwaway PostgreSQL database, one Redis (under a key
prefix of their own) and a data directory, as ``deploy/`` runs them. The load comes from this
process, which shares the machine's cores with the servers: every figure is printed beside the
cores the servers and the load generator used, so that a reader can tell a server limit from a
load-generator limit. Nothing is asserted.

  1. signaling: ``--clients`` parties (default 1,000) connected over Socket.IO, two per session;
     each sends ``device`` events as fast as its acks come back. Ack p50/p99, acks per second,
     and ``participants`` updates relayed to the other party (the room's fan-out). With two
     processes, each session's two parties sit on different processes, so every relay crosses
     Redis: the worst case, not the usual one (nginx keeps a session on one process).
  2. recorded 3-person sessions (mediator and two consenting parties, everyone publishing VP8
     and Opus): the most one process holds with every frame recorded, then the same with two
     processes side by side (``server.bench.recording`` measures each step).
  3. the evidence log: appends per second on PostgreSQL from one process, then from two at once
     (each appending in its own transactions; one sequencer at a time extends the Merkle tree).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import socketio
from sqlalchemy.engine import make_url

from server import db
from server.app import make_services
from server.bench.api import prepare, serving
from server.bench.ledger import _admin, appends
from server.bench.media import pct
from server.bench.peers import NS, Booked, ServerCpu, book_sessions, encode_audio, encode_video
from server.bench.recording import Step, bind_key, run_step
from server.settings import Settings, normalise_database_url
from signaling import aiortc_hooks

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


@dataclass
class Signaling:
    processes: int
    clients: int
    acks: list[float] = field(default_factory=list)
    relayed: int = 0
    seconds: float = 0.0
    server_cores: list[float] = field(default_factory=list)
    generator_cores: float = 0.0

    def row(self) -> str:
        return (
            f"  {self.processes} process(es), {self.clients} clients: ack p50 {pct(self.acks, 0.5) * 1000:.1f} ms, "
            f"p99 {pct(self.acks, 0.99) * 1000:.1f} ms; {len(self.acks) / self.seconds:.0f} acks/s, "
            f"{self.relayed / self.seconds:.0f} updates relayed/s; servers "
            f"{' + '.join(f'{c:.2f}' for c in self.server_cores)} cores, load generator {self.generator_cores:.2f}"
        )


async def signaling(bases: list[str], pids: list[int], booked: list[Booked], seconds: float) -> Signaling:
    out = Signaling(len(bases), 2 * len(booked))
    clients: list[socketio.AsyncClient] = []
    gate = asyncio.Semaphore(50)

    async def connect(base: str, cookie: str) -> None:
        sio = socketio.AsyncClient(reconnection=False)

        def relayed(_: Any) -> None:
            out.relayed += 1

        sio.on("participants", relayed, namespace=NS)
        async with gate:
            await sio.connect(
                base, headers={"Cookie": f"mediate_session={cookie}"}, namespaces=[NS], transports=["websocket"], wait_timeout=30
            )
        clients.append(sio)

    # Party 0 of every session on the first process, party 1 on the last.
    await asyncio.gather(*(connect(bases[i % len(bases)], b.party_cookies[i]) for b in booked for i in (0, 1)))
    await asyncio.sleep(2.0)
    out.relayed = 0
    stop = time.perf_counter() + seconds

    async def client(sio: socketio.AsyncClient) -> None:
        i = 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            await sio.call("device", {"camera": "ok" if i % 2 else "off", "microphone": "ok"}, namespace=NS, timeout=30)
            out.acks.append(time.perf_counter() - started)
            i += 1

    cpus = [ServerCpu(pid) for pid in pids]
    before, own, started = [c.seconds() for c in cpus], time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(sio) for sio in clients))
    out.seconds = time.perf_counter() - started
    out.server_cores = [(c.seconds() - b) / out.seconds for c, b in zip(cpus, before, strict=True)]
    out.generator_cores = (time.process_time() - own) / out.seconds
    await asyncio.gather(*(sio.disconnect() for sio in clients))
    return out


@dataclass
class Recorded:
    one: list[Step] = field(default_factory=list)
    two: list[tuple[Step, Step]] = field(default_factory=list)

    @property
    def one_holds(self) -> int:
        return max((s.sessions for s in self.one if s.holds), default=0)

    @property
    def two_hold(self) -> int:
        return max((a.sessions + b.sessions for a, b in self.two if a.holds and b.holds), default=0)


def step_row(label: str, step: Step) -> str:
    return (
        f"  {label}: {step.sessions} session(s) recorded: server {step.recording.server:.2f} cores, load generator "
        f"{step.recording.generator:.2f}, video delivered {step.delivered * 100:.1f}%, "
        f"{'every frame recorded' if not any(step.lost().values()) else 'frames lost'}"
    )


async def recorded(
    settings: Settings, processes: list[tuple[str, int]], username: str, spool: Path, max_sessions: int, window: float, kbps: int
) -> Recorded:
    out = Recorded()
    engine = db.make_engine(settings.resolved_database_url)
    recordings = make_services(settings, engine).recordings
    media = (encode_video(kbps), encode_audio())
    try:
        (base1, pid1), (base2, pid2) = processes
        pool = await book_sessions(base1, username, max_sessions * (max_sessions + 1) * 2, 2)
        keys = [await bind_key(base1, cookie, spool) for cookie in pool[0].party_cookies]
        for count in range(1, max_sessions + 1):
            batch, pool = pool[:count], pool[count:]
            step = await run_step(base1, ServerCpu(pid1), recordings, batch, media, keys, window)
            out.one.append(step)
            print(step_row("one process ", step), flush=True)
            if not step.holds:
                break
        for count in range(1, max_sessions + 1):
            first, second, pool = pool[:count], pool[count : 2 * count], pool[2 * count :]
            a, b = await asyncio.gather(
                run_step(base1, ServerCpu(pid1), recordings, first, media, keys, window),
                run_step(base2, ServerCpu(pid2), recordings, second, media, keys, window),
            )
            out.two.append((a, b))
            print(step_row("process 1 of 2", a), flush=True)
            print(step_row("process 2 of 2", b), flush=True)
            if not (a.holds and b.holds):
                break
    finally:
        await engine.dispose()
    return out


def ledger_worker(database_url: str, data_dir: str, records: int) -> int:
    """One process appending to the evidence log (run by `bench cluster` as a subprocess)."""
    settings = Settings(data_dir=Path(data_dir), database_url=database_url)
    result = asyncio.run(appends(settings, records))
    print(json.dumps(result))
    return 0


async def ledger(settings: Settings, records: int) -> dict[int, float]:
    """Appends per second from one process and from two at once (each its own share of ``records``)."""
    assert settings.database_url is not None
    rates: dict[int, float] = {}
    for processes in (1, 2):
        share = records // processes
        command = [sys.executable, "-m", "server.bench.cluster", str(settings.database_url), str(settings.data_dir), str(share)]
        workers = [await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE) for _ in range(processes)]
        results = []
        for worker in workers:
            stdout, _ = await worker.communicate()
            if worker.returncode != 0:
                raise RuntimeError("a ledger worker failed")
            results.append(json.loads(stdout.decode().strip().splitlines()[-1]))
        began = min(r["started_at"] for r in results)
        ended = max(r["accepted_at"] for r in results)
        rates[processes] = share * processes / (ended - began)
    return rates


@contextlib.asynccontextmanager
async def throwaway_database(postgres: str) -> AsyncIterator[str]:
    name = f"mediate_bench_{uuid.uuid4().hex[:10]}"
    await _admin(postgres, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(normalise_database_url(postgres)).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(settings: Settings, postgres: str, redis: str, clients: int, sessions: int, window: float, kbps: int) -> None:
    aiortc_hooks.allow_loopback_ice()
    async with throwaway_database(postgres) as database_url:
        settings = replace(settings, database_url=database_url)
        signaler, recorder = await prepare(settings, 2)
        spool = settings.data_dir / "sms.jsonl"
        env = {
            "MEDIATE_REDIS_URL": redis,
            "MEDIATE_REDIS_PREFIX": f"mediate-bench-{uuid.uuid4().hex[:8]}",
            "MEDIATE_MEDIA_LOOPBACK": "1",
            "MEDIATE_SMS_GATEWAY": f"spool:{spool}",
            "MEDIATE_OUTBOX_POLL_SECONDS": "0.2",
        }
        results: list[Signaling] = []
        async with serving(settings, **env) as (base1, pid1):
            started = time.perf_counter()
            booked = await book_sessions(base1, signaler, clients // 2, 2)
            print(f"booked {len(booked)} sessions for {2 * len(booked)} clients ({time.perf_counter() - started:.0f} s)")
            print(f"1. signaling, {window:.0f} s of `device` events from every client at once:", flush=True)
            results.append(await signaling([base1], [pid1], booked, window))
            print(results[-1].row(), flush=True)
            async with serving(settings, **env) as (base2, pid2):
                results.append(await signaling([base1, base2], [pid1, pid2], booked, window))
                print(results[-1].row(), flush=True)
                print(f"2. recorded 3-person sessions, {window:.0f} s windows:", flush=True)
                rec = await recorded(settings, [(base1, pid1), (base2, pid2)], recorder, spool, sessions, window, kbps)
        print("3. evidence log on PostgreSQL:", flush=True)
        rates = await ledger(settings, 4000)
        for n, rate in rates.items():
            print(f"  {n} process(es): {rate:.0f} appends/s", flush=True)

    one, two = results
    print()
    print(f"{'':<44}{'1 process':>14}{'2 processes':>14}")
    table = [
        ("signaling ack p50 (ms)", f"{pct(one.acks, 0.5) * 1000:.1f}", f"{pct(two.acks, 0.5) * 1000:.1f}"),
        ("signaling ack p99 (ms)", f"{pct(one.acks, 0.99) * 1000:.1f}", f"{pct(two.acks, 0.99) * 1000:.1f}"),
        ("acks per second", f"{len(one.acks) / one.seconds:.0f}", f"{len(two.acks) / two.seconds:.0f}"),
        ("room updates relayed per second", f"{one.relayed / one.seconds:.0f}", f"{two.relayed / two.seconds:.0f}"),
        ("recorded 3-person sessions held", str(rec.one_holds), str(rec.two_hold)),
        ("evidence log appends per second (PostgreSQL)", f"{rates[1]:.0f}", f"{rates[2]:.0f}"),
    ]
    for name, a, b in table:
        print(f"{name:<44}{a:>14}{b:>14}")
    per_process = rec.one_holds
    print(
        f"\nA 16-core machine running 15 processes (one core left for nginx, the kernel's UDP and the "
        f"database clients): about {15 * per_process} recorded 3-person sessions at once if each process "
        f"holds what one held here ({per_process}); signaling is not the limit (one process acked "
        f"{len(one.acks) / one.seconds:.0f} events/s for {one.clients} clients). On this {os.cpu_count()}-core machine the "
        "load generator shares the cores with the servers, so the two-process figures are a floor."
    )
    if rec.one:
        print(
            f"(median server cores per recorded session, one process: {statistics.median(s.recording.server / s.sessions for s in rec.one):.2f})"
        )


def main(
    settings: Settings,
    postgres: str | None = None,
    redis: str | None = None,
    clients: int = 1000,
    sessions: int = 4,
    seconds: float = 8.0,
    kbps: int = 1000,
) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-cluster-") as tmp:
        settings = replace(settings, data_dir=Path(tmp), database_url=None)
        print(
            f"mediate bench cluster: `mediate serve` processes on PostgreSQL and Redis, {os.cpu_count()} cores, "
            "load generated by this process"
        )
        asyncio.run(run(settings, postgres or DEFAULT_POSTGRES, redis or DEFAULT_REDIS, clients, sessions, seconds, kbps))
    return 0


if __name__ == "__main__":
    sys.exit(ledger_worker(sys.argv[1], sys.argv[2], int(sys.argv[3])))
