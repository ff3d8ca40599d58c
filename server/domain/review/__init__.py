"""Watching a recording: who is in it, what happened when, and one seekable file per participant.

A recording is kept as sealed segments, a few seconds of one participant each
(:mod:`server.domain.recordings`). To be watched, each participant's segments are remuxed into
one WebM on the first request for it and kept as a *derived file* beside the segments
(``derived``); the :class:`Review` service (``service``) lists a session's recordings, makes and
opens those files and writes who watched what to the case history; ``timeline`` shapes what a
viewer is shown: the participants, where each file sits on the shared timeline, and the markers.
"""

from __future__ import annotations

from server.domain.review.derived import WatchFile, seal_chunks, seal_file, sealed_size
from server.domain.review.service import RECORDING_ID, Review
from server.domain.review.timeline import Gap, Marker, Participant, RecordingView, SessionRecordings

# The sealed chunks' sizes (``derived.CHUNK``, ...) are not re-exported: a test that shrinks them must
# change them in ``derived``, where they are read.
__all__ = [
    "RECORDING_ID",
    "Gap",
    "Marker",
    "Participant",
    "RecordingView",
    "Review",
    "SessionRecordings",
    "WatchFile",
    "seal_chunks",
    "seal_file",
    "sealed_size",
]
