"""Export as one video: three participants' WebM files become one MP4 a judge can watch.

The inputs are built the way the recorder builds them (VP8 and Opus packets muxed by
``recordings.webm.mux`` with session times in milliseconds), 160x120 solid colours and tones:

  张三  red 0-2 s then yellow 2-4 s; a 440 Hz tone 0.5-1.5 s, silence otherwise
  李四  joins at 1 s: green 1-4 s; a 660 Hz tone 2.5-3.5 s
  王五  blue 0-1.5 s, nothing at all 1.5-2.5 s (a gap), blue again 2.5-4 s; a 1000 Hz tone 3-4 s

Three tiles in 1280x720 are a 2x2 grid of 640x360 with the last row centred: 张三 top left,
李四 top right, 王五 bottom centre; a 4:3 picture fills 480x360 of its tile.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from av.audio.frame import AudioFrame
from av.video.frame import PictureType, VideoFrame

from recordings.compose import Cancelled, compose, compose_in_child
from recordings.webm import Frame, mux

FPS = 25
SECONDS = 4.0
LABELS = ["张三", "李四", "王五"]
SENT = 8000 / 32768  # each tone's amplitude
Colour = tuple[int, int, int]


def yuv(r: int, g: int, b: int) -> Colour:
    """BT.601 limited range, what VP8 and H.264 carry."""
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    u = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    v = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return round(y), round(u), round(v)


RED, YELLOW, GREEN, BLUE, BLACK = yuv(255, 0, 0), yuv(255, 255, 0), yuv(0, 255, 0), yuv(0, 0, 255), (16, 128, 128)


def pictures(spans: Sequence[tuple[float, float, Colour]], fps: int = 30) -> list[Frame]:
    """VP8 frames of solid colours; each span starts on a key frame, as the recorder's video does after a gap."""
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = 160, 120, "yuv420p"
    encoder.time_base, encoder.framerate, encoder.bit_rate = fractions.Fraction(1, 1000), fractions.Fraction(fps), 200_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8"}
    packets: list[av.Packet[av.VideoStream]] = []
    for start, end, colour in spans:
        for index in range(round((end - start) * fps)):
            picture = VideoFrame(160, 120, "yuv420p")
            for plane, value in zip(picture.planes, colour, strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            picture.pts = round(1000 * start + index * 1000 / fps)
            if index == 0:
                picture.pict_type = PictureType.I
            packets += encoder.encode(picture)
    packets += encoder.encode(None)
    return [Frame("video", int(p.pts or 0), bytes(p), p.is_keyframe) for p in packets]


def voice(spans: Sequence[tuple[float, float, float]]) -> list[Frame]:
    """20 ms Opus frames of a tone (or silence for 0 Hz), timed as the recorder times them: to the nearest ms."""
    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "mono", "s16"
    times: list[int] = []
    packets: list[av.Packet[av.AudioStream]] = []
    for start, end, hertz in spans:
        for index in range(round((end - start) * 50)):
            samples = array.array(
                "h", (round(SENT * 32768 * math.sin(2 * math.pi * hertz * (index * 960 + n) / 48000)) for n in range(960))
            )
            sound = AudioFrame(format="s16", layout="mono", samples=960)
            sound.planes[0].update(samples.tobytes())
            sound.sample_rate, sound.pts = 48000, len(times) * 960
            times.append(round(1000 * start + 20 * index + 0.9 * math.sin(index)))  # ms rounding of a wall clock
            packets += encoder.encode(sound)
    packets += encoder.encode(None)
    return [Frame("audio", at, bytes(packet), True) for at, packet in zip(times, packets, strict=False)]


def participants() -> list[bytes]:
    return [
        mux(pictures([(0, 2, RED), (2, 4, YELLOW)]) + voice([(0, 0.5, 0), (0.5, 1.5, 440), (1.5, 4, 0)])),
        mux(pictures([(1, 4, GREEN)]) + voice([(1, 2.5, 0), (2.5, 3.5, 660), (3.5, 4, 0)])),
        mux(pictures([(0, 1.5, BLUE), (2.5, 4, BLUE)]) + voice([(0, 1.5, 0), (2.5, 3, 0), (3, 4, 1000)])),
    ]


@dataclass
class Export:
    path: Path
    progress: list[float]
    pictures: list[tuple[float, VideoFrame]]
    samples: array.array[float]  # mono, 48 kHz, from the file's zero
    duration: float
    comment: str

    def colour(self, at: float, x: int, y: int) -> Colour:
        """The pixel at (x, y) of the picture shown at ``at`` seconds."""
        _, picture = min(self.pictures, key=lambda item: abs(item[0] - at))
        planes = picture.planes
        return tuple(  # type: ignore[return-value]
            memoryview(planes[i])[(y >> s) * planes[i].line_size + (x >> s)] for i, s in ((0, 0), (1, 1), (2, 1))
        )

    def level(self, start: float, end: float, hertz: float) -> float:
        """Amplitude of one frequency in a stretch of the mix (Goertzel)."""
        chunk = self.samples[round(start * 48000) : round(end * 48000)]
        k = 2 * math.cos(2 * math.pi * hertz / 48000)
        s1 = s2 = 0.0
        for sample in chunk:
            s1, s2 = sample + k * s1 - s2, s1
        return 2 * math.sqrt(max(0.0, s1 * s1 + s2 * s2 - k * s1 * s2)) / len(chunk)

    def loudness(self, start: float, end: float) -> float:
        chunk = self.samples[round(start * 48000) : round(end * 48000)]
        return math.sqrt(sum(x * x for x in chunk) / len(chunk))


def read(path: Path, progress: list[float]) -> Export:
    with av.open(str(path)) as container:
        duration = (container.duration or 0) / 1_000_000
        comment = container.metadata.get("comment", "")
        frames = [(float(f.time or 0), f) for f in container.decode(video=0)]
    samples: array.array[float] = array.array("f")
    mono = av.AudioResampler(format="flt", layout="mono", rate=48000)
    with av.open(str(path)) as container:
        for sound in container.decode(audio=0):
            assert sound.time is not None and round(sound.time * 48000) == len(samples)  # contiguous
            for out in mono.resample(sound):
                samples.frombytes(bytes(out.planes[0])[: out.samples * 4])
    return Export(path, progress, frames, samples, duration, comment)


@pytest.fixture(scope="module")
def sources() -> list[bytes]:
    return participants()


@pytest.fixture(scope="module")
def export(sources: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> Export:
    path = tmp_path_factory.mktemp("export") / "session.mp4"
    progress: list[float] = []
    compose(sources, LABELS, path, progress=progress.append)
    return read(path, progress)


def close(actual: Colour, expected: Colour, tolerance: int = 14) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


ZHANG, LI, WANG = (320, 180), (960, 180), (640, 540)  # tile centres


def test_export_lasts_as_long_as_the_session(export: Export) -> None:
    assert abs(export.duration - SECONDS) <= 2 / FPS
    assert abs(len(export.pictures) - SECONDS * FPS) <= 2
    assert abs(len(export.samples) / 48000 - SECONDS) <= 2 / FPS


@pytest.mark.parametrize(
    ("at", "zhang", "li", "wang"),
    [
        (0.5, RED, BLACK, BLUE),  # 李四 has not joined yet
        (1.2, RED, GREEN, BLUE),
        (2.2, YELLOW, GREEN, BLACK),  # 王五's gap
        (3.0, YELLOW, GREEN, BLUE),
        (3.92, YELLOW, GREEN, BLUE),
    ],
)
def test_each_tile_shows_its_participant_or_black(export: Export, at: float, zhang: Colour, li: Colour, wang: Colour) -> None:
    shown = [export.colour(at, *centre) for centre in (ZHANG, LI, WANG)]
    assert all(close(a, e) for a, e in zip(shown, [zhang, li, wang], strict=True)), (at, shown)


def test_pictures_change_within_a_frame_of_their_time(export: Export) -> None:
    assert close(export.colour(1.96, *ZHANG), RED) and close(export.colour(2.04, *ZHANG), YELLOW)
    assert close(export.colour(0.96, *LI), BLACK) and close(export.colour(1.04, *LI), GREEN)
    assert close(export.colour(2.44, *WANG), BLACK) and close(export.colour(2.52, *WANG), BLUE)


def test_a_picture_keeps_its_shape_inside_its_tile(export: Export) -> None:
    x, y = ZHANG
    assert close(export.colour(1.0, x - 230, y), RED)  # 4:3 in a 16:9 tile: 480 wide, centred
    assert close(export.colour(1.0, x - 250, y), BLACK)
    assert close(export.colour(1.0, x + 250, y), BLACK)


def test_names_are_kept_in_tile_order(export: Export) -> None:
    assert export.comment == "张三 | 李四 | 王五"


def test_everyones_voice_is_mixed_into_one_track_in_time(export: Export) -> None:
    tones = {440: (0.5, 1.5), 660: (2.5, 3.5), 1000: (3.0, 4.0)}
    windows = [(0.1, 0.4), (0.7, 1.3), (1.7, 2.3), (2.6, 2.9), (3.1, 3.4), (3.6, 3.9)]
    for start, end in windows:
        for hertz, (on, off) in tones.items():
            heard = export.level(start, end, hertz)
            if on <= start and end <= off:  # both 660 and 1000 Hz during 3.1-3.4 s, each as loud as it was sent
                assert heard == pytest.approx(SENT, rel=0.15), (hertz, start, heard)
            else:
                assert heard < 0.02, (hertz, start, heard)
    assert export.loudness(0.1, 0.4) < 0.01 and export.loudness(1.7, 2.3) < 0.01
    onset = next(i for i in range(round(0.3 * 48000), len(export.samples)) if abs(export.samples[i]) > 0.05) / 48000
    assert abs(onset - 0.5) < 0.03


def test_the_mix_has_no_clicks_where_packet_times_were_rounded(export: Export) -> None:
    steady = export.samples[round(0.6 * 48000) : round(1.4 * 48000)]
    steepest = max(abs(b - a) for a, b in itertools.pairwise(steady))
    assert steepest < 3 * SENT * 2 * math.pi * 440 / 48000  # a sine's steepest step, with room for AAC's noise


def test_progress_runs_from_zero_to_one_in_small_steps(export: Export) -> None:
    progress = export.progress
    assert progress[0] == 0.0 and progress[-1] == 1.0
    assert all(b >= a for a, b in itertools.pairwise(progress))
    assert max(b - a for a, b in itertools.pairwise(progress)) <= 0.021


def test_cancelling_stops_early_and_leaves_no_file(sources: list[bytes], tmp_path: Path) -> None:
    target = tmp_path / "session.mp4"
    target.write_bytes(b"an earlier export")
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction >= 0.3:
            cancel.set()

    with pytest.raises(Cancelled):
        compose(sources, LABELS, target, progress=progress, cancel=cancel)
    assert max(seen) < 0.35
    assert target.read_bytes() == b"an earlier export"  # untouched; no partial file beside it
    assert [p.name for p in tmp_path.iterdir()] == ["session.mp4"]


@pytest.fixture
def files(sources: list[bytes], tmp_path: Path) -> list[Path]:
    paths = [tmp_path / f"{index}.webm" for index in range(len(sources))]
    for path, data in zip(paths, sources, strict=True):
        path.write_bytes(data)
    return paths


async def test_a_low_priority_child_makes_the_same_export(files: list[Path], tmp_path: Path) -> None:
    progress: list[float] = []
    await compose_in_child(files, LABELS, tmp_path / "session.mp4", progress=progress.append)
    export = await asyncio.to_thread(read, tmp_path / "session.mp4", progress)
    assert abs(export.duration - SECONDS) <= 2 / FPS
    assert close(export.colour(2.2, *WANG), BLACK) and close(export.colour(3.0, *WANG), BLUE)
    assert export.comment == "张三 | 李四 | 王五"
    assert progress[0] == 0.0 and progress[-1] == 1.0


async def test_cancelling_the_child_leaves_no_file(files: list[Path], tmp_path: Path) -> None:
    started = asyncio.Event()

    def progress(fraction: float) -> None:
        if fraction > 0.1:
            started.set()

    task = asyncio.create_task(compose_in_child(files, LABELS, tmp_path / "session.mp4", progress=progress))
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    left = await asyncio.to_thread(lambda: sorted(path.name for path in tmp_path.iterdir()))
    assert left == ["0.webm", "1.webm", "2.webm"]
