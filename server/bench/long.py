"""`mediate bench long`: a two-hour, three-party recorded session, then what a court's copy of it costs (#24).

A session of ``--minutes`` (default 120) is fabricated through the real recorder
(``signaling.recorder.Recorder``), the real writer (``server.domain.recordings``: muxed, hashed,
chained, sealed, stored, manifested in the evidence log) and the real storage, in a fresh SQLite
database: the mediator and two parties each publish pre-encoded 640x480 VP8 at about 1 Mbit/s
plus Opus, fed to the recorder's frame entry point (:meth:`Recorder.on_frame`) on a fabricated
clock, as fast as the writer takes them (no aiortc peers: two hours of them would take two
hours). A keyframe request restarts a publisher's loop at its keyframe, as
``server.bench.peers.Replay`` does.

Then each step runs in a process of its own, so that one step's memory does not count in the
next one's; its peak RSS is that process's high-water mark (``VmHWM``) or that of a process it
started, whichever is larger (``server.bench.measured``), and its CPU time theirs together:
  1. remux: every participant's segments into one seekable WebM, sealed and stored, as after
     ``record_stop`` (``Review.prepare``);
  2. export: ``mediate export`` of the case's evidence bundle (every segment in it);
  3. verify: ``mediate verify`` of that bundle (every segment re-hashed, the chain recomputed);
  4. compose: the export as one video, as a mediator starts it (``Exports``: the remuxed files
     put back on the session's timeline, then ``recordings.compose`` in a child at nice 19).

Targets (printed, never asserted): peak RSS under 300 MB in every step, verify under 60 s,
composing under 6 s per minute of session. Peak memory must not grow with the session's
length: run it at two lengths (``--minutes 20`` and ``--minutes 60``) to see that it does not.
The compose child runs at nice 19, as in the server: on a busy machine its wall time says more
about the neighbours than about composing, so its CPU seconds are printed beside it.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from server import db
from server.cli_common import with_services
from server.composition import make_services
from server.domain.principal import SYSTEM, Staff
from server.domain.registration import Registrant
from server.models import AvailabilityRule
from server.services import Services
from server.settings import Settings

STEPS = ("remux", "export", "verify", "compose")
TARGET_RSS_MB = 300
TARGET_VERIFY_SECONDS = 60.0
TARGET_COMPOSE_PER_MINUTE = 6.0
#: The writer may have this many finished segments waiting before the feeder waits for it.
QUEUED_SEGMENTS = 6
_IMPORT_ROOT = str(Path(__file__).resolve().parent.parent.parent)


@dataclass
class Fabricated:
    case_id: str
    recording_id: str
    mediator_id: str
    participants: list[str]
    seconds: float  # wall time it took
    segments: int
    bytes: int  # plaintext bytes in the segments


@dataclass
class StepResult:
    name: str
    seconds: float
    peak_mb: float
    cpu_seconds: float
    ok: bool
    detail: str


# -- the session ---------------------------------------------------------------------------------


async def _case(services: Services) -> tuple[Staff, str, str, list[str]]:
    """An organisation, a mediator, a case with two parties and a session booked: the session's ids."""
    org = await services.accounts.create_organisation(SYSTEM, f"长会话基准调解委员会{time.time_ns()}", "committee")
    user = await services.accounts.create_user(
        SYSTEM,
        username=f"long{time.time_ns()}",
        display_name="调解员甲",
        password="bench-password-long-1",
        role="mediator",
        organisation_id=org.id,
    )
    staff = Staff(user.id, org.id, "mediator", user.display_name, "Asia/Shanghai")
    view = await services.cases.open_case(
        staff,
        case_number=f"（2026）长调字第{time.time_ns() % 100000}号",
        dispute_type="wages",
        summary="长时间调解的基准",
        source="party_application",
        applicants=[Registrant("applicant", "张三", "13800000001")],
        respondents=[Registrant("respondent", "李四", "13900000002")],
    )
    async with services.recordings.maker() as session, session.begin():  # available all week, so any time books
        session.add_all(AvailabilityRule(user_id=user.id, weekday=day, start_minute=0, end_minute=24 * 60) for day in range(7))
    zone = ZoneInfo("Asia/Shanghai")
    starts = (datetime.now(zone) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    booked = await services.booking.book(staff, view.case.id, starts_at=starts, duration_minutes=480, timezone="Asia/Shanghai")
    return staff, view.case.id, booked.view.session.id, [p.id for p in view.parties]


async def fabricate(settings: Settings, minutes: float, kbps: int) -> Fabricated:
    """A fresh database, and :func:`record_session` in it."""
    engine = db.make_engine(settings.resolved_database_url)
    await db.upgrade(engine)
    services = make_services(settings, engine)
    await services.ledger.publish_platform_keys()  # as the server does at start: bundles carry them
    try:
        return await record_session(services, minutes, kbps)
    finally:
        await engine.dispose()


async def record_session(services: Services, minutes: float, kbps: int = 1000) -> Fabricated:
    """Record ``minutes`` of a 3-person session through the real recorder and writer, faster than real time."""
    from server.bench.peers import AUDIO_FPS, FPS, encode_audio, encode_video
    from signaling.recorder import RECORDER_ID, Recorder
    from signaling.routing import Participant, RoomState

    staff, case_id, session_id, parties = await _case(services)
    people = [staff.user_id, *parties]
    tints = [(128, 128), (90, 170), (170, 90)]
    videos = [encode_video(kbps, tint=tint) for tint in tints]
    audio = encode_audio()
    seconds = minutes * 60
    started = time.perf_counter()
    now = time.time() - seconds  # the session ends about when the fabrication does
    clock = [now]
    wanted: set[str] = set()
    active = await services.recordings.start(session_id, staff.user_id)
    recorder = Recorder(active.id, active, wanted.add, segment_seconds=services.settings.segment_seconds, clock=lambda: clock[0])
    active.take_gaps = recorder.take_gaps
    state = RoomState(
        tuple(Participant(pid, ("mediator", "applicant", "respondent")[i], "admitted") for i, pid in enumerate(people))
    ).attach_recorder(RECORDER_ID)
    consented = frozenset(people)
    recorder.follow(state, consented, {(pid, kind) for pid in people for kind in ("audio", "video")})
    at_video = [0] * len(people)  # each publisher's position in its loop
    sources = [(object(), object()) for _ in people]
    video_step, audio_step = 1 / FPS, 1 / AUDIO_FPS
    next_video, next_audio = 0.0, 0.0
    video_index = audio_index = 0
    while min(next_video, next_audio) < seconds:
        if next_audio <= next_video:
            clock[0] = now + next_audio
            for i, pid in enumerate(people):
                data = audio[audio_index % len(audio)]
                recorder.on_frame(pid, "audio", sources[i][0], 48000, audio_index * 960, data)
            audio_index += 1
            next_audio = audio_index * audio_step
        else:
            clock[0] = now + next_video
            for i, pid in enumerate(people):
                if pid in wanted:  # a keyframe request restarts the loop at its keyframe
                    wanted.discard(pid)
                    at_video[i] = 0
                data = videos[i][at_video[i] % len(videos[i])]
                at_video[i] += 1
                recorder.on_frame(pid, "video", sources[i][1], 90000, round(video_index * 90000 / FPS), data)
            video_index += 1
            next_video = video_index * video_step
            if video_index % FPS == 0:
                await _writer_keeps_up(active)
    clock[0] = now + seconds
    gaps = recorder.stop()
    await services.recordings.stop(session_id, "stopped_by_mediator", gaps)
    took = time.perf_counter() - started
    rows = await services.recordings.segments_after(active.id, 0)
    return Fabricated(case_id, active.id, staff.user_id, people, took, len(rows), sum(r.size for r in rows))


async def _writer_keeps_up(active: Any) -> None:
    """Wait while the writer has more than a few segments queued: the feeder is faster than the disk."""
    await asyncio.sleep(0)
    while active._queue.qsize() > QUEUED_SEGMENTS:  # noqa: ASYNC110 - the writer's queue has no event to wait on
        await asyncio.sleep(0.005)


# -- the steps, each in its own process ---------------------------------------------------------------


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    env["MEDIATE_DATA_DIR"] = str(settings.data_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_IMPORT_ROOT, os.environ.get("PYTHONPATH")) if p)
    for name in ("MEDIATE_RECORDING_KEY",):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def run_step(name: str, command: Sequence[str], env: dict[str, str]) -> StepResult:
    """Run one step as a child, through ``server.bench.measured``; its wall time, peak RSS and CPU time.

    The peak is the child's own ``VmHWM`` (the kernel's high-water mark of its address space,
    which starts afresh at ``exec``) or that of a process it started (a compose child), whichever
    is larger. Not ``wait4``'s ``ru_maxrss``: on Linux it carries over the parent's high-water mark
    through fork and exec, so every child would seem at least as big as this benchmark.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "server.bench.measured", report.name, *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output = child.communicate()[0].decode(errors="replace")
        took = time.perf_counter() - started
        text = report.read()
    usage = json.loads(text) if text else {"peak_kb": 0, "cpu_seconds": 0.0}
    ok = child.returncode == 0
    lines = output.strip().splitlines()
    detail = lines[-1] if lines else ""
    if not ok:
        detail = f"exit {child.returncode}: " + " | ".join(lines[-3:])
    return StepResult(name, took, usage["peak_kb"] / 1024, usage["cpu_seconds"], ok, detail)


def step_commands(fab: Fabricated, bundle: Path) -> dict[str, list[str]]:
    return {
        "remux": ["-m", "server.bench.long", "remux", fab.recording_id],
        "export": ["-m", "server.cli", "export", fab.case_id, "--out", str(bundle)],
        "verify": ["-m", "server.cli", "verify", str(bundle)],
        "compose": ["-m", "server.bench.long", "compose", fab.recording_id, fab.mediator_id],
    }


# -- the steps without a command of their own (run as ``python -m server.bench.long STEP ...``) ---------


def _child(argv: list[str]) -> int:
    import argparse

    from server.cli_common import settings_from

    settings = settings_from(argparse.Namespace())
    what = argv[0]
    if what == "remux":
        made = with_services(settings, lambda s: s.review.prepare(argv[1]))
        print(f"{made} participant file(s) remuxed")
        return 0
    if what == "compose":
        return int(with_services(settings, lambda s: _compose(s, argv[1], argv[2])))
    print(f"unknown step {what!r}", file=sys.stderr)
    return 2


async def _compose(services: Services, recording_id: str, mediator_id: str) -> int:
    from server.models import User

    async with services.recordings.maker() as session:
        user = await session.get(User, mediator_id)
    assert user is not None
    staff = Staff(user.id, user.organisation_id, "mediator", user.display_name, "Asia/Shanghai")
    job = await services.exports.start(staff, recording_id)
    while job.state in ("queued", "running"):
        await asyncio.sleep(0.2)
        job = await services.exports.status(staff, recording_id)
    await services.exports.close()
    if job.state != "done" or job.file is None:
        print(f"export {job.state}: {job.problem}", file=sys.stderr)
        return 1
    print(f"composed {job.file.bytes} bytes")
    return 0


# -- the run ------------------------------------------------------------------------------------------------


def _peak_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(minutes: float, fab: Fabricated, results: list[StepResult]) -> str:
    """The one-screen table, the verdicts against the targets, and the line the issue asks for."""
    per = max(minutes, 1e-9)
    lines = [
        f"{minutes:g}-minute 3-person session: {fab.segments} segments, {fab.bytes / 1e6:.0f} MB of WebM",
        f"{'step':<9}{'wall s':>9}{'wall s/min':>12}{'CPU s':>9}{'CPU s/min':>11}{'peak RSS MB':>13}  result",
    ]
    for r in results:
        lines.append(
            f"{r.name:<9}{r.seconds:>9.1f}{r.seconds / per:>12.2f}{r.cpu_seconds:>9.1f}{r.cpu_seconds / per:>11.2f}"
            f"{r.peak_mb:>13.0f}  {'ok' if r.ok else 'FAILED'}"
        )
    peak = max((r.peak_mb for r in results), default=0.0)
    verify = next((r for r in results if r.name == "verify"), None)
    compose = next((r for r in results if r.name == "compose"), None)
    verdicts = [f"peak RSS {peak:.0f} MB ({'meets' if peak < TARGET_RSS_MB else 'misses'} the target of {TARGET_RSS_MB})"]
    if verify is not None:
        verdicts.append(
            f"verify {verify.seconds:.1f} s ({'meets' if verify.seconds < TARGET_VERIFY_SECONDS else 'misses'} "
            f"the target of {TARGET_VERIFY_SECONDS:.0f})"
        )
    if compose is not None:
        wall = compose.seconds / per
        verdicts.append(
            f"compose {wall:.1f} s per minute ({'meets' if wall < TARGET_COMPOSE_PER_MINUTE else 'misses'} "
            f"the target of {TARGET_COMPOSE_PER_MINUTE:.0f}; {compose.cpu_seconds / per:.1f} CPU s per minute at nice 19)"
        )
    lines.append("; ".join(verdicts))
    shown = verify.seconds if verify is not None else float("nan")
    lines.append(f"long session: verify {shown:.1f} s, peak RSS {peak:.0f} MB")
    return "\n".join(lines)


def main(settings: Settings, minutes: float = 120.0, kbps: int = 1000, steps: Sequence[str] = STEPS) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-long-") as tmp:
        # Local storage and SQLite in a throwaway folder, whatever the environment says: the steps'
        # processes are given only that folder (``_env``).
        settings = replace(settings, data_dir=Path(tmp), database_url=None, recordings_dir=None, s3_bucket=None)
        print(
            f"mediate bench long: a {minutes:g}-minute 3-person recorded session (640x480 VP8 at {kbps} kbit/s + Opus each, "
            f"pre-encoded, through the real recorder, writer and storage, faster than real time), {os.cpu_count()} cores"
        )
        fab = asyncio.run(fabricate(settings, minutes, kbps))
        print(
            f"recorded: {fab.segments} segments, {fab.bytes / 1e6:.0f} MB of WebM in {fab.seconds:.1f} s "
            f"({minutes * 60 / fab.seconds:.0f}x real time; this process peaked at {_peak_mb_self():.0f} MB)",
            flush=True,
        )
        bundle = Path(tmp) / "bundle.zip"
        commands = step_commands(fab, bundle)
        env = _env(settings)
        results = []
        for name in steps:
            result = run_step(name, commands[name], env)
            results.append(result)
            extra = f", bundle {bundle.stat().st_size / 1e6:.0f} MB" if name == "export" and bundle.exists() else ""
            # The machine is shared: its load says whether a wall time is the step's or its neighbours'.
            extra += f", machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            print(
                f"  {name}: {result.seconds:.1f} s, peak RSS {result.peak_mb:.0f} MB, {result.cpu_seconds:.1f} CPU s{extra}; "
                f"{'ok' if result.ok else 'FAILED'}: {result.detail[:120]}",
                flush=True,
            )
        print(summary(minutes, fab, results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
