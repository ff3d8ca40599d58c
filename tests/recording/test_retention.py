"""Retention: a recording past its organisation's period is deleted as a logged act, hashes kept;
a case that applied for judicial confirmation keeps its recordings."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from server.evidence.verify import render, verify_bundle
from server.models import DEFAULT_RETENTION_DAYS, utcnow
from tests.recording.session import Recorded, case_of, export, recordings_of, segments_of


async def short_recording(s: Recorded) -> None:
    await asyncio.sleep(1.0)
    assert (await s.host.call("record_start", {}))["ok"]
    await asyncio.sleep(3.0)
    assert (await s.host.call("record_stop", {}))["ok"]


async def test_a_recording_past_retention_is_deleted_with_a_record_and_its_hashes_still_verify(recorded: Recorded) -> None:
    s = await recorded.assemble(parties=())
    await short_recording(s)
    services = s.meeting.world.services
    [recording] = await recordings_of(s.meeting)
    names = [seg.name for seg in await segments_of(s.meeting, recording.id)]
    root = services.settings.resolved_recordings_dir
    assert names and all((root / n).exists() for n in names)
    assert await services.review.prepare(recording.id) == 1  # the file to watch it, derived from the segments
    assert any(p.name.startswith("remux-") for p in (root / recording.id).iterdir())

    assert await services.recordings.purge(utcnow() + timedelta(days=DEFAULT_RETENTION_DAYS - 1)) == []
    [purged] = await services.recordings.purge(utcnow() + timedelta(days=DEFAULT_RETENTION_DAYS + 1))
    assert purged.deleted and purged.recording_id == recording.id
    assert not (root / recording.id).exists(), "segments and derived files are gone"
    [recording] = await recordings_of(s.meeting)
    assert recording.status == "deleted" and recording.wrapped_key == b"", "and the key that could open any copy"
    assert await services.recordings.purge(utcnow() + timedelta(days=DEFAULT_RETENTION_DAYS + 2)) == []  # once

    report = verify_bundle(io.BytesIO(await export(s.meeting)))
    assert report.ok, render(report, "en")
    assert report.has("recording_deleted") and [r["status"] for r in report.recordings] == ["deleted"]
    assert [r.type for r in report.records if r.type == "recording_deleted"] == ["recording_deleted"]
    assert "保存期满已删除" in render(report, "zh")


async def test_a_case_that_applied_for_confirmation_keeps_its_recordings(recorded: Recorded) -> None:
    s = await recorded.assemble(parties=())
    await short_recording(s)
    services = s.meeting.world.services
    case_id = await case_of(s.meeting)
    # The application itself comes with the confirmation issue; here its record stands for it.
    async with services.ledger._maker() as db, db.begin():
        await services.ledger.append_platform(
            db, type="confirmation_applied", case=case_id, actor={"kind": "platform", "id": "test"}, data={}
        )
    [kept] = await services.recordings.purge(utcnow() + timedelta(days=DEFAULT_RETENTION_DAYS + 1))
    assert kept.deleted is False
    [recording] = await recordings_of(s.meeting)
    assert recording.status == "stopped"
    root = services.settings.resolved_recordings_dir
    assert all((root / seg.name).exists() for seg in await segments_of(s.meeting, recording.id))
