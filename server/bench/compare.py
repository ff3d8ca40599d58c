"""`mediate bench media --compare janus`: the same load through mediate and through Janus, side by side (#24).

Both servers get the same participants: ``server.bench.peers``'s pre-encoded 640x480 VP8
(about 1 Mbit/s) and Opus publishers and frame-counting subscribers, in this process; only the
signaling differs (mediate's Socket.IO, Janus's HTTP API, ``server.bench.janus``). Each
server's process is measured the same way (:class:`~server.bench.peers.ServerCpu`, CPU seconds
from /proc over a window), one server after the other:

  1. one publisher (audio + video) with 0, 1, 2, 4, 8 subscribers: cores per extra subscriber,
     the least-squares slope through 1-8 (``server.bench.media.per_subscriber``);
  2. the same publisher forwarded as video only and as audio only, 0 -> 8 subscribers: cores per
     forwarded video stream and per forwarded audio stream;
  3. 1, 2, 4, ... 3-person sessions at once (everyone publishes and receives the two others):
     cores per session, the server's cores over the number of sessions, read at the most
     sessions both servers delivered (at least 95 % of the video frames), so that both carry
     the same load and their idle cost is spread over as many sessions.

It ends with ``cores per 3-person session: mediate A, janus B``. The figures are printed as
they come out, never judged: on a shared machine the other processes' load is printed beside
them, since a busy neighbour can double a reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp

from server.bench import janus
from server.bench.api import prepare, serving
from server.bench.media import FAN_OUT, concurrent_sessions, forwarding_cost, per_subscriber
from server.bench.peers import FPS, Media, ServerCpu, book_sessions, encode_audio, encode_video, machine_busy_seconds
from server.settings import Settings
from signaling import aiortc_hooks

#: Subscribers of the one publisher in figure 1.
STEPS = (0, 1, 2, 4, FAN_OUT)
#: A session count whose share of delivered video frames is under this is past what the machine holds.
DELIVERED = 0.95
#: The rest of the machine, in cores, above which the figures are called noisy.
BUSY = 0.2


@dataclass
class Figures:
    """One server's figures."""

    server: str
    fan_out: list[tuple[int, float]] = field(default_factory=list)
    #: Per forwarded stream of each kind ("video", "audio").
    per_stream: dict[str, float] = field(default_factory=dict)
    #: (sessions at once, server cores, share of video frames delivered).
    sessions: list[tuple[int, float, float]] = field(default_factory=list)
    #: Cores the rest of the machine (not the server, not the peers) used while this server was measured.
    others: float = 0.0

    def per_subscriber(self) -> float:
        return per_subscriber(self.fan_out[1:])

    def held(self) -> set[int]:
        """The session counts this server delivered (at least 95 % of the video frames)."""
        return {count for count, _, delivered in self.sessions if delivered >= DELIVERED}

    def per_session(self, count: int) -> float:
        """Cores per 3-person session with ``count`` sessions at once."""
        return next(cores / n for n, cores, _ in self.sessions if n == count)


def compared_at(a: Figures, b: Figures) -> int:
    """The session count both figures are read at: the most both servers delivered, else the fewest measured."""
    both = a.held() & b.held()
    return max(both) if both else min(n for n, _, _ in a.sessions)


@dataclass
class Others:
    """The rest of the machine's load over a phase: everything but the server and this process."""

    cpu: ServerCpu
    started: float = field(default_factory=time.perf_counter)
    machine: float = field(default_factory=machine_busy_seconds)
    own: float = field(default_factory=time.process_time)
    server: float = 0.0

    def __post_init__(self) -> None:
        self.server = self.cpu.seconds()

    def cores(self) -> float:
        took = time.perf_counter() - self.started
        busy = machine_busy_seconds() - self.machine - (self.cpu.seconds() - self.server) - (time.process_time() - self.own)
        return max(0.0, busy / took)


async def settle(cpu: ServerCpu, quiet: float = 0.05, longest: float = 30.0) -> None:
    """Wait until the idle server is quiet: start-up and booking work would otherwise count in the first window."""
    give_up = time.perf_counter() + longest
    while await cpu.cores(1.0) > quiet and time.perf_counter() < give_up:
        pass


def session_counts(most: int) -> list[int]:
    """1, 2, 4, ... up to ``most`` (and ``most`` itself)."""
    counts = [1]
    while counts[-1] * 2 < most:
        counts.append(counts[-1] * 2)
    return sorted({*counts, most})


# -- mediate ----------------------------------------------------------------------------------------


async def measure_mediate(settings: Settings, media: Media, counts: list[int], window: float) -> Figures:
    usernames = await prepare(settings, 4)
    figures = Figures("mediate")
    async with serving(settings, MEDIATE_MEDIA_LOOPBACK="1") as (base, pid):
        cpu = ServerCpu(pid)
        (fan,) = await book_sessions(base, usernames[0], 1, FAN_OUT)
        only = {
            kind: (await book_sessions(base, username, 1, FAN_OUT))[0]
            for kind, username in (("video", usernames[1]), ("audio", usernames[2]))
        }
        pool = await book_sessions(base, usernames[3], sum(counts), 2)
        await settle(cpu)
        others = Others(cpu)
        figures.fan_out = await forwarding_cost(base, fan, cpu, media, window, steps=STEPS)
        for kind, booked in only.items():
            split = await forwarding_cost(base, booked, cpu, media, window, (kind,), (0, FAN_OUT))
            figures.per_stream[kind] = (split[1][1] - split[0][1]) / FAN_OUT
        for count in counts:
            batch, pool = pool[:count], pool[count:]
            cores, _, delivered = await concurrent_sessions(base, batch, cpu, media, window)
            figures.sessions.append((count, cores, delivered))
            if delivered < DELIVERED:
                break
        figures.others = others.cores()
    return figures


# -- Janus ------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def janus_serving() -> AsyncIterator[tuple[aiohttp.ClientSession, str, int]]:
    """A Janus of the benchmark's own in a temporary folder: (HTTP client, API base URL, pid)."""
    with tempfile.TemporaryDirectory(prefix="mediate-bench-janus-") as folder:
        async with janus.running(Path(folder)) as (base, pid), aiohttp.ClientSession() as http:
            yield http, base, pid


async def janus_forwarding_cost(
    http: aiohttp.ClientSession,
    base: str,
    cpu: ServerCpu,
    media: Media,
    window: float,
    kinds: tuple[str, ...] = ("audio", "video"),
    steps: tuple[int, ...] = STEPS,
) -> list[tuple[int, float]]:
    """:func:`server.bench.media.forwarding_cost` through Janus: subscribers take ``kinds`` of the publisher's streams."""
    room = await janus.create_room(http, base, publishers=1)
    host = janus.JanusPeer(http, base, room, *media)
    await host.connect()
    feed = await host.publish()
    rows = []
    subscribers: list[janus.JanusPeer] = []
    for target in steps:
        while len(subscribers) < target:
            peer = janus.JanusPeer(http, base, room, *media)
            await peer.connect()
            await peer.subscribe([feed], kinds)
            subscribers.append(peer)
        await asyncio.sleep(2.0)
        rows.append((target, await cpu.cores(window)))
    for peer in [*subscribers, host]:
        await peer.close()
    return rows


async def janus_session(http: aiohttp.ClientSession, base: str, media: Media) -> list[janus.JanusPeer]:
    """Three participants in a room of their own, each publishing and receiving the two others."""
    room = await janus.create_room(http, base, publishers=3)
    peers = [janus.JanusPeer(http, base, room, *media) for _ in range(3)]
    await asyncio.gather(*(peer.connect() for peer in peers))
    await asyncio.gather(*(peer.publish() for peer in peers))
    await asyncio.gather(*(peer.subscribe([other.feed for other in peers if other is not peer]) for peer in peers))
    return peers


async def janus_concurrent_sessions(
    http: aiohttp.ClientSession, base: str, count: int, cpu: ServerCpu, media: Media, window: float
) -> tuple[float, float]:
    """:func:`server.bench.media.concurrent_sessions` through Janus: (server cores, share of video frames delivered)."""
    sessions = await asyncio.gather(*(janus_session(http, base, media) for _ in range(count)))
    peers = [peer for session in sessions for peer in session]
    await asyncio.sleep(3.0)
    before = [peer.video_frames() for peer in peers]
    cores = await cpu.cores(window)
    received = sum(peer.video_frames() - b for peer, b in zip(peers, before, strict=True))
    for peer in peers:
        await peer.close()
    return cores, received / (len(peers) * 2 * FPS * window)


async def measure_janus(media: Media, counts: list[int], window: float) -> Figures:
    figures = Figures("janus")
    async with janus_serving() as (http, base, pid):
        cpu = ServerCpu(pid)
        await settle(cpu)
        others = Others(cpu)
        figures.fan_out = await janus_forwarding_cost(http, base, cpu, media, window)
        for kind in ("video", "audio"):
            split = await janus_forwarding_cost(http, base, cpu, media, window, (kind,), (0, FAN_OUT))
            figures.per_stream[kind] = (split[1][1] - split[0][1]) / FAN_OUT
        for count in counts:
            cores, delivered = await janus_concurrent_sessions(http, base, count, cpu, media, window)
            figures.sessions.append((count, cores, delivered))
            if delivered < DELIVERED:
                break
        figures.others = others.cores()
    return figures


# -- the table --------------------------------------------------------------------------------------


def summary_line(mediate: float, janus_cores: float) -> str:
    """The comparison's last line (issue #24 names it; the README's table is regenerated from it)."""
    return f"cores per 3-person session: mediate {mediate:.3f}, janus {janus_cores:.3f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "-"


def print_figures(figures: Figures) -> None:
    print(f"{figures.server}:")
    steps = ", ".join(f"{n}: {cores:.3f}" for n, cores in figures.fan_out)
    print(f"  one publisher, cores with N subscribers: {steps}")
    for count, cores, delivered in figures.sessions:
        print(
            f"  {count:>2} 3-person session(s) at once: {cores:.3f} cores ({cores / count:.4f} per session), "
            f"video frames delivered {delivered * 100:.1f}%"
        )
    print(f"  the rest of the machine meanwhile: {figures.others:.2f} cores")


def print_table(mediate: Figures, janus_figures: Figures) -> None:
    at = compared_at(mediate, janus_figures)
    session_m, session_j = mediate.per_session(at), janus_figures.per_session(at)
    rows = [
        ("per extra subscriber (audio + video, slope 1-8)", mediate.per_subscriber(), janus_figures.per_subscriber()),
        ("per forwarded video stream (0 -> 8)", mediate.per_stream["video"], janus_figures.per_stream["video"]),
        ("per forwarded audio stream (0 -> 8)", mediate.per_stream["audio"], janus_figures.per_stream["audio"]),
        (f"per 3-person session ({at} at once)", session_m, session_j),
    ]
    print(f"{'cores':<52}{'mediate':>9}{'janus':>9}{'mediate/janus':>15}")
    for label, m, j in rows:
        print(f"{label:<52}{m:>9.4f}{j:>9.4f}{ratio(m, j):>15}")
    busiest = max(mediate.others, janus_figures.others)
    if busiest > BUSY:
        print(
            f"(other work used up to {busiest:.2f} of the machine's {os.cpu_count()} cores while these were measured: "
            "the figures are noisy; compare them on a quiet machine)"
        )
    print(summary_line(session_m, session_j))


async def run(settings: Settings, max_sessions: int, window: float, kbps: int) -> None:
    janus.ensure_installed()
    aiortc_hooks.allow_loopback_ice()
    media = (encode_video(kbps), encode_audio())
    counts = session_counts(max_sessions)
    real = sum(len(f) for f in media[0]) * 8 / (len(media[0]) / FPS) / 1000
    print(f"publisher: 640x480 VP8 at {real:.0f} kbit/s + Opus, pre-encoded; peers in this process, each server in its own")
    mediate = await measure_mediate(settings, media, counts, window)
    print_figures(mediate)
    janus_figures = await measure_janus(media, counts, window)
    print_figures(janus_figures)
    print_table(mediate, janus_figures)


def main(settings: Settings, sessions: int = 4, seconds: float = 10.0, kbps: int = 1000) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-compare-") as tmp:
        settings = replace(settings, data_dir=Path(tmp), database_url=None)
        print(
            f"mediate bench media --compare janus: the same peers through mediate, then through Janus (Debian's janus, "
            f"VideoRoom), {seconds:.0f} s windows, up to {sessions} sessions at once, {os.cpu_count()} cores"
        )
        try:
            asyncio.run(run(settings, sessions, seconds, kbps))
        except janus.JanusUnavailable as missing:
            print(f"cannot compare with Janus: {missing}")
            return 1
    return 0
