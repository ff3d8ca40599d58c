"""Encoded VP8 and Opus frames into WebM, without decoding or encoding anything.

PyAV's muxer takes ``av.Packet`` objects as they arrived from the browser; the only facts
the container needs that a packet does not carry are the video's size, read from the VP8
key frame header (RFC 6386 §9.1), and the time of each frame on the session timeline in
milliseconds (WebM's own time base). Every segment's times are session times, so segments
of one participant concatenate into one file by copying packets (``remux``).
"""

from __future__ import annotations

import fractions
import heapq
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Literal, Self

import av

MS = fractions.Fraction(1, 1000)
Kind = Literal["audio", "video"]
#: A WebM file: its bytes, or its path.
Source = bytes | str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Frame:
    kind: Kind
    pts_ms: int
    data: bytes
    keyframe: bool = False


def vp8_is_keyframe(data: bytes) -> bool:
    """RFC 6386 §9.1: bit 0 of the frame tag is 0 on a key frame, which carries start code 9d 01 2a."""
    return len(data) >= 6 and (data[0] & 1) == 0 and data[3:6] == b"\x9d\x01\x2a"


def vp8_size(keyframe: bytes) -> tuple[int, int]:
    """Width and height from a VP8 key frame's header (14 bits each; the top two are scaling)."""
    if len(keyframe) < 10 or not vp8_is_keyframe(keyframe):
        raise ValueError("not a VP8 key frame")
    width = int.from_bytes(keyframe[6:8], "little") & 0x3FFF
    height = int.from_bytes(keyframe[8:10], "little") & 0x3FFF
    return width, height


def mux(frames: Sequence[Frame]) -> bytes:
    """One WebM file of these frames (audio, video or both), in time order."""
    first_key = next((f for f in frames if f.kind == "video" and f.keyframe), None)
    layout = Layout(vp8_size(first_key.data) if first_key is not None else None, any(f.kind == "audio" for f in frames))
    buffer = io.BytesIO()
    with Writer(buffer, layout) as writer:
        for frame in sorted(frames, key=lambda f: f.pts_ms):
            writer.add(frame)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Layout:
    """What a WebM's header says before any frame: the video's size (None: no video) and whether it has audio."""

    video: tuple[int, int] | None
    audio: bool


class Writer:
    """Frames in time order into one WebM, as they come: nothing is held but FFmpeg's own small buffers.

    ``target`` is a path or a seekable binary file (the muxer goes back to write the cues and the
    duration). Frames of a kind the layout lacks are left out; each track's times are made strictly
    increasing, as a player needs.
    """

    def __init__(self, target: str | os.PathLike[str] | IO[bytes], layout: Layout) -> None:
        where = target if not isinstance(target, str | os.PathLike) else os.fspath(target)
        # bitexact: the same frames give the same bytes, so a file can be re-derived and its hash compared.
        self.container = av.open(where, "w", format="webm", container_options={"fflags": "+bitexact"})
        self.streams: dict[str, av.stream.Stream] = {}
        self.last: dict[str, int] = {}
        try:
            if layout.video is not None:
                video = self.container.add_stream("vp8", rate=30)
                video.width, video.height = layout.video
                video.time_base = MS
                self.streams["video"] = video
            if layout.audio:
                audio = self.container.add_stream("opus", rate=48000)
                audio.time_base = MS
                self.streams["audio"] = audio
        except BaseException:
            self.container.close()
            raise

    def add(self, frame: Frame, shift_ms: int = 0) -> None:
        stream = self.streams.get(frame.kind)
        if stream is None:
            return
        pts = max(frame.pts_ms + shift_ms, self.last.get(frame.kind, -1) + 1)  # strictly increasing per track
        self.last[frame.kind] = pts
        packet = av.Packet(frame.data)
        packet.stream = stream
        packet.pts = packet.dts = pts
        packet.time_base = MS
        packet.is_keyframe = frame.kind == "audio" or frame.keyframe
        self.container.mux(packet)

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(source: Source) -> Iterator[Frame]:
    """The packets of one WebM file (bytes or a path) as frames, one at a time (demuxed, never decoded)."""
    with av.open(io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source), "r") as container:
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None or packet.time_base is None:
                continue
            kind: Kind = "video" if packet.stream.type == "video" else "audio"
            yield Frame(kind, int(packet.pts * packet.time_base * 1000), bytes(packet), bool(packet.is_keyframe))


def frames(data: bytes) -> list[Frame]:
    """The packets of one WebM file as frames, copied as they are (demuxed, never decoded)."""
    return list(read(data))


def remux(segments: Iterable[bytes]) -> bytes:
    """Segments of one participant, in order, as one seekable WebM (packets copied, never re-encoded)."""
    parts = list(segments)
    buffer = io.BytesIO()
    remux_to(buffer, lambda: parts)
    return buffer.getvalue()


@dataclass(frozen=True)
class _Plan:
    layout: Layout
    #: The least time of the frames from block b on (``BLOCK`` frames a block, in reading order).
    least_from: list[int]


#: Frames per block of the first pass's minima: what the second pass may hold back, about 5 s of media.
BLOCK = 512


def remux_to(
    target: str | os.PathLike[str] | IO[bytes],
    sources: Callable[[], Iterable[Source]],
    *,
    from_zero: bool = False,
    shift_ms: int = 0,
) -> int:
    """Sources (segments, or whole files) of one participant, in order, written to ``target`` as one WebM.

    The bytes are those of :func:`mux` given every frame of every source in reading order (the same
    stable sort by time, the same header), but memory stays bounded whatever the length: a first
    pass over ``sources()`` reads the header's facts and, per block of ``BLOCK`` frames, the least
    time from there on; the second pass writes a frame once no frame still unread can come before
    it, so it holds back about one block (more only where sources overlap in time). ``sources`` is
    called once per pass; each source is read as it comes (``read``). Times move by ``shift_ms``,
    or with ``from_zero`` so that the first frame is at zero. Returns how far they moved back: the
    least time before the shift (``from_zero``), else ``-shift_ms``. Raises ValueError for no frames.
    """
    plan = _scan(sources())
    if not plan.least_from:
        raise ValueError("these segments hold no media")
    shift = -plan.least_from[0] if from_zero else shift_ms
    held: list[tuple[int, int, Frame]] = []
    position = 0
    with Writer(target, plan.layout) as writer:
        for source in sources():
            for frame in read(source):
                heapq.heappush(held, (frame.pts_ms, position, frame))
                position += 1
                if position % BLOCK == 0 and position // BLOCK < len(plan.least_from):
                    bound = plan.least_from[position // BLOCK]  # no frame still unread comes before this
                    while held and held[0][0] <= bound:
                        writer.add(heapq.heappop(held)[2], shift)
        while held:
            writer.add(heapq.heappop(held)[2], shift)
    return -shift


def _scan(sources: Iterable[Source]) -> _Plan:
    video: tuple[int, int] | None = None
    audio = False
    blocks: list[int] = []
    count = 0
    for source in sources:
        with av.open(io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source), "r") as container:
            for packet in container.demux():
                if packet.size == 0 or packet.pts is None or packet.time_base is None:
                    continue
                at = int(packet.pts * packet.time_base * 1000)
                if packet.stream.type == "video":
                    if video is None and packet.is_keyframe:
                        video = vp8_size(bytes(packet))
                else:
                    audio = True
                if count % BLOCK == 0:
                    blocks.append(at)
                elif at < blocks[-1]:
                    blocks[-1] = at
                count += 1
    for b in range(len(blocks) - 2, -1, -1):
        blocks[b] = min(blocks[b], blocks[b + 1])
    return _Plan(Layout(video, audio), blocks)
