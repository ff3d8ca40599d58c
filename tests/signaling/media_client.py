"""A participant's media, played by a real aiortc peer over loopback: what a browser tab would do.

It answers the server's offers on ``/live`` (attaching a camera and a microphone to the
m-lines the offer marks for publishing), decodes everything it receives, and counts, per
(publisher, kind), the RTP packets and the decoded frames that arrived. The camera is a
small synthetic VP8 picture (160x120) so that several peers fit in one test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
from array import array
from collections import Counter
from collections.abc import Callable
from typing import Any

import av
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)

from signaling.media import rtc_ice_servers
from tests.signaling.live import NS, Peer

Key = tuple[str, str]  # (publisher id, kind)


class SmallCamera(VideoStreamTrack):
    """A 160x120 picture whose brightness changes with every frame."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=160, height=120, format="yuv420p")
        shade = (pts // 3000) % 200
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([shade if i == 0 else 128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, fractions.Fraction(time_base.numerator, time_base.denominator)
        return frame


class VgaCamera(SmallCamera):
    """640x480, the least a party's browser is asked for (web/js/rtc.js CAMERA)."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=640, height=480, format="yuv420p")
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([(pts // 3000) % 200 if i == 0 else 128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, fractions.Fraction(time_base.numerator, time_base.denominator)
        return frame


class MediaClient:
    def __init__(
        self,
        peer: Peer,
        *,
        audio: bool = True,
        video: bool = True,
        camera: Callable[[], MediaStreamTrack] = SmallCamera,
        microphone: Callable[[], MediaStreamTrack] = AudioStreamTrack,
    ) -> None:
        self.peer = peer
        self.camera = camera
        self.microphone = microphone
        #: The audio decoded per (publisher, kind): 16-bit samples of its first channel, and their rate.
        self.heard: dict[Key, array[int]] = {}
        self.heard_rate = 48000
        self.audio, self.video = audio, video
        self.pc: RTCPeerConnection | None = None
        self.offers: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.mids: dict[str, Key] = {}
        self.frames: Counter[Key] = Counter()
        #: The size of the latest decoded picture per (publisher, kind).
        self.sizes: dict[Key, tuple[int, int]] = {}
        self.sources: list[MediaStreamTrack] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._consumers: dict[str, asyncio.Task[Any]] = {}
        peer.sio.on("media_offer", self._on_offer, namespace=NS)

    async def start(self) -> dict[str, Any]:
        return await self.peer.call("media_start", {"audio": self.audio, "video": self.video})

    def _on_offer(self, offer: dict[str, Any]) -> None:
        # Answer in a task: a handler that awaits an ack would block the client's read loop.
        task = asyncio.ensure_future(self._answer(offer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, offer: dict[str, Any]) -> None:
        self.offers.append(offer)
        if offer["revision"] == 1:  # a fresh peer connection on the server: start afresh too
            await self.close_pc()
            self.sources = [self.microphone(), self.camera()]  # aiortc ends a track with its sender
            # The servers the offer names, as the browser takes them (web/js/rtc.js): never None,
            # which would make aiortc reach for a public STUN server (tests/ice_guard.py).
            ice = rtc_ice_servers(offer.get("ice_servers") or [])
            self.pc = RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE, iceServers=ice))
            self.pc.on("track", self._on_track)
        pc = self.pc
        assert pc is not None
        for t in offer["tracks"]:
            self.mids[t["mid"]] = (t["participant_id"], t["kind"])
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        publish = offer["publish"]
        for transceiver in pc.getTransceivers():
            if transceiver.mid == publish["audio"] and transceiver.sender.track is None:
                transceiver.sender.replaceTrack(self.sources[0])
            elif transceiver.mid == publish["video"] and transceiver.sender.track is None:
                transceiver.sender.replaceTrack(self.sources[1])
            if transceiver.mid in publish.values():
                transceiver.direction = "sendonly"
        await pc.setLocalDescription(await pc.createAnswer())
        answer = {"revision": offer["revision"], "connection": offer["connection"], "sdp": pc.localDescription.sdp}
        ack = await self.peer.call("media_answer", answer)
        self.answers.append(ack)

    def attach_screen(self) -> None:
        """Put a picture on the screen-share m-line (no renegotiation: it was answered sendonly)."""
        assert self.pc is not None and self.offers
        mid = self.offers[0]["publish"]["screen"]
        transceiver = next(t for t in self.pc.getTransceivers() if t.mid == mid)
        screen = SmallCamera()
        self.sources.append(screen)
        transceiver.sender.replaceTrack(screen)

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.pc is not None
        mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)
        assert mid is not None
        self._consumers[mid] = asyncio.ensure_future(self._consume(mid, track))

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await track.recv()
                key = self.mids.get(mid)
                if key is not None:
                    self.frames[key] += 1
                    if isinstance(frame, av.VideoFrame):
                        self.sizes[key] = (frame.width, frame.height)
                    elif isinstance(frame, av.AudioFrame):
                        channels = len(frame.layout.channels)
                        samples = array("h", bytes(frame.planes[0])[: frame.samples * 2 * channels])
                        self.heard.setdefault(key, array("h")).extend(samples[::channels])
                        self.heard_rate = frame.sample_rate

    async def packets(self) -> Counter[Key]:
        """RTP packets received so far, per (publisher, kind), from the receivers' own statistics."""
        counts: Counter[Key] = Counter()
        if self.pc is None:
            return counts
        for transceiver in self.pc.getTransceivers():
            key = self.mids.get(transceiver.mid or "")
            if key is None:
                continue
            report = await transceiver.receiver.getStats()
            counts[key] += sum(s.packetsReceived for s in report.values() if s.type == "inbound-rtp")
        return counts

    def from_(self, publisher_id: str) -> int:
        """Decoded frames (audio and video) received from one publisher."""
        return sum(n for (pid, _), n in self.frames.items() if pid == publisher_id)

    async def close_pc(self) -> None:
        for task in self._consumers.values():
            task.cancel()
        self._consumers.clear()
        for source in self.sources:
            source.stop()
        if self.pc is not None:
            await self.pc.close()
            self.pc = None

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.close_pc()
