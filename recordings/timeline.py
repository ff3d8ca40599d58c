"""Placing each received frame on the session's one timeline.

Each track's frames carry RTP timestamps in the sender's media clock; RTCP sender reports
(SR) tie that clock to the sender's wall clock, the same clock for all tracks of one sender.
So a frame's capture time on the sender's clock is ``sr_wall + (rtp - sr_rtp) / clock_rate``
(``signaling.aiortc_hooks.on_sender_report``), and that keeps a participant's audio and video
in sync with each other (lip sync), however differently their packets travel.

The senders' clocks are not the server's (a phone's clock may be seconds off), so each
participant's clock is mapped onto the server's with the smallest transit seen so far:
``offset = min(arrival - sender_time)``, a frame's time being ``offset + sender_time``. The
frame that crossed the network fastest fixes the mapping, so jitter and late bursts do not
smear the timeline, and since every participant is mapped onto the same server clock, the
participants line up with each other to within the difference of their best transits
(milliseconds on one network). Until a track's first sender report arrives (about a second),
its own RTP clock is mapped the same way.
"""

from __future__ import annotations


class TransitClock:
    """Media time (seconds, in one sender's clock) to server wall-clock seconds, by minimum transit.

    ``jump``: a frame placed this much before it arrived means the sender's clock jumped back
    (a wall clock can; an RTP clock cannot), and the mapping starts afresh.
    """

    def __init__(self, jump: float | None = None) -> None:
        self.jump = jump
        self.offset: float | None = None

    def place(self, media_time: float, arrival: float) -> float:
        transit = arrival - media_time
        if self.offset is None or transit < self.offset or (self.jump is not None and transit - self.offset > self.jump):
            self.offset = transit
        return self.offset + media_time
