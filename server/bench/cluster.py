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
     (each appending as requests do, through the group commit; one sequencer at a time extends the Merkle tree).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import socketio
from sqlalchemy.engine import make_url

from server import db
from server.bench.api import prepare, serving
from server.bench.ledger import _admin, appends
from server.bench.media import pct
from server.bench.peers import NS, Booked, ServerCpu, book_sessions, encode_audio, encode_video
from server.bench.recording import Step, bind_key, run_step
from server.bench.stalls import Stalls
from server.composition import make_services
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
    relay_seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    server_cores: list[float] = field(default_factory=list)
    generator_cores: float = 0.0
    #: Each process's longest event-loop stall during the load (server/bench/stalls.py).
    stalls: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.acks) / self.seconds

    def row(self, label: str) -> str:
        return (
            f"  {self.processes} process(es), {self.clients} clients, {label}: ack p50 {pct(self.acks, 0.5) * 1000:.1f} ms, "
            f"p99 {pct(self.acks, 0.99) * 1000:.1f} ms; {len(self.acks) / self.seconds:.0f} acks/s, "
            f"{self.relayed / self.relay_seconds:.0f} updates relayed/s; {dict(self.errors) or 'no'} error acks; servers "
            f"{' + '.join(f'{c:.2f}' for c in self.server_cores)} cores, load generator {self.generator_cores:.2f}"
            + "".join(f"\n      process {n}: {line}" for n, line in enumerate(self.stalls, start=1))
        )


async def signaling(
    bases: list[str], pids: list[int], booked: list[Booked], seconds: float, interval: float
) -> tuple[Signaling, Signaling]:
    """Two loads on the same connected clients: paced (each client one event every ``interval`` seconds,
    at random phases, as real device changes come) and saturated (each client sends again as soon as
    its ack arrives: the most a process acknowledges)."""
    clients: list[socketio.AsyncClient] = []
    counter = {"relayed": 0}
    gate = asyncio.Semaphore(50)

    async def connect(base: str, cookie: str) -> None:
        sio = socketio.AsyncClient(reconnection=False)

        def relayed(_: Any) -> None:
            counter["relayed"] += 1

        sio.on("participants", relayed, namespace=NS)
        async with gate:
            await sio.connect(
                base, headers={"Cookie": f"mediate_session={cookie}"}, namespaces=[NS], transports=["websocket"], wait_timeout=30
            )
        clients.append(sio)

    # Party 0 of every session on the first process, party 1 on the last.
    await asyncio.gather(*(connect(bases[i % len(bases)], b.party_cookies[i]) for b in booked for i in (0, 1)))
    await asyncio.sleep(2.0)

    async def load(paced: bool) -> Signaling:
        out = Signaling(len(bases), len(clients))
        stop = time.perf_counter() + seconds

        async def client(sio: socketio.AsyncClient) -> None:
            i = 0
            if paced:
                await asyncio.sleep(random.uniform(0, interval))
            while time.perf_counter() < stop:
                started = time.perf_counter()
                ack = await sio.call("device", {"camera": "ok" if i % 2 else "off", "microphone": "ok"}, namespace=NS, timeout=30)
                out.acks.append(time.perf_counter() - started)
                if not (isinstance(ack, dict) and ack.get("ok")):
                    out.errors[str(ack.get("error") if isinstance(ack, dict) else ack)] += 1
                i += 1
                if paced:
                    await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

        cpus = [ServerCpu(pid) for pid in pids]
        stalls = [Stalls(base) for base in bases]
        for each in stalls:
            await each.mark()
        counter["relayed"] = 0
        before, own, started = [c.seconds() for c in cpus], time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(sio) for sio in clients))
        out.seconds = time.perf_counter() - started
        out.server_cores = [(c.seconds() - b) / out.seconds for c, b in zip(cpus, before, strict=True)]
        out.generator_cores = (time.process_time() - own) / out.seconds
        # Updates caused by the last acks may still be on their way: count them, over the time they took.
        last = -1
        while counter["relayed"] != last:
            last = counter["relayed"]
            await asyncio.sleep(0.5)
        out.relayed = counter["relayed"]
        out.stalls = [await each.line() for each in stalls]
        out.relay_seconds = time.perf_counter() - 0.5 - started
        return out

    try:
        paced = await load(paced=True)
        await asyncio.sleep(1.0)
        saturated = await load(paced=False)
    finally:
        await asyncio.gather(*(sio.disconnect() for sio in clients))
    return paced, saturated


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
            # Each client sends `device` as fast as acks come: the throughput measured, not the flood limit.
            "MEDIATE_EVENT_BURST": "1000000",
            "MEDIATE_EVENT_PER_SECOND": "1000000",
        }
        interval = 4.0
        runs: list[tuple[Signaling, Signaling]] = []
        async with serving(settings, **env) as (base1, pid1):
            started = time.perf_counter()
            booked = await book_sessions(base1, signaler, clients // 2, 2)
            print(f"booked {len(booked)} sessions for {2 * len(booked)} clients ({time.perf_counter() - started:.0f} s)")
            print(
                f"1. signaling, {window:.0f} s of `device` events: paced (each client one every {interval:.0f} s), "
                "then saturated (each client again as soon as its ack arrives):",
                flush=True,
            )
            runs.append(await signaling([base1], [pid1], booked, window, interval))
            for result, label in zip(runs[-1], ("paced", "saturated"), strict=True):
                print(result.row(label), flush=True)
            async with serving(settings, **env) as (base2, pid2):
                runs.append(await signaling([base1, base2], [pid1, pid2], booked, window, interval))
                for result, label in zip(runs[-1], ("paced", "saturated"), strict=True):
                    print(result.row(label), flush=True)
                print(f"2. recorded 3-person sessions, {window:.0f} s windows:", flush=True)
                rec = await recorded(settings, [(base1, pid1), (base2, pid2)], recorder, spool, sessions, window, kbps)
        print("3. evidence log on PostgreSQL:", flush=True)
        rates = await ledger(settings, 4000)
        for n, rate in rates.items():
            print(f"  {n} process(es): {rate:.0f} appends/s", flush=True)

    (paced1, sat1), (paced2, sat2) = runs
    print()
    print(f"{'':<52}{'1 process':>12}{'2 processes':>13}")
    table = [
        (f"signaling ack p50 / p99 (ms), {paced1.clients} clients paced", _p(paced1), _p(paced2)),
        ("signaling ack p50 / p99 (ms), saturated", _p(sat1), _p(sat2)),
        ("acks per second, saturated", f"{sat1.rate:.0f}", f"{sat2.rate:.0f}"),
        (
            "room updates relayed per second, saturated",
            f"{sat1.relayed / sat1.relay_seconds:.0f}",
            f"{sat2.relayed / sat2.relay_seconds:.0f}",
        ),
        ("recorded 3-person sessions held, every frame kept", _held(rec.one_holds, sessions), _held(rec.two_hold, 2 * sessions)),
        ("evidence log appends per second (PostgreSQL)", f"{rates[1]:.0f}", f"{rates[2]:.0f}"),
    ]
    for name, x, y in table:
        print(f"{name:<52}{x:>12}{y:>13}")
    # A process is one Python thread: it holds what fits in 80% of one core (the rest for bursts and
    # keyframes), or what it was seen to hold here if the bench stopped before finding its limit.
    per_session = statistics.median(s.recording.server / s.sessions for s in rec.one) if rec.one else 0.0
    per_process = max(rec.one_holds, int(0.8 / per_session)) if per_session else rec.one_holds
    print(
        f"\nOne 16-core machine, 15 `mediate serve` processes (one core left for nginx, the kernel's UDP and the "
        f"database clients): about {15 * per_process} recorded 3-person sessions at once ({per_process} per process: "
        f"{per_session:.2f} server cores per recorded session, 80% of a core each), and about "
        f"{15 * sat1.rate:.0f} signaling events acknowledged per second ({sat1.rate:.0f} per process saturated). "
        f"On this {os.cpu_count()}-core machine the load generator shares the cores with the servers, so the "
        "two-process figures are a floor."
    )


def _held(held: int, tried: int) -> str:
    return f">= {held}" if held >= tried else str(held)


def _p(result: Signaling) -> str:
    return f"{pct(result.acks, 0.5) * 1000:.0f} / {pct(result.acks, 0.99) * 1000:.0f}"


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
        logging.getLogger("alembic").setLevel(logging.WARNING)
        asyncio.run(run(settings, postgres or DEFAULT_POSTGRES, redis or DEFAULT_REDIS, clients, sessions, seconds, kbps))
    return 0


if __name__ == "__main__":
    sys.exit(ledger_worker(sys.argv[1], sys.argv[2], int(sys.argv[3])))
