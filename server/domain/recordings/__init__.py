"""Recordings as evidence: segments hashed, chained, sealed, stored and vouched for in the log.

``writer``: the live writer (:class:`ActiveRecording`), which the recorder hands each finished
segment; ``service``: the :class:`Recordings` service, which starts and stops recordings,
recovers them after a crash, deletes them after retention and exports them.
"""

from __future__ import annotations

from server.domain.recordings.service import FINISHED, Purged, Recordings, covered
from server.domain.recordings.writer import ActiveRecording, StoredSegment

__all__ = ["FINISHED", "ActiveRecording", "Purged", "Recordings", "StoredSegment", "covered"]
