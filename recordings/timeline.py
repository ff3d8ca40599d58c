"""Placing each received frame on the session's one timeline.

Each track's frames carry RTP timestamps in the sender's media clock; RTCP sender reports
(SR, RFC 3550 §6.4.1) tie that clock to the sender's wall clock, the same clock for all tracks of
one sender. So a frame's capture time on the sender's clock is ``base + rtp / clock_rate``, with
``base = sr_wall - sr_rtp / clock_rate`` (``signaling.aiortc_hooks.on_sender_report``), and that keeps
a participant's audio and video in sync with each other (lip sync), however differently their
packets travel.

A report is only as good as its sender's bookkeeping. A browser stamps the RTP timestamp the
report's instant stands for; aiortc (and any sender that stamps the last packet it sent) pairs
the time a packet *left* with the timestamp of the frame it *captured*, so a report made while
the sender's encoder ran late (a busy core) says the clock is that much later. Such an error only
ever makes ``base`` larger; :class:`SenderBase` keeps the smallest ``base`` seen, the report made
with the least delay, so one late report does not shift the participant's pictures.

The senders' clocks are not the server's (a phone's clock may be seconds off), so each
participant is mapped onto the server's clock by the smallest transit seen: per track,
``least = min(arrival - rtp / clock_rate)`` (:class:`TransitClock`), the frame that crossed
fastest; the participant's offset is the smallest ``least - base`` over its tracks, and a frame's
time is ``offset + base + rtp / clock_rate``. Both minima ignore late frames and late reports, so
jitter, a late burst or a stalled encoder does not smear the timeline; the participants line up
with each other to within the difference of their best transits (milliseconds on one network).
Until a track's first sender report arrives (about a second), its own RTP clock is mapped the
same way, alone.

A sender's wall clock can jump (a phone setting its time): backwards, the next reports make
``base`` smaller and ``least - base`` grows by as much, so the frames stay where they were; forwards,
the smallest ``base`` is kept. Either way the timeline follows arrival, not the sender's wall clock.
"""

from __future__ import annotations


class TransitClock:
    """A track's media time (seconds, its own RTP clock) to server seconds, by minimum transit."""

    def __init__(self) -> None:
        self.offset: float | None = None

    def place(self, media_time: float, arrival: float) -> float:
        transit = arrival - media_time
        if self.offset is None or transit < self.offset:
            self.offset = transit
        return self.offset + media_time


class SenderBase:
    """A track's sender wall clock at RTP time zero, from its least delayed sender report."""

    def __init__(self) -> None:
        self.base: float | None = None
        self._pending: tuple[float, int] | None = None

    def report(self, wall: float, rtp_timestamp: int) -> None:
        """A sender report arrived (the clock rate is known only with the next frame)."""
        self._pending = (wall, rtp_timestamp)

    def sender_time(self, rtp_timestamp: int, clock_rate: int) -> float | None:
        """The frame's capture time on the sender's wall clock, or None before any report."""
        if self._pending is not None:
            wall, rtp = self._pending
            self._pending = None
            base = wall - rtp / clock_rate
            if self.base is None or base < self.base:
                self.base = base
        return None if self.base is None else self.base + rtp_timestamp / clock_rate


class ParticipantClock:
    """One participant's tracks on the server's clock, together once sender reports tie them."""

    def __init__(self) -> None:
        #: Per kind: the publication it maps (a reconnect brings a new one) and its RTP clock's mapping.
        self.tracks: dict[str, tuple[object, TransitClock]] = {}
        #: Per kind with sender reports: ``base`` (sender seconds at RTP time zero) of its publication.
        self.bases: dict[str, float] = {}

    def follow(self, kind: str, source: object, transit: TransitClock | None = None) -> bool:
        """Whether ``source`` is a new publication of ``kind`` (the first, or after a reconnect).

        ``transit`` is the publication's own, if it keeps one: it has seen every frame the publication
        delivered, before anyone recorded it, so the first frames placed here are placed by when they
        were captured, not at their arrival (a frame still in flight when the recording began or the
        participant consented is then placed before that moment, and the recorder can leave it out).
        """
        current = self.tracks.get(kind)
        if current is not None and current[0] is source:
            return False
        self.tracks[kind] = (source, transit if transit is not None else TransitClock())
        self.bases.pop(kind, None)
        return True

    def place(self, kind: str, media_time: float, arrival: float, sender_time: float | None) -> float:
        """Server seconds for a frame of a followed ``kind`` (``media_time``: its RTP time in seconds)."""
        track = self.tracks[kind][1]
        placed = track.place(media_time, arrival)
        if sender_time is None:
            return placed
        self.bases[kind] = sender_time - media_time
        offset = min(self._least(k) - base for k, base in self.bases.items())
        return offset + sender_time

    def _least(self, kind: str) -> float:
        least = self.tracks[kind][1].offset
        assert least is not None  # a kind gets a base only after its first frame is placed
        return least
