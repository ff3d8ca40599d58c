"""The live recorder: encoded frames in, finished segments out, nothing decoded.

It lives with the live session (``signaling/``) because it is a client of the room: it asks
the routing rule what it may receive. What it hands on, :class:`~recordings.segments.PendingSegment`
and :class:`~recordings.segments.Gap`, are plain shapes of the ``recordings`` package, which
imports nothing of the project above it.

A :class:`Recorder` is the joint room's recording, fed by the media room with every encoded
frame of every publication it follows. Which (participant, kind) it follows is decided in one
place, :meth:`Recorder.follow`: what the routing rule lets a recorder bound to the joint room
receive (so a caucus is never recorded by it), and only of participants who consented. A frame
captured before the recorder began to follow its track, still in flight when consent was given or
a caucus ended, is dropped: what is kept starts where the gap before it ends.

Per participant a :class:`ParticipantWriter` gathers audio and video frames into segments of
about ``segment_seconds``. A video segment starts on a key frame: the writer asks the sender
for one (RTCP PLI) shortly before a segment is due and cuts just before it arrives; until the
first key frame of a track, its video frames are not kept. A finished segment (frames and
times, still in memory) goes to the :class:`SegmentSink`, which muxes, hashes, chains, seals
and stores it away from the event loop. Every stretch a followed participant was *not*
recorded, and why (muted, camera off, reconnecting, on hold, in a caucus, no consent), is kept
as a :class:`Gap` for the next manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from recordings.segments import Gap, PendingSegment, SegmentSink, media_found_in_gap
from recordings.timeline import ParticipantClock, TransitClock
from recordings.webm import Frame, Kind, vp8_is_keyframe
from signaling.routing import MAIN_ROOM, RoomState, Track, flows

RECORDER_ID = "recorder:main"
RECORDED_KINDS: tuple[Kind, ...] = ("audio", "video")
#: Silence or a frozen picture this long inside a segment is written down as a gap.
GAP_SECONDS = 0.5
#: Ask for the next key frame this long before a segment is due.
KEYFRAME_LEAD = 0.7
#: A video track whose key frame does not come is cut anyway after this many segment lengths.
HARD_CUT = 3.0
AUDIO_FRAME = 0.02

GapReason = Literal[
    "not_consented", "muted", "camera_off", "reconnecting", "waiting", "held", "left", "caucus", "no_media", "stopped"
]


def why_not(state: RoomState, consented: frozenset[str], participant_id: str, kind: str) -> GapReason:
    """Why the joint room's recorder is not getting this track (for the manifest's gap list)."""
    p = state.get(participant_id)
    if p is None or p.state == "removed":
        return "left"
    if p.state in ("waiting", "reconnecting"):
        return p.state
    if p.state == "held":
        return "held"
    if p.room != MAIN_ROOM:
        return "caucus"
    if participant_id not in consented:
        return "not_consented"
    if kind not in p.sending:
        return "muted" if kind == "audio" else "camera_off"
    return "no_media"


class ParticipantWriter:
    def __init__(self, recorder: Recorder, participant_id: str) -> None:
        self.recorder = recorder
        self.participant_id = participant_id
        self.frames: list[Frame] = []
        self.start = 0.0
        #: The earliest time placed in the segment being written: its start as the files and the
        #: manifest say it. A frame of one track can be placed before the frame of another that
        #: opened the segment (its sound captured before the key frame, and arriving after it).
        self.least = 0.0
        self.last: dict[str, float] = {}
        self.keyframes = 0
        self.asked = False
        self.video_waiting = True
        self.video_asked_at = 0.0
        self.gaps: list[Gap] = []
        #: Per kind: when the recorder last began to follow it. A frame captured before that (one
        #: still in flight when consent was given or a caucus ended) is not the recorder's to keep.
        self.since: dict[str, float] = {}
        #: Its tracks on the server's clock (recordings/timeline.py).
        self.timeline = ParticipantClock()

    def place(
        self,
        kind: str,
        source: object,
        clock_rate: int,
        timestamp: int,
        arrival: float,
        sender_time: float | None,
        transit: TransitClock | None,
    ) -> float:
        if self.timeline.follow(kind, source, transit) and kind == "video":
            self.video_waiting = True
        return self.timeline.place(kind, timestamp / clock_rate, arrival, sender_time)

    def add(self, kind: Kind, at: float, data: bytes, keyframe: bool) -> None:
        r = self.recorder
        age = at - self.start if self.frames else 0.0
        if kind == "video":
            if self.video_waiting:
                if not keyframe:
                    if at - self.video_asked_at > 1.0:
                        self.video_asked_at = at
                        r.ask_keyframe(self.participant_id)
                    return
                self.video_waiting = False
            if keyframe and self.frames and age >= r.segment_seconds - KEYFRAME_LEAD:
                self.finish()
            elif self.frames and age >= r.segment_seconds * HARD_CUT:
                self.finish()  # the key frame never came: cut, and wait for the next one
                self.video_waiting = True
                r.ask_keyframe(self.participant_id)
                return
            elif self.frames and not self.asked and age >= r.segment_seconds - KEYFRAME_LEAD:
                self.asked = True
                r.ask_keyframe(self.participant_id)
        elif self.frames and age >= r.segment_seconds and not self._video_live(at):
            self.finish()
        if not self.frames:
            self.start, self.least, self.asked, self.keyframes = at, at, False, 0
        self.least = min(self.least, at)
        previous = self.last.get(kind)
        if previous is not None and at < previous:
            # Placed back in time, perhaps inside a silence noted before (media_found_in_gap says how).
            self.gaps = media_found_in_gap(self.gaps, kind, at, GAP_SECONDS)
        elif previous is not None and at - previous > GAP_SECONDS and previous >= self.start:
            self.gaps.append(Gap(self.participant_id, kind, previous, at, "no_media"))
        self.last[kind] = at if previous is None else max(previous, at)
        self.keyframes += keyframe
        self.frames.append(Frame(kind, r.pts_ms(at), data, keyframe))

    def _video_live(self, at: float) -> bool:
        last = self.last.get("video")
        return last is not None and at - last < 1.0 and not self.video_waiting

    def finish(self) -> None:
        if not self.frames:
            return
        end = max(self.last.values()) + AUDIO_FRAME
        segment = PendingSegment(self.participant_id, self.frames, self.least, end, self.keyframes, self.gaps)
        self.frames, self.gaps = [], []
        self.recorder.sink.segment(segment)


class Recorder:
    """The recording of one session's joint room while it runs."""

    def __init__(
        self,
        recording_id: str,
        sink: SegmentSink,
        ask_keyframe: Callable[[str], None],
        *,
        segment_seconds: float = 4.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.recording_id = recording_id
        self.sink = sink
        self.ask_keyframe = ask_keyframe
        self.segment_seconds = segment_seconds
        self.clock = clock
        self.t0 = clock()
        self.stopped = False
        self.following: frozenset[tuple[str, str]] = frozenset()
        self.writers: dict[str, ParticipantWriter] = {}
        self.open_gaps: dict[tuple[str, str], Gap] = {}
        self.closed_gaps: list[Gap] = []

    def pts_ms(self, at: float) -> int:
        return max(0, round((at - self.t0) * 1000))

    def follow(self, state: RoomState, consented: frozenset[str], publishing: set[tuple[str, str]]) -> None:
        """Follow exactly the tracks a joint-room recorder may get, of those who consented."""
        if self.stopped:
            return
        with_recorder = state if state.get(RECORDER_ID) else state.attach_recorder(RECORDER_ID)
        now = self.clock()
        wanted = set()
        for p in state.participants:
            if p.is_recorder:
                continue
            for kind in RECORDED_KINDS:
                key = (p.id, kind)
                ok = p.id in consented and flows(with_recorder, Track(p.id, kind), RECORDER_ID)
                if ok and key in publishing:
                    wanted.add(key)
                    gap = self.open_gaps.pop(key, None)
                    if gap is not None:
                        gap.end = now
                        self.closed_gaps.append(gap)
                elif key not in self.open_gaps and (p.state != "waiting" or key in self.following):
                    reason = why_not(state, consented, p.id, kind) if not ok else "no_media"
                    self.open_gaps[key] = Gap(p.id, kind, now, None, reason)
        for pid, kind in wanted - self.following:
            writer = self.writers.setdefault(pid, ParticipantWriter(self, pid))
            writer.since[kind] = now
            if kind == "video":
                writer.video_waiting = True
                self.ask_keyframe(pid)
        self.following = frozenset(wanted)

    def on_frame(
        self,
        participant_id: str,
        kind: str,
        source: object,
        clock_rate: int,
        timestamp: int,
        data: bytes,
        sender_time: float | None = None,
        transit: TransitClock | None = None,
    ) -> None:
        """One encoded frame; ``sender_time`` is when the sender says it was captured (RTCP SR), if known;
        ``transit``, the publication's own mapping of its clock to the server's (recordings/timeline.py)."""
        if self.stopped or (participant_id, kind) not in self.following:
            return
        writer = self.writers.get(participant_id)
        if writer is None:
            return
        at = writer.place(kind, source, clock_rate, timestamp, self.clock(), sender_time, transit)
        recorded: Kind = "video" if kind == "video" else "audio"
        if at < writer.since[recorded]:
            return  # captured before the recorder could take it: in a caucus, or before the consent
        writer.add(recorded, at, data, vp8_is_keyframe(data) if recorded == "video" else False)

    def take_gaps(self) -> list[Gap]:
        """The gaps closed since the last call (for the next manifest)."""
        gaps, self.closed_gaps = self.closed_gaps, []
        return gaps

    def stop(self) -> list[Gap]:
        """Stop taking frames at once and hand over what each writer holds; returns the open gaps, closed now."""
        if self.stopped:
            return []
        self.stopped = True
        self.following = frozenset()
        for writer in self.writers.values():
            writer.finish()
        now = self.clock()
        for gap in self.open_gaps.values():
            gap.end = now
        gaps = [*self.closed_gaps, *self.open_gaps.values()]
        self.open_gaps, self.closed_gaps = {}, []
        return gaps
