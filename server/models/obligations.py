"""What a sealed agreement binds the parties to perform, one row per instalment (People's Mediation Law art. 31)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class Obligation(Base):
    """One instalment of a term's obligation in the sealed agreement: the unit whose performance is reported.

    Made when the agreement is sealed, from the sealed version's content (server/domain/performance.py),
    and never edited but for its performance. ``status``: pending | reported (the one who owes says it
    is done: ``performance_reported`` record ``report_seq``) | performed (the one owed confirmed it,
    with their own key or over video before the mediator: ``performance_confirmed`` ``confirm_seq``) |
    disputed (the one owed says it was not done: ``performance_disputed`` ``dispute_seq``; the one
    who owes may report again). Whether it is overdue is computed from ``due_date`` (Beijing days).
    """

    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("agreement_id", "term", "instalment"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    version: Mapped[int] = mapped_column(Integer)
    # The term's number in the agreement (1-based), the instalment's (1-based) and how many the term has.
    term: Mapped[int] = mapped_column(Integer)
    instalment: Mapped[int] = mapped_column(Integer)
    instalments: Mapped[int] = mapped_column(Integer)
    debtor_party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"))
    creditor_party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"))
    kind: Mapped[str] = mapped_column(String(20))
    what: Mapped[str] = mapped_column(Text, default="")
    # This instalment's amount (fen) where money is owed; the term's line as the agreement words it.
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    wording: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The latest report, and its proof (a case document) if one was given.
    reported_at: Mapped[datetime | None] = mapped_column()
    report_seq: Mapped[int | None] = mapped_column(Integer)
    report_note: Mapped[str | None] = mapped_column(Text)
    proof_document_id: Mapped[str | None] = mapped_column(ForeignKey("case_documents.id"))
    # The confirmation: how (party_key: the one owed with their own key; over_video: recorded by a mediator).
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirm_seq: Mapped[int | None] = mapped_column(Integer)
    confirm_method: Mapped[str | None] = mapped_column(String(40))
    confirmed_by_staff: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # The latest dispute and its reason.
    disputed_at: Mapped[datetime | None] = mapped_column()
    dispute_seq: Mapped[int | None] = mapped_column(Integer)
    dispute_reason: Mapped[str | None] = mapped_column(Text)


class FollowUp(Base):
    """A follow-up visit (回访) of the agreement's performance (People's Mediation Law art. 31).

    ``plan`` says why it is due: ``sealed_7`` / ``sealed_30`` (days after the agreement was sealed),
    ``due:<obligation id>`` (after an instalment's last day), or ``manual:<id>`` (the mediator set the
    day). Rule visits get a row when recorded; a visit planned by hand has one from the start.
    Recorded: how (phone | video | in_person), the performance found, the parties' satisfaction
    (satisfied | partly | dissatisfied), the remaining risk (隐患) and what was done (整改), with its
    ``follow_up_recorded`` record ``record_seq``.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("case_id", "plan"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    plan: Mapped[str] = mapped_column(String(80))
    planned_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column()
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    record_seq: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str | None] = mapped_column(String(20))
    performance: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    risk: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[str | None] = mapped_column(Text)
