"""Recording a live session: encoded frames into chained, sealed segments, on one timeline, verifiable.

Three aiortc participants (the mediator and two parties with bound keys who consented) run
through the real server; their cameras paint the wall-clock time into the picture, so a
decoded recording shows when each frame was captured and the tests can check sync.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import itertools
import time
from dataclasses import dataclass
from typing import Any

import pytest

from recordings import webm
from server.evidence.verify import render, verify_bundle
from tests.recording.session import Recorded, decode, export, recordings_of, rezip, segments_of, time_in_second
from tests.signaling.live import eventually

# Each participant's recording is measured against the clock (in sync to 0.1 s, durations to 5 %,
# key frames): run while no other test takes the cores (tests/conftest.py, pytest_runtest_protocol).
pytestmark = pytest.mark.realtime

RECORD_SECONDS = 20.0


@dataclass(frozen=True)
class Took:
    """When the mediator pressed start and stop, and when each was acknowledged (wall clock).

    The recording runs from the moment the server took the start to the moment it took the stop:
    somewhere between the press and its acknowledgement. On a loaded machine an acknowledgement can
    come a second late (the stop's finishes the last segments first), so a recording's length is
    measured against both bounds, not against one of them."""

    pressed_start: float
    started: float
    pressed_stop: float
    stopped: float

    def within(self, seconds: float, tolerance: float = 0.05) -> bool:
        """Whether ``seconds`` is the recording's length, to ``tolerance`` of it."""
        shortest, longest = self.pressed_stop - self.started, self.stopped - self.pressed_start
        return shortest * (1 - tolerance) < seconds < longest * (1 + tolerance)


async def record(s: Recorded, seconds: float) -> Took:
    """Everyone consents, the mediator records for ``seconds`` and stops.

    The server and the three participants share this process. When it stands still (two loaded,
    shared cores) nobody captures or sends, and afterwards the participants' cameras and
    microphones catch up, and their encoders and the server's receiving side run late; the
    mediator stops once everyone's media reaches the recorder on time again, as one would stop a
    call only while everyone is seen and heard live (what is still on its way at the stop is
    rightly not recorded: ``Recorded.recorder_current``)."""
    for who in ("applicant", "respondent"):
        assert (await s.people[who].consent())["ok"]
    await eventually(lambda: everyone_sees_everyone(s))  # as the mediator greets everyone before recording
    pressed_start = time.time()
    started = await s.host.call("record_start", {})
    assert started["ok"], started
    t0 = time.time()
    await asyncio.sleep(seconds)
    await eventually(s.recorder_current)
    pressed_stop = time.time()
    assert (await s.host.call("record_stop", {}))["ok"]
    return Took(pressed_start, t0, pressed_stop, time.time())


async def test_a_three_person_session_is_recorded_per_participant_in_sync_and_its_bundle_verifies(recorded: Recorded) -> None:
    s = await recorded.assemble()
    took = await record(s, RECORD_SECONDS)
    t0 = took.started
    [recording] = await recordings_of(s.meeting)
    assert recording.status == "stopped" and recording.end_reason == "stopped_by_mediator"
    services = s.meeting.world.services
    by_person: dict[str, list[bytes]] = {}
    for seg in await segments_of(s.meeting, recording.id):
        by_person.setdefault(seg.participant_id, []).append(await services.recordings.read_segment(recording, seg.index))
    assert set(by_person) == {s.id("host"), s.id("applicant"), s.id("respondent")}
    offsets, starts, decoded = {}, {}, {}
    for pid, parts in by_person.items():
        got = decoded[pid] = decode(webm.remux(parts))
        assert got["video"] and got["audio"], pid
        for kind in ("audio", "video"):
            duration = got[kind][-1] - got[kind][0]
            assert took.within(duration), (pid, kind, duration, took)
        keyframe_gaps = [b - a for a, b in itertools.pairwise(got["keyframes"])]
        assert keyframe_gaps and max(keyframe_gaps) < 6.0, got["keyframes"]
        # When each frame was captured (painted into it) against where the recording put it.
        diffs = []
        for at, grey in zip(got["video"], got["grey"], strict=True):
            d = (time_in_second(grey) - (t0 + at)) % 1.0
            diffs.append(d - 1.0 if d > 0.5 else d)
        diffs.sort()
        offsets[pid], starts[pid] = diffs[len(diffs) // 2], got["video"][0]
    assert max(offsets.values()) - min(offsets.values()) < 0.1, offsets
    assert max(starts.values()) - min(starts.values()) < 0.5, starts

    # The evidence bundle carries the segments and verifies, with each participant's coverage.
    report = verify_bundle(io.BytesIO(await export(s.meeting)))
    assert report.ok, render(report, "en")
    [coverage] = report.recordings
    assert coverage["status"] == "complete" and coverage["end_reason"] == "stopped_by_mediator"
    assert set(coverage["participants"]) == set(by_person)
    for pid, part in coverage["participants"].items():
        assert took.within(part["recorded_seconds"]), (pid, part["recorded_seconds"], took)
        assert_gaps_are_the_recordings_own(part["gaps"], decoded[pid], t0)
    assert "录像覆盖范围" in render(report, "zh")


def everyone_sees_everyone(s: Recorded) -> bool:
    """Each person has pictures and sound from each of the others."""
    ids = {who: s.id(who) for who in s.people}
    return all(
        person.media is not None and person.media.frames[(ids[other], kind)] > 0
        for who, person in s.people.items()
        for other in s.people
        if other != who
        for kind in ("audio", "video")
    )


def assert_gaps_are_the_recordings_own(gaps: list[dict[str, Any]], got: dict[str, Any], t0: float) -> None:
    """The gaps ``verify`` reports are the silences in the recorded media, no more and no fewer.

    On a quiet machine there are none; on two loaded cores a client's sender can stall for a second
    or two, and then the report must say so, where it happened."""
    slack = 0.5  # the test's clock starts when the start was acknowledged, the recorder's when it started
    # A gap between segments names no kind: it holds for both.
    spans = [
        (kind, stamp(g["start"]) - t0, stamp(g["end"]) - t0)
        for g in gaps
        for kind in ([g["kind"]] if "kind" in g else ["audio", "video"])
    ]
    for kind, start, end in spans:
        assert [at for at in got[kind] if start + slack < at < end - slack] == [], (kind, start, end)
    for kind in ("audio", "video"):
        for a, b in itertools.pairwise(got[kind]):
            if b - a > 2 * slack + 0.5:
                assert any(k == kind and start - slack <= a and b <= end + slack for k, start, end in spans), (kind, a, b, gaps)
    assert all(gap["reason"] == "no_media" for gap in gaps), gaps


def stamp(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def test_a_flipped_dropped_or_swapped_segment_is_named_by_verify(recorded: Recorded) -> None:
    s = await recorded.assemble()
    await record(s, 5.0)
    bundle = await export(s.meeting)
    assert verify_bundle(io.BytesIO(bundle)).ok
    [recording] = await recordings_of(s.meeting)
    names = [f"recordings/{recording.id}/{seg.index:06d}.webm" for seg in await segments_of(s.meeting, recording.id)]
    assert len(names) >= 3
    first, second = names[0], names[1]

    def flip(files: dict[str, bytes]) -> None:
        data = bytearray(files[second])
        data[len(data) // 2] ^= 0x01
        files[second] = bytes(data)

    def drop(files: dict[str, bytes]) -> None:
        del files[second]

    def swap(files: dict[str, bytes]) -> None:
        files[first], files[second] = files[second], files[first]

    flipped = verify_bundle(io.BytesIO(rezip(bundle, flip)))
    assert not flipped.ok and flipped.has("segment_altered", file=second)
    assert f"录像片段 {second}" in render(flipped, "zh")
    dropped = verify_bundle(io.BytesIO(rezip(bundle, drop)))
    assert not dropped.ok and dropped.has("segment_missing", file=second)
    swapped = verify_bundle(io.BytesIO(rezip(bundle, swap)))
    assert swapped.has("segment_reordered", file=first) and swapped.has("segment_reordered", file=second)
    assert "holds segment 1, not segment 2" in render(swapped, "en")
