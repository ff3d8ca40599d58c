"""Recording a live session: consent first, encoded frames to chained, sealed segments, on one timeline."""

from __future__ import annotations

import asyncio
import time

from recordings import webm
from tests.recording.session import Recorded, decode, recordings_of, segments_of, time_in_second


async def test_a_consented_three_person_session_records_each_participant_in_sync(recorded: Recorded) -> None:
    s = await recorded.assemble()
    for who in ("applicant", "respondent"):
        assert (await s.people[who].consent())["ok"]
    # Let media settle before starting, as a mediator would after greeting everyone.
    await asyncio.sleep(1.0)
    started = await s.host.call("record_start", {})
    assert started["ok"], started
    t0 = time.time()
    await asyncio.sleep(8)
    assert (await s.host.call("record_stop", {}))["ok"]
    t1 = time.time()
    [recording] = await recordings_of(s.meeting)
    assert recording.status == "stopped"
    segments = await segments_of(s.meeting, recording.id)
    services = s.meeting.world.services
    by_person: dict[str, list[bytes]] = {}
    for seg in segments:
        by_person.setdefault(seg.participant_id, []).append(await services.recordings.read_segment(recording, seg.index))
    assert set(by_person) == {s.id("host"), s.id("applicant"), s.id("respondent")}
    offsets = {}
    for pid, parts in by_person.items():
        got = decode(webm.remux(parts))
        print(pid, len(got["video"]), len(got["audio"]), got["video"][:1], got["video"][-1:], got["keyframes"])
        assert got["video"] and got["audio"]
        duration = got["audio"][-1] - got["audio"][0]
        assert abs(duration - (t1 - t0)) < 0.05 * (t1 - t0), (duration, t1 - t0)
        # Capture time (painted into the picture) against the time the recording gives the frame.
        diffs = []
        for at, grey in zip(got["video"], got["grey"], strict=True):
            d = (time_in_second(grey) - (t0 + at)) % 1.0
            diffs.append(d - 1.0 if d > 0.5 else d)
        diffs.sort()
        offsets[pid] = diffs[len(diffs) // 2]
    print(offsets)
    assert max(offsets.values()) - min(offsets.values()) < 0.1
