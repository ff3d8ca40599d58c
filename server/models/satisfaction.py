"""Parties' satisfaction ratings of a mediation and their complaints to the supervising organisation.

Each row is also a record of the case's evidence log (``satisfaction_rated``, ``complaint_filed``,
``complaint_answered``); the rows are what the pages read (server/domain/satisfaction.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class SatisfactionRating(Base):
    """One party's rating of one occasion: a session that has ended (``occasion`` "session",
    ``occasion_ref`` its id) or, later, the closing of the case ("closing", the case's id).
    One per party and occasion: a second is refused (the unique constraint holds it under a race)."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (UniqueConstraint("party_id", "occasion", "occasion_ref"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    # The mediator rated: the session's mediator (or the case's, at closing).
    mediator_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    occasion: Mapped[str] = mapped_column(String(20))
    occasion_ref: Mapped[str] = mapped_column(String(36))
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(Integer)


class Complaint(Base):
    """A party's complaint about the mediator or the mediation, addressed to the organisation that
    supervises the case's (its parent, or its own when it has none), and that organisation's answer.
    The words are kept here, not in the evidence log's bodies, which the case's mediators may export:
    the records carry their SHA-256 (see server/domain/satisfaction.py)."""

    __tablename__ = "complaints"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    # The organisation it is addressed to (its supervisors read and answer it).
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # mediator | mediation
    about: Mapped[str] = mapped_column(String(20))
    # The mediator of the case when filed (never shown it).
    mediator_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    answered_by_name: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column()
    answer_seq: Mapped[int | None] = mapped_column(Integer)
