"""Signed monthly statistics snapshots (``statistics_snapshot``, issue #23).

Each row is a record of the evidence log, in its organisation's statistics stream
(server/domain/statistics/snapshots.py): the row is what the pages and the month-end loop look up;
the figures and the cases behind each count are the record's body (``evidence_bodies``). A row is
never changed nor removed (migration 0031): a correction is a new row, ``version`` one more, naming
the one it corrects (``supersedes_id``) and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class StatisticsSnapshot(Base):
    __tablename__ = "statistics_snapshots"
    __table_args__ = (UniqueConstraint("organisation_id", "month", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: The Beijing calendar month of the cohort (cases registered in it), "YYYY-MM".
    month: Mapped[str] = mapped_column(String(7))
    #: 1 for the first snapshot of the month, one more for each correction (or interim snapshot) after it.
    version: Mapped[int] = mapped_column(Integer)
    #: Taken before the month ended (``mediate demo``, an operator's look): not the month's snapshot.
    interim: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The evidence stream the record is in (snapshots.stream_id) and its place there.
    stream: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    claim_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the figures are as of (UTC): the moment the snapshot was taken.
    as_of: Mapped[datetime] = mapped_column()
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("statistics_snapshots.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    #: The counts (figures.COUNTS), for the list; the record's body holds every figure and the cases.
    counts: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
