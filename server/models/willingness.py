"""Whether the other side agrees to mediation (人民调解法 art. 17; 在线调解规则 art. 15)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class WillingnessQuestion(Base):
    """One respondent asked whether they agree to mediation, and their answer.

    ``answer``: None (awaiting it until ``due_at``) | accepted | refused | silent (no answer by
    ``due_at``: the sweep wrote it). The answer is also a record of the case's evidence log
    (``mediation_accepted`` / ``mediation_refused``, ``answer_seq``); this row is what the pages read.
    A respondent is asked once per case.
    """

    __tablename__ = "willingness_questions"
    __table_args__ = (UniqueConstraint("case_id", "party_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The mediator who asked from the case page; None when the platform asked on accepting an application.
    asked_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime] = mapped_column()
    # When the respondent was sent their link (None: the next outbox round sends it).
    notified_at: Mapped[datetime | None] = mapped_column()
    answer: Mapped[str | None] = mapped_column(String(10), index=True)
    answered_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    answer_seq: Mapped[int | None] = mapped_column(Integer)
