"""The live recorder's own rules, on a clock the test turns: what it keeps of frames still in flight."""

from __future__ import annotations

import pytest

from recordings.segments import PendingSegment
from recordings.timeline import TransitClock
from signaling.recorder import Recorder
from signaling.routing import Caucus, Participant, RoomState

AUDIO, VIDEO = 48_000, 90_000


class Kept:
    def __init__(self) -> None:
        self.segments: list[PendingSegment] = []

    def segment(self, segment: PendingSegment) -> None:
        self.segments.append(segment)


def test_a_frame_captured_before_the_consent_and_arriving_after_it_is_not_kept() -> None:
    now = [100.0]
    kept = Kept()
    recorder = Recorder("r1", kept, lambda _pid: None, clock=lambda: now[0])
    state = RoomState((Participant("host", "mediator", "admitted"), Participant("li", "respondent", "admitted")))
    publishing = {("li", "audio"), ("li", "video")}
    recorder.follow(state, frozenset({"host"}), publishing)
    recorder.on_frame("li", "audio", "mic", AUDIO, 0, b"before", sender_time=99.0)  # not consented: not followed
    recorder.follow(state, frozenset({"host", "li"}), publishing)  # 李四 consents at 100.0

    def arrives(at: float, kind: str, rate: int, captured: float, data: bytes) -> None:
        now[0] = at
        recorder.on_frame("li", kind, kind, rate, round((captured - 90.0) * rate), data, sender_time=captured)

    arrives(100.05, "video", VIDEO, 100.0, b"\x01")  # 50 ms on the way (not a key frame: waits for one)
    arrives(100.10, "audio", AUDIO, 99.7, b"in flight")  # captured 0.3 s before the consent, late on a busy path
    arrives(100.12, "audio", AUDIO, 100.02, b"after")
    arrives(100.14, "audio", AUDIO, 100.04, b"after too")
    recorder.stop()

    [segment] = kept.segments
    assert [f.data for f in segment.frames] == [b"after", b"after too"]
    assert segment.start >= 100.0


def test_a_frame_captured_in_a_private_talk_and_arriving_after_it_ended_is_not_kept() -> None:
    now = [200.0]
    kept = Kept()
    recorder = Recorder("r1", kept, lambda _pid: None, clock=lambda: now[0])
    aside = RoomState(
        (Participant("host", "mediator", "admitted", room="c1"), Participant("li", "respondent", "admitted", room="c1")),
        (Caucus("c1", "host", frozenset({"li"})),),
    )
    together = RoomState((Participant("host", "mediator", "admitted"), Participant("li", "respondent", "admitted")))
    consented, publishing = frozenset({"host", "li"}), {("li", "audio"), ("li", "video")}
    recorder.follow(aside, consented, publishing)
    now[0] = 201.0
    recorder.follow(together, consented, publishing)  # back in the joint room at 201.0

    def arrives(at: float, kind: str, rate: int, captured: float, data: bytes) -> None:
        now[0] = at
        recorder.on_frame("li", kind, kind, rate, round((captured - 190.0) * rate), data, sender_time=captured)

    arrives(201.10, "video", VIDEO, 201.05, b"\x01")
    arrives(201.30, "audio", AUDIO, 200.90, b"said aside")
    arrives(201.31, "audio", AUDIO, 201.12, b"said together")
    recorder.stop()

    [segment] = kept.segments
    assert [f.data for f in segment.frames] == [b"said together"]


def test_the_first_frame_taken_is_placed_by_the_delay_its_publication_has_seen_and_left_out_if_captured_before() -> None:
    """At a first consent (or the recording's start) the recorder has seen none of the track: the
    publication's own clock, fed by every frame it delivered, says when that first frame was captured."""
    now = [100.0]
    kept = Kept()
    recorder = Recorder("r1", kept, lambda _pid: None, clock=lambda: now[0])
    transit = TransitClock()
    for n in range(500):  # ten seconds of 李四's audio through the server, 50 ms on the way, unrecorded
        transit.place(n * 0.02, 90.05 + n * 0.02)
    state = RoomState((Participant("host", "mediator", "admitted"), Participant("li", "respondent", "admitted")))
    recorder.follow(state, frozenset({"host", "li"}), {("li", "audio")})  # 李四 consents at 100.0

    def arrives(at: float, media_time: float, data: bytes) -> None:
        now[0] = at
        recorder.on_frame("li", "audio", "mic", AUDIO, round(media_time * AUDIO), data, transit=transit)

    arrives(100.10, 9.70, b"in flight")  # captured at 99.70 (the first frame the recorder is handed)
    arrives(100.12, 10.02, b"after")
    recorder.stop()

    [segment] = kept.segments
    assert [f.data for f in segment.frames] == [b"after"]
    assert segment.start == pytest.approx(100.07)


def test_a_segment_starts_at_its_earliest_frame_not_at_the_frame_that_opened_it() -> None:
    """The review page places each participant's file by the first segment's start; the file itself
    begins with its earliest frame. Sound captured before the key frame that opens the segment, and
    arriving after it (a loaded path), must move the start back, or the page would play that
    participant late by as much."""
    now = [100.0]
    kept = Kept()
    recorder = Recorder("r1", kept, lambda _pid: None, clock=lambda: now[0])
    state = RoomState((Participant("host", "mediator", "admitted"), Participant("li", "respondent", "admitted")))
    recorder.follow(state, frozenset({"host", "li"}), {("li", "audio"), ("li", "video")})

    def arrives(at: float, kind: str, rate: int, captured: float, data: bytes) -> None:
        now[0] = at
        recorder.on_frame("li", kind, kind, rate, round((captured - 90.0) * rate), data, sender_time=captured)

    arrives(100.40, "video", VIDEO, 100.35, b"\x00\x00\x00\x9d\x01\x2a")  # a key frame opens the segment
    arrives(100.45, "audio", AUDIO, 100.10, b"said before the picture")
    arrives(100.46, "audio", AUDIO, 100.38, b"said after")
    recorder.stop()

    [segment] = kept.segments
    assert [f.data for f in segment.frames][1:] == [b"said before the picture", b"said after"]
    least = min(f.pts_ms for f in segment.frames)
    assert segment.start == pytest.approx(recorder.t0 + least / 1000, abs=0.001)
    assert segment.start == pytest.approx(100.15)  # the sound, 50 ms on the way as the picture was
