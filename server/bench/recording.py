"""`mediate bench recording`: what recording costs the server, how many recorded sessions it holds.

A real `mediate serve` runs in its own process (MEDIATE_MEDIA_LOOPBACK=1, fresh SQLite, SMS
written to a spool file). The participants are the light aiortc peers of ``server.bench.peers``
in this process: in every 3-person session the mediator and two parties each publish
pre-encoded 640x480 VP8 at about 1 Mbit/s plus Opus and receive the other two. Each party binds
a device key the way the party page does (``POST /api/v1/party/keys/device``, the one-time code
read from the SMS spool, the key's signature), consents in each session over Socket.IO, and the
mediator starts and stops the recording.

Sessions are added step by step (1, 2, 3, … at once, fresh sessions of the same case each
step). At each step the same sessions are measured twice, first only talking, then recorded, so
the ladder also gives the CPU figure at every load; it stops at the first step that loses a
frame or whose subscribers get less than 95% of their video. Figures, printed (never asserted):
  1. server CPU per recorded participant: (cores recording − cores not recording) / participants
     recorded, per step and pooled over the steps (the issue's target: under 0.06; aiortc's
     MediaRecorder to .mp4 costs 0.58);
  2. the most concurrent recorded sessions with no frame lost: every frame a publisher sent
     while recording is in a segment (``RecordingSegment.tracks`` counts, read from the
     server's database once ``record_stop`` has been acknowledged, which is after the last
     segment is written), and the subscribers still got their video (target: at least 5);
  3. record_stop → a playable file per participant: the stop's acknowledgement (last segments
     and the final manifest written) then reading, decrypting and remuxing each participant's
     segments (``Recordings.read_segment``, ``recordings.webm.remux``) in this process;
  4. export as one video: ``recordings.compose_bench.bench_compose()``.

"Sent while recording" is exact because every publisher pauses for a moment around
``record_start`` and ``record_stop`` (:meth:`server.bench.peers.Replay.pause`): no frame is in
flight while the recorder is switched on or off. Publishers resume on a keyframe, so the
recorder may keep every video frame. aiortc's receiver holds frames back, and that shows at both
ends. At the stop: its jitter buffer hands a video frame on only when the first packet of the
next one arrives, and holds four audio frames (its prefetch); after the pause the next packets
come after the recording stopped, so one video frame and four audio frames per publisher are
never handed to the recorder. They are subtracted from what is expected. At the start: what was
held back before it (the last video frame, four audio frames) is handed on once the publishers
resume, and the recorder leaves it out: it keeps no frame captured before it began to follow the
track (signaling/recorder.py; it knows each publication's delay from every frame the publication
delivered). A frame recorded beyond what is expected is reported as an error in the accounting.

The load generator shares the machine's cores with the server (and, on a shared machine, with
whatever else runs): each window prints the server's cores, this process's, and the rest of
the machine's, so a noisy figure can be recognised as such.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from recordings import webm
from recordings.compose_bench import bench_compose
from server import db
from server.bench.api import prepare, serving
from server.bench.peers import (
    FPS,
    Booked,
    LoadPeer,
    Media,
    ServerCpu,
    book_sessions,
    encode_audio,
    encode_video,
    machine_busy_seconds,
)
from server.bench.stalls import Stalls
from server.composition import make_services
from server.domain.recordings import Recordings
from server.evidence.records import DeviceKey, b64, unb64
from server.models import Recording, RecordingSegment
from server.settings import Settings
from signaling import aiortc_hooks

#: Media settles this long after everyone joined, and after the recording started, before a window.
SETTLE_SECONDS = 3.0
RECORDING_SETTLE_SECONDS = 1.0
#: Publishers are paused this long around record_start and record_stop (nothing left in flight).
QUIET_SECONDS = 0.4
#: Audio frames aiortc's receiver holds back (its jitter buffer's prefetch): see the module's docstring.
AUDIO_HELD = 4
#: A step whose subscribers got less than this share of the video frames does not hold.
DELIVERED_ENOUGH = 0.95
TARGET_CORES = 0.06
TARGET_SESSIONS = 5
MEDIARECORDER_CORES = 0.58


# -- binding keys through the SMS spool --------------------------------------------------------


def _spool_lines(spool: Path) -> list[dict[str, Any]]:
    if not spool.exists():
        return []
    return [json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines() if line.strip()]


async def _code_from_spool(spool: Path, after: int, sent_to: str) -> str:
    """The one-time code texted to the masked number ``sent_to`` in a spool line past ``after``.

    The outbox sends every 0.2 s (MEDIATE_OUTBOX_POLL_SECONDS); the spool also holds the
    invitations of every booking, so lines are matched by the code's wording and the number.
    """
    while True:
        for line in _spool_lines(spool)[after:]:
            phone = str(line["phone"])
            found = re.search(r"验证码是(\d{6})", str(line["text"]))
            if found and phone[:3] == sent_to[:3] and phone[-4:] == sent_to[-4:]:
                return found.group(1)
        await asyncio.sleep(0.1)


async def bind_key(base: str, cookie: str, spool: Path) -> DeviceKey:
    """The party proves their phone and binds a device key, as the party page does."""
    key = DeviceKey.generate({"kind": "party", "id": "bench"})
    async with aiohttp.ClientSession(headers={"Cookie": f"mediate_session={cookie}"}) as browser:
        async with browser.get(f"{base}/api/v1/auth/me") as r:
            headers = {"X-CSRF-Token": (await r.json())["csrf_token"]}
        seen = len(_spool_lines(spool))
        async with browser.post(f"{base}/api/v1/party/keys/device", json={"spki": b64(key.info.spki)}, headers=headers) as r:
            started = await r.json()
            if r.status != 201:
                raise RuntimeError(f"binding a key failed: {r.status} {started}")
        async with asyncio.timeout(15):
            code = await _code_from_spool(spool, seen, started["sent_to"])
        body = {"code": code, "signature": key.sign(unb64(started["statement"]))["sig"]}
        async with browser.post(f"{base}/api/v1/party/keys/device/{started['challenge']}", json=body, headers=headers) as r:
            if r.status != 201:
                raise RuntimeError(f"binding a key failed: {r.status} {await r.text()}")
    return key


# -- sessions --------------------------------------------------------------------------------------


@dataclass
class Window:
    """Cores used over one measurement window: the server, this process (the peers), everything else."""

    server: float
    generator: float
    others: float
    seconds: float


async def measure(cpu: ServerCpu, seconds: float) -> Window:
    server, own, machine, started = cpu.seconds(), time.process_time(), machine_busy_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    took = time.perf_counter() - started
    server = (cpu.seconds() - server) / took
    generator = (time.process_time() - own) / took
    return Window(server, generator, max(0.0, (machine_busy_seconds() - machine) / took - server - generator), took)


@dataclass
class Live:
    """One 3-person session in progress: the mediator (host) and two parties who consented."""

    booked: Booked
    peers: list[LoadPeer]
    recording: str = ""
    stop_seconds: float = 0.0

    @property
    def host(self) -> LoadPeer:
        return self.peers[0]


async def join(base: str, booked: Booked, media: Media, keys: list[DeviceKey]) -> Live:
    host = LoadPeer(base, booked.mediator_cookie, {"session_id": booked.session_id}, *media)
    await host.connect()
    await host.call("admit_automatically", {"on": True})
    await host.start_media()
    peers = [host]
    for cookie, key in zip(booked.party_cookies, keys, strict=True):
        party = LoadPeer(base, cookie, None, *media)
        await party.connect()
        await party.start_media()
        await party.consent(key)
        peers.append(party)
    async with asyncio.timeout(30):
        await asyncio.gather(*(p.publishing() for p in peers))
    return Live(booked, peers)


@dataclass
class Step:
    sessions: int
    idle: Window
    recording: Window
    delivered: float
    #: (recording, participant, kind) -> (frames the recording should hold, frames in its segments).
    #: The same parties (and mediator) sit in every session of the case, so the recording is part of the key.
    frames: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    sent_frames: int = 0
    stop_seconds: list[float] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)

    @property
    def recorded_participants(self) -> int:
        return self.sessions * 3

    @property
    def per_participant(self) -> float:
        return (self.recording.server - self.idle.server) / self.recorded_participants

    def lost(self) -> dict[str, int]:
        """Frames sent while recording that no segment holds, per kind."""
        out = {"audio": 0, "video": 0}
        for (_, _, kind), (expected, recorded) in self.frames.items():
            out[kind] += max(0, expected - recorded)
        return out

    def extra(self) -> dict[str, int]:
        """Frames recorded beyond what was expected, per kind (should be none: a check on the accounting itself)."""
        out = {"audio": 0, "video": 0}
        for (_, _, kind), (expected, recorded) in self.frames.items():
            out[kind] += max(0, recorded - expected)
        return out

    @property
    def holds(self) -> bool:
        return not any(self.lost().values()) and self.delivered >= DELIVERED_ENOUGH


async def recorded_counts(recordings: Recordings, recording_id: str) -> dict[tuple[str, str], int]:
    """Frames per (participant, kind) in a recording's segments, as the server stored them."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    async with recordings.maker() as session:
        rows = await session.scalars(select(RecordingSegment).where(RecordingSegment.recording_id == recording_id))
        for row in rows:
            for kind in ("audio", "video"):
                counts[(row.participant_id, kind)] += int(row.tracks.get(kind, 0))
    return counts


async def run_step(
    base: str, cpu: ServerCpu, recordings: Recordings, batch: list[Booked], media: Media, keys: list[DeviceKey], window: float
) -> Step:
    lives: list[Live] = []
    try:
        for booked in batch:
            lives.append(await join(base, booked, media, keys))
        members = [(live, p) for live in lives for p in live.peers]
        peers = [p for _, p in members]
        await asyncio.sleep(SETTLE_SECONDS)
        idle = await measure(cpu, window)

        for p in peers:
            p.pause()
        await asyncio.sleep(QUIET_SECONDS)
        for live, ack in zip(lives, await asyncio.gather(*(live.host.call("record_start", {}) for live in lives)), strict=True):
            if not ack.get("ok"):
                raise RuntimeError(f"record_start refused: {ack}")
            live.recording = ack["recording"]
        first = [p.resume() for p in peers]
        await asyncio.sleep(RECORDING_SETTLE_SECONDS)
        before = [p.video_frames() for p in peers]
        recording = await measure(cpu, window)
        received = sum(p.video_frames() - b for p, b in zip(peers, before, strict=True))
        last = [p.pause() for p in peers]
        await asyncio.sleep(QUIET_SECONDS)

        async def stop(live: Live) -> None:
            started = time.perf_counter()
            ack = await live.host.call("record_stop", {})
            live.stop_seconds = time.perf_counter() - started
            if not ack.get("ok"):
                raise RuntimeError(f"record_stop refused: {ack}")

        await asyncio.gather(*(stop(live) for live in lives))
    finally:
        for live in lives:
            for p in live.peers:
                await p.close()
    step = Step(len(batch), idle, recording, received / (len(peers) * 2 * FPS * recording.seconds))
    counts = {live.recording: await recorded_counts(recordings, live.recording) for live in lives}
    for live in lives:
        step.recordings.append(live.recording)
        step.stop_seconds.append(live.stop_seconds)
    for i, (live, p) in enumerate(members):
        for kind in ("audio", "video"):
            sent = last[i][kind] - first[i][kind]
            step.sent_frames += sent
            held = 1 if kind == "video" else AUDIO_HELD
            recorded = counts[live.recording].get((p.participant_id, kind), 0)
            step.frames[(live.recording, p.participant_id, kind)] = (sent - held, recorded)
    return step


# -- record_stop to playable files ------------------------------------------------------------------


@dataclass
class Playable:
    participant_id: str
    recorded_seconds: float
    seconds: float  # reading, decrypting and remuxing this participant's segments
    size: int


async def make_playable(recordings: Recordings, recording_id: str) -> list[Playable]:
    """Each participant's segments read back and remuxed into one seekable WebM, timed."""
    async with recordings.maker() as session:
        row = await session.get(Recording, recording_id)
        segments = list(
            await session.scalars(
                select(RecordingSegment).where(RecordingSegment.recording_id == recording_id).order_by(RecordingSegment.index)
            )
        )
    assert row is not None
    by_participant: dict[str, list[RecordingSegment]] = defaultdict(list)
    for seg in segments:
        by_participant[seg.participant_id].append(seg)
    out = []
    for participant_id, own in by_participant.items():
        started = time.perf_counter()
        parts = [await recordings.read_segment(row, seg.index) for seg in own]
        data = await asyncio.to_thread(webm.remux, parts)
        took = time.perf_counter() - started
        frames = sum(int(seg.tracks.get("video", 0)) for seg in own)
        out.append(Playable(participant_id, frames / FPS, took, len(data)))
    return out


# -- the run --------------------------------------------------------------------------------------------


def _row(step: Step) -> str:
    lost = step.lost()
    lost_text = "none" if not any(lost.values()) else f"{lost['audio']} audio, {lost['video']} video"
    return (
        f"     {step.sessions:>2} session(s), {step.recorded_participants:>2} recorded: server {step.idle.server:.2f} -> "
        f"{step.recording.server:.2f} cores ({step.per_participant:+.3f} per recorded participant); "
        f"{step.sent_frames} frames sent while recording, lost: {lost_text}; video delivered {step.delivered * 100:.1f}%; "
        f"load generator {step.recording.generator:.2f}, rest of machine {step.idle.others:.2f}/{step.recording.others:.2f} cores"
    )


async def run(settings: Settings, max_sessions: int, window: float, kbps: int) -> list[Step]:
    (username,) = await prepare(settings, 1)
    aiortc_hooks.allow_loopback_ice()
    spool = settings.data_dir / "sms.jsonl"
    engine = db.make_engine(settings.resolved_database_url)
    recordings = make_services(settings, engine).recordings  # the same data dir and database as the server
    steps: list[Step] = []
    try:
        async with serving(
            settings,
            MEDIATE_MEDIA_LOOPBACK="1",
            MEDIATE_SMS_GATEWAY=f"spool:{spool}",
            MEDIATE_OUTBOX_POLL_SECONDS="0.2",
            # Many sample parties share a few made-up numbers: no limit on codes per number here.
            MEDIATE_CODE_INTERVAL_SECONDS="0",
            MEDIATE_CODES_PER_HOUR="100000",
            MEDIATE_CODES_PER_DAY="100000",
        ) as (base, pid):
            cpu = ServerCpu(pid)
            stalls = Stalls(base)
            media = (encode_video(kbps), encode_audio())
            real = sum(len(f) for f in media[0]) * 8 / (len(media[0]) / FPS) / 1000
            print(f"publishers: 640x480 VP8 at {real:.0f} kbit/s + Opus, pre-encoded; peers in this process, server in its own")

            pool = await book_sessions(base, username, max_sessions * (max_sessions + 1) // 2, 2)
            started = time.perf_counter()
            keys = [await bind_key(base, cookie, spool) for cookie in pool[0].party_cookies]
            print(
                f"the two parties bound device keys with one-time codes from the SMS spool ({time.perf_counter() - started:.1f} s) "
                "and consent in every session; the mediator starts and stops the recording"
            )

            print(f"1./2. 3-person sessions, measured for {window:.0f} s talking, then {window:.0f} s recorded:")
            for count in range(1, max_sessions + 1):
                batch, pool = pool[:count], pool[count:]
                await stalls.mark()
                step = await run_step(base, cpu, recordings, batch, media, keys, window)
                steps.append(step)
                print(_row(step), flush=True)
                print(f"        {await stalls.line()}", flush=True)
                if any(step.extra().values()):
                    print(f"        (more frames recorded than expected, {step.extra()}: the accounting is off)")
                if not step.holds:
                    break
        print(_summary(steps))
        await _playable_summary(recordings, steps)
    finally:
        await engine.dispose()
    return steps


def _summary(steps: list[Step]) -> str:
    if not steps:
        return ""
    held = [s for s in steps if s.holds]
    pooled = held or steps
    per = sum(s.recording.server - s.idle.server for s in pooled) / sum(s.recorded_participants for s in pooled)
    verdict = "meets" if per < TARGET_CORES else "misses"
    most = max((s.sessions for s in held), default=0)
    failed = next((s for s in steps if not s.holds), None)
    if most >= TARGET_SESSIONS:
        target = f"meets the target of {TARGET_SESSIONS}"
    elif failed is not None:
        target = f"misses the target of {TARGET_SESSIONS}"
    else:
        target = f"not enough steps tried to judge the target of {TARGET_SESSIONS}"
    lines = [
        f"1. server CPU per recorded participant, pooled over {len(pooled)} step(s): {per:.3f} cores "
        f"({verdict} the target of {TARGET_CORES}; aiortc's MediaRecorder to .mp4: {MEDIARECORDER_CORES})",
        f"2. concurrent recorded 3-person sessions with no frame lost: {most} ({target}); "
        + (
            f"at {failed.sessions} frames were lost or subscribers fell behind"
            if failed is not None
            else f"{steps[-1].sessions} was the highest step tried (--sessions)"
        ),
    ]
    if failed is not None:
        busy = failed.recording.server + failed.recording.generator + failed.recording.others
        if busy >= 0.9 * (os.cpu_count() or 1):
            lines.append(
                f"   (at {failed.sessions} the machine was full: server, load generator and the rest used {busy:.2f} of "
                f"{os.cpu_count()} cores, so this limit is the machine's with the peers on it, not the server process's alone)"
            )
    return "\n".join(lines)


async def _playable_summary(recordings: Recordings, steps: list[Step]) -> None:
    """Figure 3, from the recordings of every step (after the peers have left)."""
    made = [p for step in steps for rid in step.recordings for p in await make_playable(recordings, rid)]
    stops = [s for step in steps for s in step.stop_seconds]
    if not made:
        return
    minutes = sum(p.recorded_seconds for p in made) / 60
    took = sum(p.seconds for p in made)
    slowest = max(made, key=lambda p: p.seconds)
    print(
        f"3. record_stop -> acknowledged (last segments and the final manifest written): median {statistics.median(stops):.2f} s, "
        f"max {max(stops):.2f} s; then reading, decrypting and remuxing one participant's segments into a playable WebM: "
        f"{took * 60 / max(minutes * 60, 1e-9):.2f} s per minute of recording ({len(made)} files, "
        f"{sum(p.recorded_seconds for p in made):.0f} s recorded; slowest {slowest.seconds:.2f} s for {slowest.recorded_seconds:.0f} s)"
    )
    print(
        f"   so a participant's file of a one-hour session is playable about {max(stops) + took * 60 / max(minutes, 1e-9):.0f} s "
        "after record_stop (one participant at a time, in one process)"
    )


def export_figure() -> None:
    """Figure 4: compose's own benchmark."""
    print("4. export as one video (recordings.compose_bench.bench_compose(), a synthetic session, in this process):")
    bench_compose()


def main(settings: Settings, sessions: int = 6, seconds: float = 8.0, kbps: int = 1000) -> int:
    with tempfile.TemporaryDirectory(prefix="mediate-bench-recording-") as tmp:
        settings = replace(settings, data_dir=Path(tmp), database_url=None)
        print(
            f"mediate bench recording: 3-person sessions, 1 to {sessions} at once, {seconds:.0f} s windows, "
            f"{os.cpu_count()} cores. Other work on this machine shares the cores: each window shows the rest "
            "of the machine's load; treat figures taken beside a busy neighbour as noisy."
        )
        asyncio.run(run(settings, sessions, seconds, kbps))
    export_figure()
    return 0
