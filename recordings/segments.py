"""What the live recorder hands on: a finished segment before muxing, and the gaps in it.

These are the shapes between the recorder (``signaling.recorder``, a client of the room) and
the recording service that muxes, hashes, chains, seals and stores each segment
(``server.domain.recordings``). They live here, in the leaf package, so that neither side has
to import the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from recordings.webm import Frame


@dataclass
class Gap:
    participant_id: str
    kind: str
    start: float
    end: float | None
    reason: str

    def to_json(self, stamp: Callable[[float], str]) -> dict[str, str | None]:
        return {
            "participant": self.participant_id,
            "kind": self.kind,
            "start": stamp(self.start),
            "end": None if self.end is None else stamp(self.end),
            "reason": self.reason,
        }


def media_found_in_gap(gaps: list[Gap], kind: str, at: float, shortest: float) -> list[Gap]:
    """The gaps once media of ``kind`` turns out to sit at ``at``, inside a "no media" gap noted before.

    Media can be placed back in time: after a sender stalls, its first late packets re-anchor the
    mapping from its clock to the session's (recordings/timeline.py), the next ones, arriving on
    time again, pull it back, and a frame lands inside the silence the recorder had already noted
    (a loaded CI machine did this: audio at 5.68 s inside a gap noted from 4.25 s to 6.24 s). The
    gap must then not claim that stretch: it is split at ``at``, and a piece no longer than
    ``shortest`` (the recorder's threshold for a gap at all) is dropped.
    """
    out: list[Gap] = []
    for gap in gaps:
        if gap.kind != kind or gap.reason != "no_media" or gap.end is None or not gap.start < at < gap.end:
            out.append(gap)
            continue
        if at - gap.start > shortest:
            out.append(Gap(gap.participant_id, kind, gap.start, at, gap.reason))
        if gap.end - at > shortest:
            out.append(Gap(gap.participant_id, kind, at, gap.end, gap.reason))
    return out


@dataclass
class PendingSegment:
    """A finished segment before muxing: its frames and where it sits on the session timeline."""

    participant_id: str
    frames: list[Frame]
    start: float
    end: float
    keyframes: int
    gaps: list[Gap] = field(default_factory=list)

    def tracks(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.frames:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        return counts


class SegmentSink(Protocol):
    def segment(self, segment: PendingSegment) -> None: ...
