"""`mediate bench soak --minutes N`: does a long-running server's memory stop growing? (issue #24)

A real `mediate serve` in its own process (fresh SQLite, media on loopback, SMS to a spool file)
carries, for N minutes, what a busy day brings it:
  - recorded 3-person sessions joining and leaving, one after another: the mediator and two
    parties (the light aiortc peers of ``server.bench.peers``, pre-encoded VP8 at about 1 Mbit/s
    and Opus) join, the parties consent with the device keys they bound once, the mediator
    records for ``RECORD_SECONDS`` and stops, and everyone leaves;
  - ``clients`` Socket.IO clients (parties of sessions of their own) connected throughout, each
    sending a ``device`` event every 4 s, as the cluster benchmark's paced load does;
  - exports: after each recording, the case's evidence bundle (``POST /cases/{id}/evidence/bundle``)
    and, every third recording, the review video (``/recordings/{id}/export``, a child process).

Every minute it prints the server's resident memory (VmRSS from /proc) with what has been done so
far. At the end it compares the last third of the run with the middle third: memory that kept
growing after the first third (caches filled, pools warmed) is a leak, and the line says so with
the growth per hour; the figures are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import socketio

from server.bench.api import prepare, serving
from server.bench.peers import NS, Booked, LoadPeer, Media, book_sessions, encode_audio, encode_video
from server.bench.recording import bind_key
from server.evidence.records import DeviceKey
from server.settings import Settings
from signaling import aiortc_hooks

#: How long each recorded session records, and rests before the next joins.
RECORD_SECONDS = 30.0
REST_SECONDS = 5.0
#: A signaling client's pace: one `device` event every this many seconds.
DEVICE_EVERY = 4.0
#: Memory that grows by more than this (MB, and share) from the middle third to the last third kept growing.
GROWTH_MB = 10.0
GROWTH_SHARE = 0.03


@dataclass
class Soak:
    started: float = field(default_factory=time.monotonic)
    #: (minutes since the start, RSS in MB).
    rss: list[tuple[float, float]] = field(default_factory=list)
    sessions: int = 0
    recordings: list[tuple[str, str]] = field(default_factory=list)  # (case id, recording id)
    bundles: int = 0
    videos: int = 0
    events: int = 0
    errors: list[str] = field(default_factory=list)

    def minutes(self) -> float:
        return (time.monotonic() - self.started) / 60


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def verdict(rss: list[tuple[float, float]]) -> str:
    """Whether memory kept growing after the first third: the last third's mean against the middle third's."""
    if len(rss) < 3:
        return "too short to tell (fewer than three samples)"
    third = len(rss) // 3
    middle = [mb for _, mb in rss[third : 2 * third]]
    last = [mb for _, mb in rss[2 * third :]]
    grew = statistics.fmean(last) - statistics.fmean(middle)
    span = (rss[-1][0] + rss[2 * third][0]) / 2 - (rss[2 * third - 1][0] + rss[third][0]) / 2
    per_hour = grew / span * 60 if span > 0 else 0.0
    kept = grew > max(GROWTH_MB, GROWTH_SHARE * statistics.fmean(middle))
    words = "kept growing" if kept else "held steady"
    return (
        f"after the first third memory {words}: middle third {statistics.fmean(middle):.0f} MB, "
        f"last third {statistics.fmean(last):.0f} MB ({grew:+.0f} MB, {per_hour:+.0f} MB/hour)"
    )


async def sessions_loop(
    base: str, pool: list[Booked], media: Media, keys: list[DeviceKey], soak: Soak, stop: asyncio.Event
) -> None:
    for booked in pool:
        if stop.is_set():
            return
        peers: list[LoadPeer] = []
        try:
            host = LoadPeer(base, booked.mediator_cookie, {"session_id": booked.session_id}, *media)
            peers.append(host)
            await host.connect()
            await host.call("admit_automatically", {"on": True})
            await host.start_media()
            for cookie, key in zip(booked.party_cookies, keys, strict=True):
                party = LoadPeer(base, cookie, None, *media)
                peers.append(party)
                await party.connect()
                await party.start_media()
                await party.consent(key)
            async with asyncio.timeout(30):
                await asyncio.gather(*(p.publishing() for p in peers))
            ack = await host.call("record_start", {})
            if not ack.get("ok"):
                raise RuntimeError(f"record_start refused: {ack}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RECORD_SECONDS)
            stopped = await host.call("record_stop", {})
            if not stopped.get("ok"):
                raise RuntimeError(f"record_stop refused: {stopped}")
            soak.recordings.append((booked.case_id, ack["recording"]))
            soak.sessions += 1
        except Exception as exc:  # noqa: BLE001 - whatever failed is a finding of the soak, not its end
            soak.errors.append(f"session: {exc!r}"[:200])
        finally:
            for p in peers:
                await p.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REST_SECONDS)


async def exports_loop(base: str, mediator_cookie: str, soak: Soak, stop: asyncio.Event) -> None:
    done = 0
    async with aiohttp.ClientSession(headers={"Cookie": f"mediate_session={mediator_cookie}"}) as http:
        async with http.get(f"{base}/api/v1/auth/me") as r:
            headers = {"X-CSRF-Token": (await r.json())["csrf_token"]}
        while not stop.is_set():
            if done >= len(soak.recordings):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                continue
            case_id, recording_id = soak.recordings[done]
            done += 1
            try:
                async with http.post(f"{base}/api/v1/cases/{case_id}/evidence/bundle", headers=headers) as r:
                    if r.status != 200:
                        raise RuntimeError(f"bundle {r.status}")
                    async for _ in r.content.iter_chunked(1 << 16):
                        pass
                soak.bundles += 1
                if done % 3 == 1:
                    await review_video(http, base, headers, recording_id, stop)
                    soak.videos += 1
            except Exception as exc:  # noqa: BLE001 - whatever failed is a finding of the soak, not its end
                soak.errors.append(f"export: {exc!r}"[:200])


async def review_video(
    http: aiohttp.ClientSession, base: str, headers: dict[str, str], recording_id: str, stop: asyncio.Event
) -> None:
    url = f"{base}/api/v1/recordings/{recording_id}/export"
    async with http.post(url, headers=headers) as r:
        job = await r.json()
        if r.status not in (200, 202):
            raise RuntimeError(f"video export {r.status} {job}")
    while job.get("state") not in ("done", "failed", "cancelled") and not stop.is_set():
        await asyncio.sleep(1.0)  # a background job: its state is polled, as the page does
        async with http.get(url) as r:
            job = await r.json()
    if job.get("state") == "done":
        async with http.get(f"{url}/file") as r:
            async for _ in r.content.iter_chunked(1 << 16):
                pass


async def signaling_loop(base: str, booked: list[Booked], soak: Soak, stop: asyncio.Event) -> None:
    clients: list[socketio.AsyncClient] = []
    for b in booked:
        for cookie in b.party_cookies:
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(
                base, headers={"Cookie": f"mediate_session={cookie}"}, namespaces=[NS], transports=["websocket"], wait_timeout=10
            )
            clients.append(sio)

    async def pace(i: int, sio: socketio.AsyncClient) -> None:
        await asyncio.sleep(DEVICE_EVERY * i / len(clients))  # spread over the interval, not all at once
        n = 0
        while not stop.is_set():
            try:
                await sio.call("device", {"camera": "ok" if n % 2 else "off", "microphone": "ok"}, namespace=NS, timeout=20)
                soak.events += 1
            except Exception as exc:  # noqa: BLE001 - whatever failed is a finding of the soak, not its end
                soak.errors.append(f"signaling: {exc!r}"[:200])
            n += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DEVICE_EVERY)

    try:
        await asyncio.gather(*(pace(i, sio) for i, sio in enumerate(clients)))
    finally:
        for sio in clients:
            with contextlib.suppress(Exception):
                await sio.disconnect()


async def run(settings: Settings, minutes: float, clients: int, kbps: int) -> Soak:
    mediator, signaler = await prepare(settings, 2)
    aiortc_hooks.allow_loopback_ice()
    spool = settings.data_dir / "sms.jsonl"
    soak = Soak()
    async with serving(
        settings,
        MEDIATE_MEDIA_LOOPBACK="1",
        MEDIATE_SMS_GATEWAY=f"spool:{spool}",
        MEDIATE_OUTBOX_POLL_SECONDS="0.2",
        MEDIATE_CODE_INTERVAL_SECONDS="0",
        MEDIATE_CODES_PER_HOUR="100000",
        MEDIATE_CODES_PER_DAY="100000",
    ) as (base, pid):
        media = (encode_video(kbps), encode_audio())
        # One recorded session at a time, back to back: enough booked for the whole run.
        count = int(minutes * 60 / (RECORD_SECONDS + REST_SECONDS + 5)) + 2
        pool = await book_sessions(base, mediator, count, 2)
        keys = [await bind_key(base, cookie, spool) for cookie in pool[0].party_cookies]
        talkers = await book_sessions(base, signaler, max(1, clients // 2), 2)
        print(
            f"server pid {pid}: {count} recorded sessions booked, {len(talkers) * 2} signaling clients; "
            f"RSS at the start {rss_mb(pid):.0f} MB",
            flush=True,
        )
        soak.started = time.monotonic()
        stop = asyncio.Event()
        work = [
            asyncio.create_task(sessions_loop(base, pool, media, keys, soak, stop)),
            asyncio.create_task(exports_loop(base, pool[0].mediator_cookie, soak, stop)),
            asyncio.create_task(signaling_loop(base, talkers, soak, stop)),
        ]
        try:
            minute = 0
            while minute < minutes:
                minute += 1
                await asyncio.sleep(max(0.0, soak.started + minute * 60 - time.monotonic()))
                mb = rss_mb(pid)
                soak.rss.append((soak.minutes(), mb))
                print(
                    f"minute {minute:>3}: RSS {mb:6.0f} MB; {soak.sessions} recorded sessions, {soak.bundles} bundles and "
                    f"{soak.videos} videos exported, {soak.events} signaling events, {len(soak.errors)} errors",
                    flush=True,
                )
        finally:
            stop.set()
            await asyncio.gather(*work, return_exceptions=True)
    return soak


def main(settings: Settings, minutes: float = 60.0, clients: int = 100, kbps: int = 1000) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-soak-") as tmp:
        settings = replace(settings, data_dir=Path(tmp), database_url=None)
        print(
            f"mediate bench soak: {minutes:.0f} minutes of recorded 3-person sessions one after another "
            f"({RECORD_SECONDS:.0f} s each), {clients} signaling clients (a `device` event every {DEVICE_EVERY:.0f} s), "
            f"every recording's bundle exported and every third one's review video; {os.cpu_count()} cores",
            flush=True,
        )
        soak = asyncio.run(run(settings, minutes, clients, kbps))
    for error in dict.fromkeys(soak.errors):
        print(f"  error: {error}")
    peak = max((mb for _, mb in soak.rss), default=0.0)
    print(f"soak: {len(soak.rss)} minutes, peak RSS {peak:.0f} MB; {verdict(soak.rss)}")
    return 0
