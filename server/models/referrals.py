"""Referrals of a case between organisations (分流、委派、委托)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class Referral(Base):
    """A case sent by one organisation to another, to lead it (主办) or to assist (协办).

    ``status``: pending (awaiting the receiving organisation's decision) | accepted | returned.
    A lead referral accepted moves the case: its organisation and mediator become the receiving
    organisation's, and the referring organisation keeps read-only sight of it (see
    ``server.domain.cases.referral_sharing``). A referral from a court is the court's 委派 (before
    filing) or 委托 (after), 最高人民法院关于人民法院特邀调解的规定 art. 11.
    """

    __tablename__ = "referrals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    from_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # lead | assisting
    reason: Mapped[str] = mapped_column(Text)
    # What the receiving organisation is asked to do (for an assisting one, its own task).
    task: Mapped[str] = mapped_column(Text, default="")
    # A court's referral: before_filing (委派, art. 11 ¶1) or after_filing (委托); None otherwise.
    court_stage: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    referred_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # When the referral was made: the receiving organisation's acceptance clock (3 working days,
    # issue #21) runs from here.
    referred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who accepted or returned it, and when; why it was returned.
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    return_reason: Mapped[str | None] = mapped_column(Text)
    # A lead referral accepted: the receiving organisation's mediator who handles the case.
    mediator_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # An assisting organisation's result on its task.
    result: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime | None] = mapped_column()
    # A court's lead referral: the written report of the result its mediator made for the court
    # (特邀调解规定 art. 26 ¶2), as a PDF, with its hash, who made it and when (``result_reported``).
    report_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    report_by: Mapped[str | None] = mapped_column(String(36))
    report_at: Mapped[datetime | None] = mapped_column()
