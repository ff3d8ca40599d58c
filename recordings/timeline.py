"""Placing each received frame on the session's one timeline.

Each track's frames carry RTP timestamps in the sender's media clock (aiortc rebases them to
start at 0 per receiver). The recorder maps them onto the server's wall clock with the
smallest transit seen so far: ``offset = min(arrival - rtp / clock_rate)``, and a frame's
time is ``offset + rtp / clock_rate``. The frame that crossed the network fastest fixes the
mapping, so jitter and a burst of late packets do not smear the timeline, and because every
track of every participant is mapped to the same server clock, tracks line up with each
other to within the difference of their best network transits (milliseconds on one network).

RTCP sender reports would give each sender's own NTP clock; aiortc keeps them private and
rebases RTP timestamps, and the sender's clock would still need mapping to the server's, so
the minimum-transit mapping (what receivers use for playout anyway) is what we use.
"""

from __future__ import annotations


class TrackClock:
    """RTP time to server wall-clock seconds for one received track."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.offset: float | None = None

    def place(self, rtp_timestamp: int, arrival: float) -> float:
        media = rtp_timestamp / self.clock_rate
        transit = arrival - media
        if self.offset is None or transit < self.offset:
            self.offset = transit
        return self.offset + media
