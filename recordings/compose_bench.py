"""Compose's own benchmark: a synthetic session of swaying pictures and tones, composed in this process.

``mediate bench recording`` prints it as its fourth figure (``server/bench/recording.py``).
"""

from __future__ import annotations

import fractions
import io
import math
import tempfile
import time
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from recordings.compose import MAX_TILES, SAMPLE_RATE, compose
from recordings.webm import Frame, Kind, mux


def bench_compose(participants: int = 3, seconds: float = 24.0) -> float:
    """Print, and return, compose seconds per minute of session for a synthetic 640x480 session.

    Each participant sends a swaying textured block over a still background at 30 fps (VP8 at
    up to 800 kbit/s, so decoding costs about what a camera's would) and a tone; one joins 2 s
    late and one has a 2 s gap. Real cameras add sensor noise, which costs x264 a little more.
    """
    webm = _bench_webm(seconds)
    sources = [webm, _shifted(webm, 2.0, None, seconds), _shifted(webm, 0.0, (seconds / 2, seconds / 2 + 2), seconds)]
    sources = (sources * MAX_TILES)[:participants]
    with tempfile.TemporaryDirectory() as directory:
        started, cpu = time.perf_counter(), time.process_time()
        compose(sources, [f"participant {i + 1}" for i in range(participants)], Path(directory) / "bench.mp4")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = (Path(directory) / "bench.mp4").stat().st_size
    per_minute = wall * 60 / seconds
    print(
        f"compose {participants} participants, {seconds:.0f} s session at 1280x720/25 fps: {wall:.1f} s "
        f"({per_minute:.1f} s per minute of session, {cpu / wall:.2f} cores busy, {size * 8 / seconds / 1000:.0f} kbit/s)"
    )
    return per_minute


def _bench_webm(seconds: float, width: int = 640, height: int = 480, fps: int = 30) -> bytes:
    frames: list[Frame] = []
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.framerate, encoder.bit_rate = fractions.Fraction(1, 1000), fractions.Fraction(fps), 800_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "g": str(fps * 2)}
    # A talking head, roughly: a still, softly shaded room and a textured 200x200 "head" that sways.
    room = [bytes(40 + (x + 2 * y) // 12 % 160 for x in range(width)) for y in range(height)]
    head = [bytes((x * x // 7 + y * 13 + (x * y) // 31) % 220 + 16 for x in range(200)) for y in range(200)]
    for index in range(round(seconds * fps)):
        picture = VideoFrame(width, height, "yuv420p")
        left = width // 2 - 100 + round(60 * math.sin(index / fps * 2))
        top = height // 2 - 100 + round(20 * math.sin(index / fps * 3))
        rows = [row if not top <= y < top + 200 else row[:left] + head[y - top] + row[left + 200 :] for y, row in enumerate(room)]
        picture.planes[0].update(_padded(b"".join(rows), width, picture.planes[0].line_size))
        for plane in picture.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        picture.pts = index * 1000 // fps
        frames += [Frame("video", int(p.pts or 0), bytes(p), p.is_keyframe) for p in encoder.encode(picture)]
    frames += [Frame("video", int(p.pts or 0), bytes(p), p.is_keyframe) for p in encoder.encode(None)]
    voice = av.CodecContext.create("libopus", "w")
    assert isinstance(voice, av.AudioCodecContext)
    voice.sample_rate, voice.layout, voice.format = SAMPLE_RATE, "mono", "s16"
    tone = b"".join(
        round(6000 * math.sin(2 * math.pi * 440 * n / SAMPLE_RATE)).to_bytes(2, "little", signed=True) for n in range(960)
    )
    packets = []
    for index in range(round(seconds * 50)):
        sound = AudioFrame(format="s16", layout="mono", samples=960)
        sound.planes[0].update(tone)
        sound.sample_rate, sound.pts = SAMPLE_RATE, index * 960
        packets += voice.encode(sound)
    packets += voice.encode(None)
    frames += [Frame("audio", index * 20, bytes(packet), True) for index, packet in enumerate(packets)]
    return mux(frames)


def _padded(rows: bytes, width: int, line: int) -> bytes:
    if line == width:
        return rows
    return b"".join(rows[at : at + width] + bytes(line - width) for at in range(0, len(rows), width))


def _shifted(webm: bytes, late: float, gap: tuple[float, float] | None, seconds: float) -> bytes:
    """The same participant joining ``late`` seconds later, or missing during ``gap`` (video resumes on a key frame)."""
    frames: list[Frame] = []
    waiting = False
    with av.open(io.BytesIO(webm), "r") as container:
        for packet in container.demux():
            if packet.pts is None or packet.size == 0:
                continue
            at = packet.pts / 1000 + late
            kind: Kind = "video" if packet.stream.type == "video" else "audio"
            if at >= seconds or (gap is not None and gap[0] <= at < gap[1]):
                waiting = waiting or kind == "video"
                continue
            if kind == "video" and waiting:
                if not packet.is_keyframe:
                    continue
                waiting = False
            frames.append(Frame(kind, round(at * 1000), bytes(packet), packet.is_keyframe))
    return mux(frames)
