"""A supervisor's instructions on a case and the handling organisation's replies (督办 and 反馈)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class SupervisionInstruction(Base):
    """One instruction and, once given, its reply. Both are also signed records of the case's
    evidence log (``supervision_issued``, ``supervision_replied``); this row is what the board
    and the case page read: an instruction without a reply awaits one."""

    __tablename__ = "supervision_instructions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    issued_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    issued_by_name: Mapped[str] = mapped_column(String(100))
    # The supervisor's organisation when they issued it (a justice bureau, a centre).
    issued_by_organisation: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_seq: Mapped[int] = mapped_column(Integer)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    replied_by_name: Mapped[str | None] = mapped_column(String(100))
    replied_at: Mapped[datetime | None] = mapped_column()
    replied_seq: Mapped[int | None] = mapped_column(Integer)
