"""Recordings of a session's joint room: their chains, segments and the files derived from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class Recording(Base):
    """One recording of a session's joint room, from the mediator's start to its stop.

    ``status``: recording | stopped | interrupted (the server stopped while it ran) | failed
    (a write error stopped it) | deleted (after retention; its hashes stay). A recording
    resumed in the same session continues the previous one's chain (``previous_id``).
    """

    __tablename__ = "recordings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="recording")
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(36))
    master_key_id: Mapped[str] = mapped_column(String(16))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    previous_id: Mapped[str | None] = mapped_column(String(32))
    # The chain: the head before this recording's first segment, and after its last one.
    base_index: Mapped[int] = mapped_column(Integer, default=0)
    base_head: Mapped[str] = mapped_column(String(64))
    last_index: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64))
    # The last segment covered by a segment_manifest record.
    manifested_index: Mapped[int] = mapped_column(Integer, default=0)


class RecordingSegment(Base):
    """One finished, hashed, chained and sealed segment of one participant's audio and video."""

    __tablename__ = "recording_segments"
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    head: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[str] = mapped_column(String(27))
    end: Mapped[str] = mapped_column(String(27))
    tracks: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RecordingFile(Base):
    """A file derived from a recording's segments, for watching: one participant's segments remuxed.

    The packets are copied, never re-encoded; ``start_ms`` is where the file's time zero sits on
    the recording's timeline (its first packet), ``segments`` the indices it was made from, and
    ``sha256``/``bytes`` describe the plaintext, sealed at rest under the recording's data key.
    """

    __tablename__ = "recording_files"
    __table_args__ = (UniqueConstraint("recording_id", "participant_id", "kind"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"))
    participant_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20), default="remux")
    name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    segments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
