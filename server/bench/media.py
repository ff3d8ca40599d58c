"""`mediate bench media`: what live sessions cost the server, and how fast media starts.

A real `mediate serve` runs in its own process (MEDIATE_MEDIA_LOOPBACK=1, fresh SQLite). The
participants are light aiortc peers in this process: they publish pre-encoded 640x480 VP8
(about 1 Mbit/s, noise, so the encoder really spends its bits) and Opus frames, paced at 30
and 50 per second, and count the frames they receive without decoding them (the same
receiver tap the server uses). So the server is measured, not the load generator's codecs.
The peers and the booking helpers live in ``server.bench.peers`` (shared with `bench recording`
and `mediate demo`).

Figures, printed (never asserted):
  1. join → first remote frame: a party connects with the room admitting automatically, sends
     media_start, and waits for the first complete frame of the mediator's video (median of 5);
  2. server CPU for one publisher and 0, 1, 2, 4, 8 subscribers: cores per extra subscriber (the
     slope through the steps), and per forwarded video stream and per forwarded audio stream;
  3. concurrent 3-person sessions (everyone publishes and receives the two others): server
     cores, and the share of published video frames that reached their subscribers;
  4. signaling: ack round trip p50/p99 with 200 clients connected (100 sessions x 2 parties);
  5. a party by phone in a 3-person session: server cores per caller (server/bench/phone.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import socketio

from server.bench.api import prepare, serving
from server.bench.peers import FPS, NS, Booked, LoadPeer, Media, ServerCpu, book_sessions, encode_audio, encode_video
from server.bench.phone import free_udp_port, phone_cost
from server.bench.stalls import Stalls
from server.settings import Settings
from signaling import aiortc_hooks

#: Most subscribers of the one publisher in figure 2: enough that the cost they add stands out of a window's noise.
FAN_OUT = 8
#: Sessions with a caller by phone in figure 5: enough callers that their cost stands out of a window's noise.
PHONE_SESSIONS = 4


async def join_to_first_frame(base: str, booked: Booked, media: Media) -> float:
    host = LoadPeer(base, booked.mediator_cookie, {"session_id": booked.session_id}, *media)
    await host.connect()
    await host.call("admit_automatically", {"on": True})
    await host.start_media()
    await asyncio.sleep(1.0)
    party = LoadPeer(base, booked.party_cookies[0], None, *media)
    clicked = time.perf_counter()
    await party.connect()
    await party.start_media()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(party.first_video.wait(), timeout=20)
    took = (party.first_video_at or float("nan")) - clicked
    await party.close()
    await host.close()
    return took


async def forwarding_cost(
    base: str,
    booked: Booked,
    cpu: ServerCpu,
    media: Media,
    window: float,
    forwarded: tuple[str, ...] = ("audio", "video"),
    steps: tuple[int, ...] = (0, 1, 2, 4),
) -> list[tuple[int, float]]:
    """Server cores with one publisher and growing numbers of subscribers.

    The publisher always sends audio and video (so receiving costs the same); only the kinds in
    ``forwarded`` are switched on for forwarding, which isolates the cost per forwarded kind.
    """
    host = LoadPeer(base, booked.mediator_cookie, {"session_id": booked.session_id}, *media)
    await host.connect()
    await host.call("admit_automatically", {"on": True})
    await host.call("media_start", {"audio": "audio" in forwarded, "video": "video" in forwarded})
    rows = []
    subscribers: list[LoadPeer] = []
    for target in steps:
        while len(subscribers) < target:
            peer = LoadPeer(base, booked.party_cookies[len(subscribers)], None, *media, publish=False)
            await peer.connect()
            await peer.start_media()
            subscribers.append(peer)
        await asyncio.sleep(2.0)
        rows.append((target, await cpu.cores(window)))
    for peer in [*subscribers, host]:
        await peer.close()
    return rows


async def concurrent_sessions(
    base: str, sessions: list[Booked], cpu: ServerCpu, media: Media, window: float
) -> tuple[float, float, float]:
    """(server cores, load generator cores, share of video frames delivered)."""
    peers: list[LoadPeer] = []
    for booked in sessions:
        host = LoadPeer(base, booked.mediator_cookie, {"session_id": booked.session_id}, *media)
        await host.connect()
        await host.call("admit_automatically", {"on": True})
        peers.append(host)
        for cookie in booked.party_cookies[:2]:
            peer = LoadPeer(base, cookie, None, *media)
            await peer.connect()
            peers.append(peer)
    await asyncio.gather(*(p.start_media() for p in peers))
    await asyncio.sleep(3.0)
    before = [p.video_frames() for p in peers]
    own, started = time.process_time(), time.perf_counter()
    cores = await cpu.cores(window)
    generator = (time.process_time() - own) / (time.perf_counter() - started)
    received = sum(p.video_frames() - b for p, b in zip(peers, before, strict=True))
    expected = len(peers) * 2 * FPS * window  # each receives two video streams
    for peer in peers:
        await peer.close()
    return cores, generator, received / expected


async def signaling_round_trips(base: str, sessions: list[Booked], rounds: int = 20) -> tuple[list[float], list[float]]:
    """(one client's acks while 199 others sit connected, everyone's acks while all 200 send at once)."""
    clients = []
    for booked in sessions:
        for cookie in booked.party_cookies[:2]:
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(
                base, headers={"Cookie": f"mediate_session={cookie}"}, namespaces=[NS], transports=["websocket"], wait_timeout=10
            )
            clients.append(sio)

    async def client(sio: socketio.AsyncClient, out: list[float], count: int) -> None:
        for i in range(count):
            started = time.perf_counter()
            await sio.call("device", {"camera": "ok" if i % 2 else "off", "microphone": "ok"}, namespace=NS, timeout=20)
            out.append(time.perf_counter() - started)

    alone: list[float] = []
    await client(clients[0], alone, 500)
    together: list[float] = []
    await asyncio.gather(*(client(c, together, rounds) for c in clients))
    for sio in clients:
        await sio.disconnect()
    return alone, together


def per_subscriber(rows: list[tuple[int, float]]) -> float:
    """Cores per extra subscriber: the least-squares slope through every measured step.

    One window's CPU reading varies by about 0.01 cores on this machine, as much as one
    subscriber costs, so the difference of two readings (1 -> 4 subscribers, what this benchmark
    printed before) swung between 0.004 and 0.014 from run to run. The slope through the steps
    up to eight subscribers sets that noise against a signal more than twice as large.
    """
    return statistics.linear_regression([float(n) for n, _ in rows], [cores for _, cores in rows]).slope


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(settings: Settings, max_sessions: int, window: float, kbps: int) -> None:
    usernames = await prepare(settings, 6)
    aiortc_hooks.allow_loopback_ice()
    # `device` is sent as fast as acks come (the signalling's latency measured): without the flood limit.
    # Figure 5 needs the phone line, whose prompts espeak-ng speaks at start (signaling/telephony/prompts.py).
    sip = ("127.0.0.1", free_udp_port()) if shutil.which("espeak-ng") else None
    phone = {"MEDIATE_SIP_LISTEN": f"{sip[0]}:{sip[1]}", "MEDIATE_PHONE_NUMBER": "01000000000"} if sip else {}
    async with serving(
        settings, MEDIATE_MEDIA_LOOPBACK="1", MEDIATE_EVENT_BURST="1000000", MEDIATE_EVENT_PER_SECOND="1000000", **phone
    ) as (base, pid):
        cpu = ServerCpu(pid)
        stalls = Stalls(base)
        media = (encode_video(kbps), encode_audio())
        real = sum(len(f) for f in media[0]) * 8 / (len(media[0]) / FPS) / 1000
        print(f"publisher: 640x480 VP8 at {real:.0f} kbit/s + Opus, pre-encoded; peers in this process, server in its own")

        joins = await book_sessions(base, usernames[0], 5, 2)
        times = [await join_to_first_frame(base, b, media) for b in joins]
        print(
            f"1. join -> first remote video frame (party admitted automatically): median {statistics.median(times) * 1000:.0f} ms, "
            f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ({len(times)} joins)"
        )

        (fan,) = await book_sessions(base, usernames[1], 1, FAN_OUT)
        print(f"2. server CPU, one publisher (video+audio), {window:.0f} s windows:")
        await stalls.mark()
        rows = await forwarding_cost(base, fan, cpu, media, window, steps=(0, 1, 2, 4, FAN_OUT))
        for subs, cores in rows:
            print(f"     {subs} subscriber(s): {cores:.3f} cores")
        print(
            f"     per extra subscriber (least-squares slope, 1 -> {FAN_OUT}): {per_subscriber(rows[1:]):.4f} cores; "
            f"receiving one publisher: {rows[0][1]:.3f} cores"
        )
        for kind in ("video", "audio"):
            (only,) = await book_sessions(base, usernames[4 if kind == "video" else 5], 1, FAN_OUT)
            split = await forwarding_cost(base, only, cpu, media, window, (kind,), (0, FAN_OUT))
            print(
                f"     per forwarded {kind} stream (0 -> {FAN_OUT} subscribers, {kind} only): "
                f"{(split[1][1] - split[0][1]) / FAN_OUT:.4f} cores"
            )
        print(f"     {await stalls.line()}")

        print("3. concurrent 3-person sessions (everyone publishes, receives the other two):")
        counts = list(range(2, max_sessions + 1, 2))
        pool = await book_sessions(base, usernames[2], sum(counts), 2)
        for count in counts:
            batch, pool = pool[:count], pool[count:]
            await stalls.mark()
            cores, generator, delivered = await concurrent_sessions(base, batch, cpu, media, window)
            print(
                f"     {count:>2} sessions ({count * 3} peers): server {cores:.2f} cores, load generator {generator:.2f} cores, "
                f"video frames delivered {delivered * 100:.1f}%; {await stalls.line()}"
            )
            if delivered < 0.95:
                break

        if sip is None:
            print("5. a caller by phone: not measured (espeak-ng, which speaks the phone prompts, is not installed)")
        else:
            calls = await book_sessions(base, usernames[3], PHONE_SESSIONS, 2, case_number="MEDIA-phone", hours_ahead=120)
            await stalls.mark()
            without, with_callers, callers = await phone_cost(base, calls, sip, cpu, media, window)
            print(
                f"5. a caller by phone in a 3-person session ({callers} sessions, mediator and one party in browsers): "
                f"server {without:.3f} cores without the callers, {with_callers:.3f} with them, "
                f"{(with_callers - without) / callers:.4f} cores per caller; {await stalls.line()}"
            )

        many = await book_sessions(base, usernames[3], 100, 2)
        await stalls.mark()
        alone, together = await signaling_round_trips(base, many)
        print(
            f"4. signaling ack round trip (`device` event), 200 clients connected: one client sending "
            f"p50 {pct(alone, 0.5) * 1000:.1f} ms, p99 {pct(alone, 0.99) * 1000:.1f} ms; all 200 sending at once "
            f"p50 {pct(together, 0.5) * 1000:.1f} ms, p99 {pct(together, 0.99) * 1000:.1f} ms ({len(together)} acks); "
            f"{await stalls.line()}"
        )


def main(settings: Settings, sessions: int = 12, seconds: float = 5.0, kbps: int = 1000) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-media-") as tmp:
        settings = replace(settings, data_dir=Path(tmp), database_url=None)
        print(
            f"mediate bench media: up to {sessions} concurrent sessions, {seconds:.0f} s per measurement, {os.cpu_count()} cores"
        )
        asyncio.run(run(settings, sessions, seconds, kbps))
    return 0
