"""Light aiortc participants for the benchmarks and the demo: pre-encoded media, no codecs at run time.

A :class:`LoadPeer` joins ``/live`` over Socket.IO like a browser does (the session cookie,
``media_start``, answering the server's offers) and publishes :class:`Replay` tracks: VP8 and
Opus frames encoded once up front and paced at 30 and 50 per second. It counts the frames it
receives without decoding them (the same receiver tap the server uses). So what a benchmark
measures is the server, not the load generator's codecs.

A :class:`Replay` can be paused and resumed, counting what it sent: the recording benchmark
stops every publisher for a moment around ``record_start`` and ``record_stop`` so that no frame
is in flight when the recorder is switched, and "sent while recording" is an exact number.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import av
import socketio
from aiortc import MediaStreamTrack, RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs.opus import OpusEncoder

from server.bench.api import SHANGHAI, open_bookable_case
from server.evidence.records import DeviceKey, unb64
from signaling import aiortc_hooks
from signaling.media import rtc_ice_servers

NS = "/live"
FPS = 30
AUDIO_FPS = 50
Media = tuple[list[bytes], list[bytes]]


# -- pre-encoded media ---------------------------------------------------------------------------


def encode_video(kbps: int = 1000, seconds: int = 2, tint: tuple[int, int] = (128, 128)) -> list[bytes]:
    """VP8 frames of 640x480 at about ``kbps``; the first is a keyframe, and the loop restarts there.

    A moving gradient with a band of noise across the top (30 rows for 1 Mbit/s): noise everywhere
    would need 16 Mbit/s, a plain picture only 0.2. ``tint`` (the U and V planes) tells
    participants apart when a recording is played back.
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
        for chroma, level in zip(frame.planes[1:], tint, strict=True):
            chroma.update(bytes([level]) * chroma.buffer_size)
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
    for i in range(AUDIO_FPS):
        frame.pts = i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        payloads, _ = encoder.encode(frame)
        out += payloads
    return out


class Replay(MediaStreamTrack):
    """Sends pre-encoded frames, paced; a keyframe request restarts the loop at its keyframe.

    ``sent`` counts the frames handed to aiortc. While paused nothing is sent, but the media
    clock (the frame's timestamp) keeps running, as a camera's does, so the receiver's
    timeline stays true to the wall clock; sending resumes at a keyframe.
    """

    def __init__(self, kind: str, frames: list[bytes]) -> None:
        super().__init__()
        self.kind = kind
        self.frames = frames
        rate = FPS if kind == "video" else AUDIO_FPS
        self.clock = 90000 if kind == "video" else 48000
        self.step = self.clock // rate
        self.interval = 1 / rate
        self.n = 0
        self.index = 0
        self.sent = 0
        self.start: float | None = None
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.first_sent = asyncio.Event()

    def keyframe(self) -> None:
        self.index = 0

    def pause(self) -> int:
        """Stop sending (no frame leaves after this returns); the number sent so far."""
        self.flowing.clear()
        return self.sent

    def resume(self) -> int:
        """Send again from now on, starting with a keyframe; the number sent so far."""
        self.index = 0
        if self.start is not None:
            self.n = max(self.n, math.ceil((time.monotonic() - self.start) / self.interval))
        self.flowing.set()
        return self.sent

    async def recv(self) -> Any:
        while True:
            await self.flowing.wait()
            if self.start is None:
                self.start = time.monotonic()
            wait = self.start + self.n * self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.flowing.is_set():  # not paused while waiting for this frame's time
                break
        packet = av.Packet(self.frames[self.index % len(self.frames)])
        packet.pts = self.n * self.step
        packet.time_base = fractions.Fraction(1, self.clock)
        self.n += 1
        self.index += 1
        self.sent += 1
        self.first_sent.set()
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
    #: The tracks this peer publishes, by kind ("audio", "video"), once the server's offer came.
    replays: dict[str, Replay] = field(default_factory=dict)
    offered: asyncio.Event = field(default_factory=asyncio.Event)
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
        if not ack.get("ok"):
            raise RuntimeError(f"media_start refused: {ack}")

    async def publishing(self) -> None:
        """Wait until both tracks are sending (the first offer has been answered and media flows)."""
        await self.offered.wait()
        await asyncio.gather(*(replay.first_sent.wait() for replay in self.replays.values()))

    async def consent(self, key: DeviceKey) -> int:
        """Consent to recording as the party page does: sign the server's statement with the bound key."""
        request = await self.call("consent_prepare", {})
        if not request.get("ok"):
            raise RuntimeError(f"consent_prepare refused: {request}")
        signature = key.sign(unb64(request["statement"]))["sig"]
        given = await self.call("consent_give", {"challenge": request["challenge"], "signature": signature})
        if not given.get("ok"):
            raise RuntimeError(f"consent_give refused: {given}")
        return int(given["seq"])

    def pause(self) -> dict[str, int]:
        return {kind: replay.pause() for kind, replay in self.replays.items()}

    def resume(self) -> dict[str, int]:
        return {kind: replay.resume() for kind, replay in self.replays.items()}

    def _on_offer(self, offer: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._answer(offer))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, offer: dict[str, Any]) -> None:
        if offer["revision"] == 1:
            if self.pc is not None:
                await self.pc.close()
            # The servers the offer names, as a browser takes them (web/js/rtc.js); never None,
            # which would make aiortc ask a public STUN server of its own choosing.
            ice = rtc_ice_servers(offer.get("ice_servers") or [])
            self.pc = RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE, iceServers=ice))
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
                self.replays[kind] = track
                transceiver.sender.replaceTrack(track)
                if kind == "video":
                    aiortc_hooks.on_keyframe_request(transceiver.sender, track.keyframe)
        if self.replays:
            self.offered.set()
        await pc.setLocalDescription(await pc.createAnswer())
        await self.call(
            "media_answer", {"revision": offer["revision"], "connection": offer["connection"], "sdp": pc.localDescription.sdp}
        )

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
    case_id: str = ""
    #: The parties' phone PINs, in the order of their cookies (when the server has a phone number).
    pins: list[str] = field(default_factory=list)


async def cookie_of(session: aiohttp.ClientSession) -> str:
    for morsel in session.cookie_jar:
        if morsel.key == "mediate_session":
            return morsel.value
    raise RuntimeError("no session cookie")


async def book_sessions(
    base: str, username: str, count: int, parties: int, case_number: str | None = None, hours_ahead: int = 1
) -> list[Booked]:
    """``count`` sessions of one mediator's one case, an hour apart, each with ``parties`` parties and their links opened.

    The parties are the same people in every session (one case), so a key they bind serves
    every session. The first is ``hours_ahead`` hours from now (another case of the same
    mediator books after the hours its earlier ones took).
    """
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        headers, case_id = await open_bookable_case(session, base, username, case_number or f"MEDIA-{username}", parties)
        mediator_cookie = await cookie_of(session)
        slot = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_ahead)
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
            pins = [link["phone"]["pin"] for link in answer["links"] if "phone" in link]
            booked.append(Booked(answer["session"]["id"], mediator_cookie, cookies, case_id, pins))
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


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (/proc/stat): to show how noisy a window was."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
