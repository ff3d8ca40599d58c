"""Manifests under load: segments finished while a manifest is being logged are never left out."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest

from recordings.segments import PendingSegment
from recordings.webm import Frame
from server.domain.recordings import writer as recordings_module
from server.evidence.verify import render, verify_bundle
from tests.recording.session import export, segments_of
from tests.signaling.live import Meeting

#: A VP8 key frame header (640x480) and some payload: enough for the muxer, never decoded here.
KEY = bytes([0x10, 0, 0, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]) + bytes(200)


async def test_segments_written_while_a_manifest_is_logged_go_into_the_next_one(
    meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = meeting.world.services
    monkeypatch.setattr(recordings_module, "MANIFEST_SECONDS", 0.3)
    logging_record = services.recordings.sign_and_log

    async def slow_commit(*args: Any, **kwargs: Any) -> int:
        await asyncio.sleep(0.2)  # a ledger commit on a busy machine
        return await logging_record(*args, **kwargs)

    monkeypatch.setattr(services.recordings, "sign_and_log", slow_commit)
    active = await services.recordings.start(meeting.session_id, meeting.host_id)
    t0 = time.time()
    for i in range(8):
        frames = [Frame("video", i * 1000, KEY, True), Frame("video", i * 1000 + 33, KEY[:50])]
        active.segment(PendingSegment(meeting.host_id, frames, t0 + i, t0 + i + 0.9, 1))
        await asyncio.sleep(0.13)
    await services.recordings.stop(meeting.session_id, "stopped_by_mediator", [])
    written = await segments_of(meeting, active.id)
    assert [s.index for s in written] == list(range(1, 9))
    report = verify_bundle(io.BytesIO(await export(meeting)))
    assert report.ok, render(report, "en")
    manifests = [r for r in report.records if r.type == "segment_manifest"]
    assert len(manifests) >= 3, "several manifests were logged while segments kept coming"
    [coverage] = report.recordings
    assert coverage["status"] == "complete"


class Killed(Exception):
    """The process dies here (SIGKILL): nothing after this point runs."""


async def test_a_process_killed_between_logging_a_manifest_and_noting_it_keeps_every_segment_listed_once(
    meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manifest is logged, then noted in the recording's row, in two transactions. Killed in
    between, the row is behind the log; the recovery goes by the log, so no segment is listed
    twice and the bundle verifies."""
    services = meeting.world.services
    monkeypatch.setattr(recordings_module, "MANIFEST_SECONDS", 3600.0)  # manifests only when asked
    active = await services.recordings.start(meeting.session_id, meeting.host_id)
    t0 = time.time()

    async def write(indexes: range) -> None:
        for i in indexes:
            frames = [Frame("video", i * 1000, KEY, True), Frame("video", i * 1000 + 33, KEY[:50])]
            active.segment(PendingSegment(meeting.host_id, frames, t0 + i, t0 + i + 0.9, 1))
        for _ in range(400):  # 20 s and more, for a loaded machine
            if len(await segments_of(meeting, active.id)) == indexes.stop - 1:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the segments were not written")

    await write(range(1, 4))
    assert await active.manifest() is not None  # segments 1-3, logged and noted
    await write(range(4, 7))
    logging_record = services.recordings.sign_and_log

    async def log_then_die(*args: Any, **kwargs: Any) -> int:
        await logging_record(*args, **kwargs)
        raise Killed

    monkeypatch.setattr(services.recordings, "sign_and_log", log_then_die)
    with pytest.raises(Killed):
        await active.manifest()  # segments 4-6 are in the log; the row still says 3
    for task in (active._worker, active._ticker):
        task.cancel()
    services.recordings.active.pop(meeting.session_id)
    monkeypatch.setattr(services.recordings, "sign_and_log", logging_record)

    # The next start of the process (or the process taking the session over) recovers it.
    assert await services.recordings.recover(session_id=meeting.session_id) == [active.id]
    report = verify_bundle(io.BytesIO(await export(meeting)))
    assert report.ok, render(report, "en")
    assert [r.type for r in report.records if r.type in ("segment_manifest", "recording_interrupted")] == [
        "segment_manifest",
        "segment_manifest",
        "recording_interrupted",
    ]
    [coverage] = report.recordings
    assert coverage["status"] == "interrupted"
    assert coverage["participants"][meeting.host_id]["recorded_seconds"] == pytest.approx(5.9, abs=0.1)  # 1.0 s to 6.9 s
