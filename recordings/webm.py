"""Encoded VP8 and Opus frames into WebM, without decoding or encoding anything.

PyAV's muxer takes ``av.Packet`` objects as they arrived from the browser; the only facts
the container needs that a packet does not carry are the video's size, read from the VP8
key frame header (RFC 6386 §9.1), and the time of each frame on the session timeline in
milliseconds (WebM's own time base). Every segment's times are session times, so segments
of one participant concatenate into one file by copying packets (``remux``).
"""

from __future__ import annotations

import fractions
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import av

MS = fractions.Fraction(1, 1000)
Kind = Literal["audio", "video"]


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
    buffer = io.BytesIO()
    # bitexact: the same frames give the same bytes, so a file can be re-derived and its hash compared.
    container = av.open(buffer, "w", format="webm", container_options={"fflags": "+bitexact"})
    try:
        streams: dict[str, av.stream.Stream] = {}
        first_key = next((f for f in frames if f.kind == "video" and f.keyframe), None)
        if first_key is not None:
            width, height = vp8_size(first_key.data)
            video = container.add_stream("vp8", rate=30)
            video.width, video.height = width, height
            video.time_base = MS
            streams["video"] = video
        if any(f.kind == "audio" for f in frames):
            audio = container.add_stream("opus", rate=48000)
            audio.time_base = MS
            streams["audio"] = audio
        _write(container, streams, frames)
    finally:
        container.close()
    return buffer.getvalue()


def _write(container: av.container.OutputContainer, streams: dict[str, av.stream.Stream], frames: Iterable[Frame]) -> None:
    last: dict[str, int] = {}
    for frame in sorted(frames, key=lambda f: f.pts_ms):
        stream = streams.get(frame.kind)
        if stream is None:
            continue
        pts = max(frame.pts_ms, last.get(frame.kind, -1) + 1)  # strictly increasing per track
        last[frame.kind] = pts
        packet = av.Packet(frame.data)
        packet.stream = stream
        packet.pts = packet.dts = pts
        packet.time_base = MS
        packet.is_keyframe = frame.kind == "audio" or frame.keyframe
        container.mux(packet)


def frames(data: bytes) -> list[Frame]:
    """The packets of one WebM file as frames, copied as they are (demuxed, never decoded)."""
    out: list[Frame] = []
    with av.open(io.BytesIO(data), "r") as source:
        for packet in source.demux():
            if packet.size == 0 or packet.pts is None or packet.time_base is None:
                continue
            kind: Kind = "video" if packet.stream.type == "video" else "audio"
            out.append(Frame(kind, int(packet.pts * packet.time_base * 1000), bytes(packet), bool(packet.is_keyframe)))
    return out


def remux(segments: Iterable[bytes]) -> bytes:
    """Segments of one participant, in order, as one seekable WebM (packets copied, never re-encoded)."""
    return mux([frame for data in segments for frame in frames(data)])
