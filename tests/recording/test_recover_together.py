"""The whole cluster went down mid-recording and its processes start together: each runs the
recovery at once, and the interruption is logged once.

On PostgreSQL the two recoveries are two services on two engines (two processes' connection
pools) on one database; on SQLite, which is one process, one service is asked twice at once.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest

from recordings.segments import PendingSegment
from recordings.webm import Frame
from server import db
from server.domain.ledger import Ledger
from server.domain.recordings import Recordings
from server.domain.recordings import writer as recordings_module
from server.evidence.verify import render, verify_bundle
from tests.conftest import database_url  # noqa: F401 - both backends here, not only SQLite
from tests.recording.session import export, segments_of
from tests.signaling.live import Meeting

KEY = bytes([0x10, 0, 0, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]) + bytes(200)


async def test_processes_restarting_together_log_an_interrupted_recording_once(
    meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = meeting.world.services
    monkeypatch.setattr(recordings_module, "MANIFEST_SECONDS", 3600.0)  # manifests only when asked
    active = await services.recordings.start(meeting.session_id, meeting.host_id)
    t0 = time.time()
    for i in range(1, 5):
        frames = [Frame("video", i * 1000, KEY, True), Frame("video", i * 1000 + 33, KEY[:50])]
        active.segment(PendingSegment(meeting.host_id, frames, t0 + i, t0 + i + 0.9, 1))
    for _ in range(400):  # 20 s and more, for a loaded machine
        if len(await segments_of(meeting, active.id)) == 4:
            break
        await asyncio.sleep(0.05)
    assert await active.manifest() is not None
    # The process dies: the recording stays marked running.
    for task in (active._worker, active._ticker):
        task.cancel()
    services.recordings.active.pop(meeting.session_id)

    engine = None
    if services.ledger.dialect == "postgresql":
        engine = db.make_engine(services.settings.database_url or "")
        maker = db.make_sessionmaker(engine)
        ledger = Ledger(maker, services.ledger.keyring, engine.dialect.name)
        other = Recordings(maker, ledger, services.recordings.storage, services.recordings.master)
    else:
        other = services.recordings
    for service in {id(services.recordings): services.recordings, id(other): other}.values():
        logging_record = service.sign_and_log

        async def slow(*args: Any, _log: Any = logging_record, **kwargs: Any) -> int:
            await asyncio.sleep(0.3)  # a ledger commit on a busy machine: both have read the row by now
            return await _log(*args, **kwargs)  # type: ignore[no-any-return]

        monkeypatch.setattr(service, "sign_and_log", slow)
    try:
        first, second = await asyncio.gather(services.recordings.recover(), other.recover())
    finally:
        if engine is not None:
            await engine.dispose()

    assert sorted([*first, *second]) == [active.id], "exactly one of them recovered the recording"
    report = verify_bundle(io.BytesIO(await export(meeting)))
    assert report.ok, render(report, "en")
    assert [r.type for r in report.records if r.type in ("segment_manifest", "recording_interrupted")] == [
        "segment_manifest",
        "recording_interrupted",
    ]
    [coverage] = report.recordings
    assert coverage["status"] == "interrupted"
