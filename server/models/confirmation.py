"""Judicial confirmation: the application to a court, its signers, judges' notes, court case numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class ConfirmationApplication(Base):
    """A joint application to a court to confirm the agreement (People's Mediation Law art. 33).

    ``status``: awaiting_cosign (one party has signed) | received (both have: submitted) |
    accepted | under_review | hearing_scheduled | confirmed | rejected.
    """

    __tablename__ = "confirmation_applications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    court_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # org_location | residence | property | inviting_court: why this court may hear it
    ground: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="awaiting_cosign")
    started_by: Mapped[str] = mapped_column(String(36))
    judge_id: Mapped[str | None] = mapped_column(String(36))
    hearing_session_id: Mapped[str | None] = mapped_column(String(36))
    decision: Mapped[str | None] = mapped_column(String(10))  # confirmed | rejected
    decision_grounds: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    decision_document_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    # The court's own case number, given when it accepts the application (立案): e.g.
    # "（2026）蒙0105民特123号", from the court's yearly sequence (CourtCaseCounter).
    accepted_at: Mapped[datetime | None] = mapped_column()
    court_case_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The court clerk (书记员) named at the foot of the ruling, if the judge gave one.
    clerk_name: Mapped[str | None] = mapped_column(String(100))


class ConfirmationSigner(Base):
    """A party's signature of the application (its ``confirmation_applied`` record)."""

    __tablename__ = "confirmation_signers"
    application_id: Mapped[str] = mapped_column(ForeignKey("confirmation_applications.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class JudgeNote(Base):
    """A judge's working note on an application: seen by the court only, never by parties or mediators."""

    __tablename__ = "judge_notes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("confirmation_applications.id"), index=True)
    author_id: Mapped[str] = mapped_column(String(36))
    author_name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourtCaseCounter(Base):
    """A court's last case number of a year and case type (民特: 民事特别程序).

    Taken with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (PostgreSQL and SQLite), so
    that two processes accepting applications at once never get the same number.
    """

    __tablename__ = "court_case_counters"
    court_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
