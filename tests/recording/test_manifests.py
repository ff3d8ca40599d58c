"""Manifests under load: segments finished while a manifest is being logged are never left out."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest

from recordings.recorder import PendingSegment
from recordings.webm import Frame
from server.domain import recordings as recordings_module
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
