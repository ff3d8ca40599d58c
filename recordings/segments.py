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
