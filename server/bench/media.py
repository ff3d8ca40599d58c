"""`mediate bench media`: what live sessions cost the server, and how fast media starts.

A real `mediate serve` runs in its own process (MEDIATE_MEDIA_LOOPBACK=1, fresh SQLite). The
participants are light aiortc peers in this process: they publish pre-encoded 640x480 VP8
(about 1 Mbit/s, noise, so the encoder really spends its bits) and Opus frames, paced at 30
and 50 per second, and count the frames they receive without decoding them (the same
receiver tap the server uses). So the server is measured, not the load generator's codecs.

Figures, printed (never asserted):
  1. join → first remote frame: a party connects with the room admitting automatically, sends
     media_start, and waits for the first complete frame of the mediator's video (median of 5);
  2. server CPU for one publisher and 0, 1, 2, 4 subscribers: cores per extra subscriber, and
     per forwarded video stream and per forwarded audio stream;
  3. concurrent 3-person sessions (everyone publishes and receives the two others): server
     cores, and the share of published video frames that reached their subscribers;
  4. signaling: ack round trip p50/p99 with 200 clients connected (100 sessions x 2 parties).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import av
import socketio
from aiortc import MediaStreamTrack, RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs.opus import OpusEncoder

from server.bench.api import SHANGHAI, open_bookable_case, prepare, serving
from server.settings import Settings
from signaling import aiortc_hooks

NS = "/live"
FPS = 30


# -- pre-encoded media ---------------------------------------------------------------------------


def encode_video(kbps: int = 1000, seconds: int = 2) -> list[bytes]:
    """VP8 frames of 640x480 at about ``kbps``; the first is a keyframe, and the loop restarts there.

    A moving gradient with a band of noise across the top (30 rows for 1 Mbit/s): noise everywhere
    would need 16 Mbit/s, a plain picture only 0.2.
    """
    rows = max(0, min(480, round(30 * kbps / 1000)))
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    codec.bit_rate = kbps * 1000
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.gop_size = 10_000
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "end-usage": "cbr"}
    frames: list[bytes] = []
    for i in range(seconds * FPS):
        frame = av.VideoFrame(width=640, height=480, format="yuv420p")
        luma = frame.planes[0]
        picture = bytearray(bytes((x + i * 4) % 256 for x in range(luma.line_size)) * (luma.buffer_size // luma.line_size))
        picture[: rows * luma.line_size] = os.urandom(rows * luma.line_size)
        luma.update(bytes(picture))
        for chroma in frame.planes[1:]:
            chroma.update(bytes([128]) * chroma.buffer_size)
        frame.pts = i
        frames += [bytes(p) for p in codec.encode(frame)]
    frames += [bytes(p) for p in codec.encode(None)]
    return frames


def encode_audio() -> list[bytes]:
    """Fifty 20 ms Opus frames of silence."""
    encoder = OpusEncoder()
    frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = 48000
    out = []
    for i in range(50):
        frame.pts = i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        payloads, _ = encoder.encode(frame)
        out += payloads
    return out


class Replay(MediaStreamTrack):
    """Sends pre-encoded frames, paced; a keyframe request restarts the loop at its keyframe."""

    def __init__(self, kind: str, frames: list[bytes]) -> None:
        super().__init__()
        self.kind = kind
        self.frames = frames
        self.clock = 90000 if kind == "video" else 48000
        self.step = self.clock // (FPS if kind == "video" else 50)
        self.interval = 1 / (FPS if kind == "video" else 50)
        self.n = 0
        self.index = 0
        self.start: float | None = None

    def keyframe(self) -> None:
        self.index = 0

    async def recv(self) -> Any:
        if self.start is None:
            self.start = time.monotonic()
        wait = self.start + self.n * self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        packet = av.Packet(self.frames[self.index % len(self.frames)])
        packet.pts = self.n * self.step
        packet.time_base = fractions.Fraction(1, self.clock)
        self.n += 1
        self.index += 1
        return packet


# -- a light participant ------------------------------------------------------------------------


@dataclass
class LoadPeer:
    base: str
    cookie: str
    auth: dict[str, str] | None
    video: list[bytes]
    audio: list[bytes]
    publish: bool = True
    sio: socketio.AsyncClient = field(default_factory=lambda: socketio.AsyncClient(reconnection=False))
    pc: RTCPeerConnection | None = None
    mids: dict[str, tuple[str, str]] = field(default_factory=dict)
    frames: Counter[tuple[str, str]] = field(default_factory=Counter)
    first_video_at: float | None = None
    first_video: asyncio.Event = field(default_factory=asyncio.Event)
    participant_id: str = ""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def connect(self) -> None:
        self.sio.on("media_offer", self._on_offer, namespace=NS)
        self.sio.on("participants", self._on_participants, namespace=NS)
        await self.sio.connect(
            self.base,
            headers={"Cookie": f"mediate_session={self.cookie}"},
            auth=self.auth,
            namespaces=[NS],
            transports=["websocket"],
            wait_timeout=10,
        )

    def _on_participants(self, view: dict[str, Any]) -> None:
        self.participant_id = view["self"]["id"]

    async def call(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, namespace=NS, timeout=20)

    async def start_media(self) -> None:
        ack = await self.call("media_start", {"audio": self.publish, "video": self.publish})
        assert ack.get("ok"), ack

    def _on_offer(self, offer: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._answer(offer))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, offer: dict[str, Any]) -> None:
        if offer["revision"] == 1:
            if self.pc is not None:
                await self.pc.close()
            self.pc = RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
            self.pc.on("track", self._on_track)
        pc = self.pc
        assert pc is not None
        for t in offer["tracks"]:
            self.mids[t["mid"]] = (t["participant_id"], t["kind"])
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.mid not in offer["publish"].values():
                continue
            transceiver.direction = "sendonly"
            if self.publish and transceiver.sender.track is None and transceiver.mid != offer["publish"]["screen"]:
                kind = "audio" if transceiver.mid == offer["publish"]["audio"] else "video"
                track = Replay(kind, self.audio if kind == "audio" else self.video)
                transceiver.sender.replaceTrack(track)
                if kind == "video":
                    aiortc_hooks.on_keyframe_request(transceiver.sender, track.keyframe)
        await pc.setLocalDescription(await pc.createAnswer())
        await self.call("media_answer", {"revision": offer["revision"], "sdp": pc.localDescription.sdp})

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.pc is not None
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        mid = transceiver.mid or ""

        def count(codec: Any, frame: Any) -> None:
            key = self.mids.get(mid)
            if key is None:
                return
            self.frames[key] += 1
            if key[1] == "video" and self.first_video_at is None:
                self.first_video_at = time.perf_counter()
                self.first_video.set()

        aiortc_hooks.tap_receiver(transceiver.receiver, count)

    def video_frames(self) -> int:
        return sum(n for (_, kind), n in self.frames.items() if kind == "video")

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.sio.disconnect()
        if self.pc is not None:
            await self.pc.close()


# -- setting up sessions through the API ------------------------------------------------------------


@dataclass
class Booked:
    session_id: str
    mediator_cookie: str
    party_cookies: list[str]


async def cookie_of(session: aiohttp.ClientSession) -> str:
    for morsel in session.cookie_jar:
        if morsel.key == "mediate_session":
            return morsel.value
    raise RuntimeError("no session cookie")


async def book_sessions(base: str, username: str, count: int, parties: int) -> list[Booked]:
    """``count`` sessions of one mediator, an hour apart, each with ``parties`` parties and their links opened."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        headers, case_id = await open_bookable_case(session, base, username, f"MEDIA-{username}", parties)
        mediator_cookie = await cookie_of(session)
        slot = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        booked = []
        for _ in range(count):
            body = {"starts_at": slot.isoformat(), "duration_minutes": 30, "timezone": "Asia/Shanghai"}
            slot += timedelta(hours=1)
            async with session.post(f"{base}/api/v1/cases/{case_id}/sessions", json=body, headers=headers) as r:
                answer = await r.json()
                if r.status != 201:
                    raise RuntimeError(f"booking failed: {answer}")
            cookies = []
            for link in answer["links"]:
                async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
                    token = link["url"].rsplit("/j/", 1)[1]
                    async with browser.get(f"{base}/j/{token}", allow_redirects=False) as r:
                        await r.read()
                    cookies.append(await cookie_of(browser))
            booked.append(Booked(answer["session"]["id"], mediator_cookie, cookies))
        return booked


# -- measurements ------------------------------------------------------------------------------------


class ServerCpu:
    """CPU seconds of the server process, from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/stat")
        self.tick = os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float:
        fields = self.path.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    async def cores(self, seconds: float) -> float:
        before, started = self.seconds(), time.perf_counter()
        await asyncio.sleep(seconds)
        return (self.seconds() - before) / (time.perf_counter() - started)


async def join_to_first_frame(base: str, booked: Booked, media: tuple[list[bytes], list[bytes]]) -> float:
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
    media: tuple[list[bytes], list[bytes]],
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
    base: str, sessions: list[Booked], cpu: ServerCpu, media: tuple[list[bytes], list[bytes]], window: float
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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(settings: Settings, max_sessions: int, window: float, kbps: int) -> None:
    usernames = await prepare(settings, 6)
    aiortc_hooks.allow_loopback_ice()
    async with serving(settings, MEDIATE_MEDIA_LOOPBACK="1") as (base, pid):
        cpu = ServerCpu(pid)
        media = (encode_video(kbps), encode_audio())
        real = sum(len(f) for f in media[0]) * 8 / (len(media[0]) / FPS) / 1000
        print(f"publisher: 640x480 VP8 at {real:.0f} kbit/s + Opus, pre-encoded; peers in this process, server in its own")

        joins = await book_sessions(base, usernames[0], 5, 2)
        times = [await join_to_first_frame(base, b, media) for b in joins]
        print(
            f"1. join -> first remote video frame (party admitted automatically): median {statistics.median(times) * 1000:.0f} ms, "
            f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ({len(times)} joins)"
        )

        (fan,) = await book_sessions(base, usernames[1], 1, 4)
        print(f"2. server CPU, one publisher (video+audio), {window:.0f} s windows:")
        rows = await forwarding_cost(base, fan, cpu, media, window)
        for subs, cores in rows:
            print(f"     {subs} subscriber(s): {cores:.3f} cores")
        extra = (rows[-1][1] - rows[1][1]) / (rows[-1][0] - rows[1][0])
        print(f"     per extra subscriber (1 -> 4): {extra:.4f} cores; receiving one publisher: {rows[0][1]:.3f} cores")
        for kind in ("video", "audio"):
            (only,) = await book_sessions(base, usernames[4 if kind == "video" else 5], 1, 4)
            split = await forwarding_cost(base, only, cpu, media, window, (kind,), (0, 4))
            print(
                f"     per forwarded {kind} stream (0 -> 4 subscribers, {kind} only): {(split[1][1] - split[0][1]) / 4:.4f} cores"
            )

        print("3. concurrent 3-person sessions (everyone publishes, receives the other two):")
        counts = list(range(2, max_sessions + 1, 2))
        pool = await book_sessions(base, usernames[2], sum(counts), 2)
        for count in counts:
            batch, pool = pool[:count], pool[count:]
            cores, generator, delivered = await concurrent_sessions(base, batch, cpu, media, window)
            print(
                f"     {count:>2} sessions ({count * 3} peers): server {cores:.2f} cores, load generator {generator:.2f} cores, "
                f"video frames delivered {delivered * 100:.1f}%"
            )
            if delivered < 0.95:
                break

        many = await book_sessions(base, usernames[3], 100, 2)
        alone, together = await signaling_round_trips(base, many)
        print(
            f"4. signaling ack round trip (`device` event), 200 clients connected: one client sending "
            f"p50 {pct(alone, 0.5) * 1000:.1f} ms, p99 {pct(alone, 0.99) * 1000:.1f} ms; all 200 sending at once "
            f"p50 {pct(together, 0.5) * 1000:.1f} ms, p99 {pct(together, 0.99) * 1000:.1f} ms ({len(together)} acks)"
        )


def main(settings: Settings, sessions: int = 12, seconds: float = 5.0, kbps: int = 1000) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-media-") as tmp:
        settings = replace(settings, data_dir=Path(tmp), database_url=None)
        print(
            f"mediate bench media: up to {sessions} concurrent sessions, {seconds:.0f} s per measurement, {os.cpu_count()} cores"
        )
        asyncio.run(run(settings, sessions, seconds, kbps))
    return 0
