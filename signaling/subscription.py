"""What one receiver gets of one published track: encoded frames, while routing allows (signaling/media.py)."""

from __future__ import annotations

import asyncio
import fractions
import functools
import time
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtptransceiver import RTCRtpTransceiver

from recordings.webm import vp8_is_keyframe
from signaling.routing import TrackKind

#: How many frames may wait for a slow subscriber before it is resynchronised on a keyframe.
QUEUE_FRAMES = {"audio": 100, "video": 60}
#: A subscription re-asks for a keyframe if none came this long after it opened.
KEYFRAME_RETRY = 1.0


def media_kind(kind: TrackKind) -> str:
    """The WebRTC kind of a track: a screen share is video."""
    return "audio" if kind == "audio" else "video"


@functools.cache
def time_base(clock_rate: int) -> fractions.Fraction:
    """1/clock rate, made once per rate (a Fraction per frame showed up in profiles)."""
    return fractions.Fraction(1, clock_rate)


class EncodedFrame:
    """One encoded frame for a receiver: what aiortc's senders read of an ``av.Packet`` (``bytes()``, ``pts``,
    ``time_base``), without one. Making an ``av.Packet`` copied the frame and converted the time base for every
    frame of every subscriber; the frame's bytes are shared by all of them."""

    __slots__ = ("data", "pts", "time_base")

    def __init__(self, data: bytes, pts: int, base: fractions.Fraction) -> None:
        self.data = data
        self.pts = pts
        self.time_base = base

    def __bytes__(self) -> bytes:
        return self.data


class Subscription(MediaStreamTrack):
    """What one receiver gets of one published track: encoded frames, while routing allows.

    Keyed by (publisher, kind), it outlives any one publication: when the publisher
    reconnects, the new publication feeds the same subscription, and timestamps are rebased
    so that they keep increasing for the receiver's decoder.
    """

    def __init__(self, publisher_id: str, receiver_id: str, kind: TrackKind) -> None:
        super().__init__()
        self.kind = media_kind(kind)
        self.publisher_id = publisher_id
        self.receiver_id = receiver_id
        self.track_kind: TrackKind = kind
        self.is_open = False
        self.frames_sent = 0
        self.dropped = 0
        self.transceiver: RTCRtpTransceiver | None = None
        self._queue: asyncio.Queue[EncodedFrame] = asyncio.Queue(QUEUE_FRAMES[self.kind])
        self._waiting_for_key = self.kind == "video"
        self._source: object = None
        self._offset = 0
        self._last_pts = -1
        self._opened_at = 0.0
        self.on_need_keyframe: Callable[[], None] | None = None

    def open(self, is_open: bool) -> None:
        if is_open == self.is_open:
            return
        self.is_open = is_open
        if is_open:
            self._opened_at = time.monotonic()
            if self.kind == "video":
                self._waiting_for_key = True
                self.ask_keyframe()
        else:
            self._drain()  # nothing queued before closing may leave afterwards

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    def ask_keyframe(self) -> None:
        if self.on_need_keyframe is not None:
            self.on_need_keyframe()

    def push(self, source: object, clock_rate: int, timestamp: int, data: bytes) -> None:
        if not self.is_open:
            return
        if self._waiting_for_key:
            if not vp8_is_keyframe(data):
                self.dropped += 1
                if time.monotonic() - self._opened_at > KEYFRAME_RETRY:
                    self._opened_at = time.monotonic()
                    self.ask_keyframe()
                return
            self._waiting_for_key = False
        if source is not self._source:
            # A new publication (the publisher reconnected): continue the timeline.
            step = clock_rate // 30 if self.kind == "video" else clock_rate // 50
            self._offset = (self._last_pts + step - timestamp) if self._last_pts >= 0 else 0
            self._source = source
        packet = EncodedFrame(data, max(timestamp + self._offset, self._last_pts + 1), time_base(clock_rate))
        self._last_pts = packet.pts
        try:
            self._queue.put_nowait(packet)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.kind == "video":  # a slow receiver: start again from the next keyframe
                self._drain()
                self._waiting_for_key = True
                self._opened_at = time.monotonic()
                self.ask_keyframe()

    def take(self) -> list[EncodedFrame]:
        """Every frame queued so far, without waiting (a phone line's mixer, on its own clock)."""
        packets = []
        while not self._queue.empty():
            packets.append(self._queue.get_nowait())
        return packets

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        self.frames_sent += 1
        return packet
