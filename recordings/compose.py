"""Export as one video (issue #5): every participant's WebM in one grid, their voices mixed, as MP4.

Everything is placed by the packets' own times on the session timeline (``recordings.webm``
writes every participant's file from the same zero), never by counting frames or samples: a
participant who joined late, turned the camera off or reconnected simply has no packets for
a while, and the output shows black and plays silence there. A picture is held until the next
one, but at most ``HOLD_SECONDS``: the recorder writes a frozen picture that long down as a
gap in the manifest, so what the manifest calls a gap is what the export shows as black.

Voices are summed, not averaged (amix ``normalize=0``): that is what a participant heard, a
browser adds up its remote tracks, and averaging would make a lone speaker quieter the more
people were in the room. Audio is placed on the timeline in slices of one output frame each,
packet by packet by its time, but consecutive packets within ``SNAP_SAMPLES`` of each other are
butted together: times are rounded to milliseconds and a 1 ms hole would be an audible click.

Tiles are scaled with ``VideoFrame.reformat`` (swscale) and copied into one canvas in Python
rather than through a filter graph (buffer, scale, pad, xstack). Measured here, the graph saves
about 1 ms per output frame when every tile changes, a few per cent of the whole (VP8 decoding
and x264 dominate), but its buffer sources have a fixed size, and WebRTC senders change their
resolution mid-call when the network degrades: the graph would have to be rebuilt on each
change. The canvas keeps unchanged tiles, so black tiles and paused pictures cost nothing. The
graph is used for mixing, where it does run in C what Python cannot (numpy is not a dependency).

Composing three participants costs about half a core for the session's length (``compose_bench``
measured about 22 s per minute of session here, x264 and VP8 decoding most of it), so a server
that is holding live sessions must not do it at normal priority: ``compose_in_child`` runs it in a separate
``python -m recordings.compose`` process that lowers its own priority (``os.nice(19)``) before
any codec starts its threads, so x264's threads inherit it. A child process rather than a
thread because priority and the GIL are per process; rather than ``multiprocessing`` because
spawn re-imports the server's ``__main__`` and pickles arguments, while a plain command is an
ordinary asyncio subprocess the event loop can await, terminate on cancel, and an operator can
run by hand. The output is written to a temporary file beside the target and renamed into
place when complete, so a cancelled or failed export leaves no partial file behind (and an
older file at that path untouched); a cancel that arrives after the rename leaves the complete
file. The file is created with mode 0600, as a recording should be.

Names are not drawn onto the tiles: PyAV's FFmpeg has no drawtext filter and Chinese names need
a CJK font and a text renderer the project does not depend on. They are kept, tile by tile, in
the MP4's ``comment`` so that a player or the page offering the download can show them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import io
import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self, TypeVar

import av
import av.error
from av.audio.frame import AudioFrame
from av.container import InputContainer
from av.filter import Graph
from av.filter.context import FilterContext
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

log = logging.getLogger(__name__)

Source = str | os.PathLike[str] | bytes
F = TypeVar("F", VideoFrame, AudioFrame)
SAMPLE_RATE = 48000
#: A picture older than this (with no newer one) is a gap: black, like the recorder's GAP_SECONDS.
HOLD_SECONDS = 0.5
#: Audio packets this close to where the previous one ended are butted together (10 ms).
SNAP_SAMPLES = SAMPLE_RATE // 100
#: Browsers send 20 ms Opus frames (and so does the recorder's AUDIO_FRAME).
AUDIO_PACKET_SECONDS = 0.02
MAX_TILES = 9
CANCELLED_EXIT = 3  # the child's exit status when it was asked to stop
_IMPORT_ROOT = str(Path(__file__).resolve().parent.parent)  # the child imports this package from where we did


class ComposeError(Exception):
    """The export could not be made."""


class Cancelled(ComposeError):
    """The export was cancelled; no output file was left behind."""


class CancelFlag(Protocol):
    """A ``threading.Event``, ``multiprocessing.Event`` or anything else that can be asked."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Tile:
    x: int
    y: int
    width: int
    height: int


def grid(count: int, width: int, height: int) -> list[Tile]:
    """Tiles row by row: 1 fills the frame, 2 side by side, 3-4 in 2x2, up to 9 in 3x3; a short last row is centred."""
    if not 1 <= count <= MAX_TILES:
        raise ValueError(f"can place 1 to {MAX_TILES} participants, not {count}")
    cols = 1 if count == 1 else 2 if count <= 4 else 3
    rows = math.ceil(count / cols)
    tw, th = _even(width // cols), _even(height // rows)
    left, top = _even((width - cols * tw) // 2), _even((height - rows * th) // 2)
    tiles = []
    for i in range(count):
        row, col = divmod(i, cols)
        in_row = min(cols, count - row * cols)
        shift = (cols - in_row) * tw // 2
        tiles.append(Tile(_even(left + shift + col * tw), top + row * th, tw, th))
    return tiles


def compose(
    sources: Sequence[Source],
    labels: Sequence[str],
    output: str | os.PathLike[str],
    *,
    progress: Callable[[float], None] | None = None,
    cancel: CancelFlag | None = None,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    preset: str = "veryfast",
    crf: int = 23,
) -> None:
    """Write ``output`` (MP4: H.264 + AAC) with every source in a grid and all their audio mixed.

    ``sources`` are per-participant WebM files (paths or bytes) as ``recordings.webm.remux``
    makes them, ``labels`` their names in the same order (kept in the MP4's ``comment``, tile
    by tile). The video runs from the session's zero to its last packet. ``progress`` gets the
    done fraction, from 0.0 to 1.0 (the latter once the file is in place), at least every 1%
    or every half second. ``cancel`` is checked before every output frame; when set, the
    partial file is removed and :class:`Cancelled` raised. Blocking and CPU-bound: run it in a
    worker thread, or at low priority with :func:`compose_in_child`.
    """
    if len(labels) != len(sources):
        raise ValueError("one label per source")
    if width % 2 or height % 2:
        raise ValueError("width and height must be even")
    tiles = grid(len(sources), width, height)
    report = _Progress(progress)
    report(0.0)
    end = max(_end_of(index, source) for index, source in enumerate(sources))
    frames = max(1, math.ceil(end * fps - 1e-9))
    total_samples = max(1, round(end * SAMPLE_RATE))
    target = Path(output)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        with av.open(partial, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            out.metadata["comment"] = " | ".join(labels)
            video = out.add_stream("libx264", rate=fps, options={"preset": preset, "crf": str(crf)})
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            audio.bit_rate = 64000
            canvas = _Canvas(width, height)
            with contextlib.ExitStack() as inputs:
                lanes = [inputs.enter_context(_VideoLane(source)) for source in sources]
                mixer = _Mixer([inputs.enter_context(_AudioLane(source)) for source in sources])
                for index in range(frames):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("export cancelled")
                    at = index / fps
                    for lane, tile in zip(lanes, tiles, strict=True):
                        canvas.paint(tile, lane.at(at))
                    out.mux(video.encode(canvas.frame(index, fps)))
                    first = index * SAMPLE_RATE // fps
                    last = min(total_samples, (index + 1) * SAMPLE_RATE // fps)
                    for mixed in mixer.mix(first, last - first):
                        out.mux(audio.encode(mixed))
                    report((index + 1) / (frames + 1))
                for mixed in mixer.flush():
                    out.mux(audio.encode(mixed))
                out.mux(video.encode(None))
                out.mux(audio.encode(None))
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    report(1.0, force=True)


class _Progress:
    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self.callback = callback
        self.fraction = -1.0
        self.at = 0.0

    def __call__(self, fraction: float, force: bool = False) -> None:
        now = time.monotonic()
        if self.callback is not None and (force or fraction - self.fraction >= 0.01 or now - self.at >= 0.5):
            self.fraction, self.at = fraction, now
            self.callback(fraction)


def _even(value: int) -> int:
    return value - value % 2


def _open(source: Source) -> InputContainer:
    return av.open(io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source), "r")


def _end_of(index: int, source: Source) -> float:
    """Where a participant's last packet ends, in session seconds (demuxing only, nothing decoded)."""
    end = 0.0
    try:
        container = _open(source)
    except (av.error.FFmpegError, OSError) as error:
        raise ComposeError(f"participant {index + 1}: cannot read the recording: {error}") from error
    with container:
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None:
                continue
            start = float(packet.pts * packet.time_base)
            if packet.duration:
                length = float(packet.duration * packet.time_base)
            else:
                length = AUDIO_PACKET_SECONDS if packet.stream.type == "audio" else 0.0
            end = max(end, start + length)
    return end


def _decoded(container: InputContainer, kind: type[F]) -> Iterator[tuple[float, F]]:
    """Each decoded frame of the first stream of this kind with its session time; undecodable packets are skipped."""
    streams = container.streams.video if kind is VideoFrame else container.streams.audio
    if not streams:
        return
    for packet in container.demux(streams[0]):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            log.warning("skipping an undecodable packet at %s ms", packet.pts)
            continue
        for frame in frames:
            if isinstance(frame, kind) and frame.pts is not None and frame.time_base is not None:
                yield float(frame.pts * frame.time_base), frame


class _VideoLane:
    """One participant's pictures: the one to show at a given time, or None for black."""

    def __init__(self, source: Source) -> None:
        self.container = _open(source)
        for stream in self.container.streams.video[:1]:
            # A review copy, scaled down into a tile: VP8's loop filter is skipped (a quarter of
            # decoding's cost, invisible at that size), and frames decode on every core.
            stream.codec_context.options = {"skip_loop_filter": "all"}
            stream.thread_type = "AUTO"
        self.frames = _decoded(self.container, VideoFrame)
        self.current: tuple[float, VideoFrame] | None = None
        self.interval = HOLD_SECONDS
        self.next = next(self.frames, None)

    def at(self, at: float) -> VideoFrame | None:
        while self.next is not None and self.next[0] <= at:
            if self.current is not None:
                self.interval = min(HOLD_SECONDS, self.next[0] - self.current[0])
            self.current, self.next = self.next, next(self.frames, None)
        if self.current is None:
            return None
        hold = HOLD_SECONDS if self.next is not None else self.interval  # the last picture lasts one frame
        return self.current[1] if at - self.current[0] < hold else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.container.close()


class _Canvas:
    """The output picture in yuv420p, laid out exactly like an ``av.VideoFrame``'s planes."""

    def __init__(self, width: int, height: int) -> None:
        template = VideoFrame(width, height, "yuv420p")
        self.width, self.height = width, height
        self.strides = [plane.line_size for plane in template.planes]
        self.planes = [bytearray(bytes([16 if i == 0 else 128]) * p.buffer_size) for i, p in enumerate(template.planes)]
        self.shown: dict[Tile, tuple[VideoFrame | None, tuple[int, int, int, int]]] = {}
        # One scaler per tile, kept: VideoFrame.reformat makes a new one per call, and setting up
        # swscale cost ten times the scaling itself (4 ms against 0.3 ms per 640x480 picture here).
        self.scalers: dict[Tile, VideoReformatter] = {}

    def paint(self, tile: Tile, picture: VideoFrame | None) -> None:
        before = self.shown.get(tile)
        if before is not None and before[0] is picture:
            return
        box = _fit(picture.width, picture.height, tile) if picture is not None else (0, 0, 0, 0)
        if before is None or before[1] != box:
            self._fill(tile)
        self.shown[tile] = (picture, box)
        if picture is None:
            return
        x, y, w, h = box
        scaler = self.scalers.setdefault(tile, VideoReformatter())
        scaled = scaler.reformat(picture, w, h, "yuv420p", interpolation="AREA")
        for index, plane in enumerate(scaled.planes):
            shift = 0 if index == 0 else 1
            source, line = memoryview(plane), plane.line_size
            target, stride = self.planes[index], self.strides[index]
            pw, base = w >> shift, (y >> shift) * stride + (x >> shift)
            for row in range(h >> shift):
                at = base + row * stride
                target[at : at + pw] = source[row * line : row * line + pw]

    def _fill(self, tile: Tile) -> None:
        for index, target in enumerate(self.planes):
            shift = 0 if index == 0 else 1
            stride, blank = self.strides[index], bytes([16 if index == 0 else 128]) * (tile.width >> shift)
            base = (tile.y >> shift) * stride + (tile.x >> shift)
            for row in range(tile.height >> shift):
                target[base + row * stride : base + row * stride + len(blank)] = blank

    def frame(self, index: int, fps: int) -> VideoFrame:
        frame = VideoFrame(self.width, self.height, "yuv420p")
        for plane, data in zip(frame.planes, self.planes, strict=True):
            plane.update(bytes(data))
        frame.pts, frame.time_base = index, fractions.Fraction(1, fps)
        return frame


def _fit(width: int, height: int, tile: Tile) -> tuple[int, int, int, int]:
    """The largest even-sized box of the picture's shape that fits the tile, centred in it."""
    scale = min(tile.width / max(1, width), tile.height / max(1, height))
    w, h = max(2, _even(round(width * scale))), max(2, _even(round(height * scale)))
    return tile.x + _even((tile.width - w) // 2), tile.y + _even((tile.height - h) // 2), w, h


class _AudioLane:
    """One participant's voice as mono float samples on the session timeline, silence where none was sent."""

    def __init__(self, source: Source) -> None:
        self.container = _open(source)
        self.frames = _decoded(self.container, AudioFrame)
        # Browsers send mono voice that the Opus decoder returns as two equal channels; swresample
        # adds channels at -3 dB each, which would make every voice 3 dB louder, unless its matrix
        # is normalised (rematrix_maxval=1): then a downmix is the channels' average.
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE, options={"rematrix_maxval": "1"})
        self.start = 0  # the sample that pending[0:4] holds
        self.pending = bytearray()
        self.expected: int | None = None  # where the previous packet ended
        self.next = self._pull()

    def _pull(self) -> tuple[int, bytes] | None:
        for at, frame in self.frames:
            data = b"".join(bytes(out.planes[0])[: out.samples * 4] for out in self.resampler.resample(frame))
            return round(at * SAMPLE_RATE), data
        return None

    def take(self, count: int) -> bytes:
        """The next ``count`` samples (4 bytes each)."""
        end = self.start + count
        while self.next is not None and self.next[0] < end + SNAP_SAMPLES:
            self._place(*self.next)
            self.next = self._pull()
        if len(self.pending) < count * 4:
            self.pending.extend(bytes(count * 4 - len(self.pending)))
        chunk = bytes(self.pending[: count * 4])
        del self.pending[: count * 4]
        self.start = end
        return chunk

    def _place(self, sample: int, data: bytes) -> None:
        if self.expected is not None and abs(sample - self.expected) <= SNAP_SAMPLES:
            sample = self.expected
        self.expected = sample + len(data) // 4
        if sample < self.start:  # already played out: keep only the rest
            data, sample = data[(self.start - sample) * 4 :], self.start
        offset = (sample - self.start) * 4
        if len(self.pending) < offset + len(data):
            self.pending.extend(bytes(offset + len(data) - len(self.pending)))
        self.pending[offset : offset + len(data)] = data

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.container.close()


class _Mixer:
    """Sums the lanes with FFmpeg's amix; each lane is continuous, so amix never waits or drops."""

    def __init__(self, lanes: list[_AudioLane]) -> None:
        self.lanes = lanes
        self.graph = Graph()
        time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.inputs: list[FilterContext] = [
            self.graph.add_abuffer(sample_rate=SAMPLE_RATE, format="flt", layout="mono", time_base=time_base) for _ in lanes
        ]
        mix = self.graph.add("amix", inputs=str(len(lanes)), normalize="0", duration="longest")
        for index, source in enumerate(self.inputs):
            source.link_to(mix, 0, index)
        self.sink = self.graph.add("abuffersink")
        mix.link_to(self.sink)
        self.graph.configure()

    def mix(self, first: int, count: int) -> list[AudioFrame]:
        if count <= 0:
            return []
        for lane, source in zip(self.lanes, self.inputs, strict=True):
            frame = AudioFrame(format="flt", layout="mono", samples=count)
            frame.planes[0].update(lane.take(count))
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, first, fractions.Fraction(1, SAMPLE_RATE)
            source.push(frame)
        return self._drain()

    def flush(self) -> list[AudioFrame]:
        for source in self.inputs:
            source.push(None)
        return self._drain()

    def _drain(self) -> list[AudioFrame]:
        frames: list[AudioFrame] = []
        while True:
            try:
                frame = self.sink.pull()
            except (BlockingIOError, av.error.EOFError):
                return frames
            assert isinstance(frame, AudioFrame)
            frames.append(frame)


async def compose_in_child(
    sources: Sequence[str | os.PathLike[str]],
    labels: Sequence[str],
    output: str | os.PathLike[str],
    *,
    progress: Callable[[float], None] | None = None,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    preset: str = "veryfast",
    crf: int = 23,
    niceness: int = 19,
) -> None:
    """:func:`compose` in a ``python -m recordings.compose`` child at low priority; cancel by cancelling the task.

    On cancellation the child is sent SIGTERM, stops before its next frame, removes its
    partial file and exits; this waits for that before re-raising.
    """
    if len(labels) != len(sources):
        raise ValueError("one label per source")
    command = [sys.executable, "-m", "recordings.compose", "--output", os.fspath(output), "--nice", str(niceness)]
    command += ["--size", f"{width}x{height}", "--fps", str(fps), "--preset", preset, "--crf", str(crf)]
    for label in labels:
        command += ["--label", label]
    command += ["--", *(os.fspath(source) for source in sources)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_IMPORT_ROOT, env.get("PYTHONPATH")) if p)
    child = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    assert child.stdout is not None and child.stderr is not None
    errors = asyncio.ensure_future(child.stderr.read())
    try:
        async for line in child.stdout:
            if progress is not None:
                progress(float(line))
        status = await child.wait()
    except BaseException:
        if child.returncode is None:
            child.terminate()
            await child.wait()
        errors.cancel()
        raise
    message = (await errors).decode(errors="replace").strip()
    if status == CANCELLED_EXIT:
        raise Cancelled("export cancelled")
    if status != 0:
        raise ComposeError(message.splitlines()[-1] if message else f"compose exited with status {status}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recordings.compose", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("sources", nargs="+", help="per-participant WebM files")
    parser.add_argument("--label", action="append", default=[], help="a participant's name, once per source, in order")
    parser.add_argument("--output", "-o", required=True)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--preset", default="veryfast", help="x264's preset (ultrafast … veryslow)")
    parser.add_argument("--crf", type=int, default=23, help="x264's constant quality (lower is better, 23 its default)")
    parser.add_argument("--nice", type=int, default=19, help="how much to lower this process's priority first")
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(args.nice)  # before any codec starts a thread: threads inherit it
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    width, height = (int(part) for part in args.size.split("x"))
    labels = args.label or [Path(source).stem for source in args.sources]

    def progress(fraction: float) -> None:
        try:
            print(f"{fraction:.4f}", flush=True)
        except BrokenPipeError:  # whoever started us is gone: nobody wants the file
            cancel.set()
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that exiting does not complain

    try:
        compose(
            args.sources,
            labels,
            args.output,
            progress=progress,
            cancel=cancel,
            width=width,
            height=height,
            fps=args.fps,
            preset=args.preset,
            crf=args.crf,
        )
    except Cancelled:
        return CANCELLED_EXIT
    except (ComposeError, ValueError, OSError, av.error.FFmpegError) as error:
        print(f"compose: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
