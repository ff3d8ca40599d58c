"""Where the recorder puts a participant's frames on the session's timeline (recordings/timeline.py).

A simulated sender: audio and video captured on its own wall clock (seconds off the server's), RTP
timestamps from capture, packets arriving after a network delay with jitter, and sender reports
made the way aiortc makes them (the send time of the last packet paired with its capture
timestamp), some of them while the sender's encoder ran late. What a viewer notices is whether a
frame plays when it was captured, in step with the other participants and with its own sound."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from recordings.timeline import ParticipantClock, SenderBase

RATES = {"audio": 48_000, "video": 90_000}
STEP = {"audio": 0.02, "video": 1 / 30}
SKEW = 7.25  # the sender's wall clock runs this far ahead of the server's


@dataclass
class Sender:
    """One participant: when each frame was captured (server seconds) and where it was placed."""

    late_reports: dict[str, set[int]] = field(default_factory=dict)
    report_lag: float = 0.17
    jump_at: float | None = None
    seed: int = 1
    placed: list[tuple[str, float, float]] = field(default_factory=list)

    def run(
        self, seconds: float, sources: dict[str, object] | None = None, clock: ParticipantClock | None = None
    ) -> ParticipantClock:
        rng = random.Random(self.seed)
        clock = clock or ParticipantClock()
        sources = sources or {"audio": object(), "video": object()}
        bases = {kind: SenderBase() for kind in RATES}
        frames = sorted((i * STEP[k], k) for k in RATES for i in range(int(seconds / STEP[k])))
        reports = {kind: 0 for kind in RATES}
        for captured, kind in frames:
            rtp = round(captured * RATES[kind])
            sender_wall = captured + SKEW + (-5.0 if self.jump_at is not None and captured >= self.jump_at else 0.0)
            if captured >= reports[kind] + 1.0:  # one report a second per track
                reports[kind] += 1
                late = self.report_lag if reports[kind] in self.late_reports.get(kind, set()) else 0.002
                bases[kind].report(sender_wall + late, rtp)
            arrival = captured + 0.004 + rng.expovariate(1 / 0.015)
            clock.follow(kind, sources[kind])
            at = clock.place(kind, rtp / RATES[kind], arrival, bases[kind].sender_time(rtp, RATES[kind]))
            self.placed.append((kind, captured, at))
        return clock

    def errors(self, kind: str, after: float = 1.5) -> list[float]:
        return [at - captured for k, captured, at in self.placed if k == kind and captured >= after]


def test_a_late_sender_report_does_not_move_the_participants_pictures() -> None:
    steady = Sender()
    steady.run(20)
    loaded = Sender(late_reports={"video": {3, 4, 11}, "audio": {7}})
    loaded.run(20)
    for kind in RATES:
        # Every frame sits where it was captured, give or take the best transit (a few ms).
        assert max(abs(e) for e in loaded.errors(kind)) < 0.02, kind
        assert max(abs(e) for e in steady.errors(kind)) < 0.02, kind
    # Participants line up with each other, and a participant's sound with its picture.
    assert abs(min(loaded.errors("video")) - min(steady.errors("video"))) < 0.02
    assert abs(min(loaded.errors("audio")) - min(loaded.errors("video"))) < 0.02


def test_a_sender_whose_wall_clock_jumps_back_is_not_moved() -> None:
    jumped = Sender(jump_at=8.0)
    jumped.run(20)
    for kind in RATES:
        late = [e for k, captured, at in jumped.placed if k == kind and captured > 10 for e in [at - captured]]
        assert max(abs(e) for e in late) < 0.02, kind


def test_before_the_first_report_each_track_is_placed_by_its_own_clock() -> None:
    early = Sender()
    early.run(0.9)
    for kind in RATES:
        assert max(abs(e) for e in early.errors(kind, after=0.0)) < 0.05, kind


def test_a_reconnected_publication_starts_a_new_mapping() -> None:
    sender = Sender()
    clock = sender.run(5)
    assert not clock.follow("video", clock.tracks["video"][0])
    again = Sender(seed=2)
    again.run(5, sources={"audio": object(), "video": object()}, clock=clock)
    for kind in RATES:
        assert max(abs(e) for e in again.errors(kind)) < 0.02, kind
