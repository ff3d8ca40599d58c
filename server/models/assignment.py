"""The mediators of a case, their conflict-of-interest disclosures, the parties' requests for another
mediator, and the directory's profiles (人民调解法 art. 19; 人民法院在线调解规则 arts. 5, 13, 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class CaseMediator(Base):
    """One mediator assigned to a case, as the lead (主持, ``Case.mediator_id``) or a co-mediator.

    A row is written with its ``mediator_assigned`` record; it ends (``ended_at``) when another
    mediator takes the place (a new lead, or a party's request for another mediator granted). The
    mediator who opened a case leads it without a row until someone assigns one.
    """

    __tablename__ = "case_mediators"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # lead | co
    # Who assigned them (a mediator of the case's organisation); None from the command line.
    assigned_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # The party who chose them from the directory, when the assignment follows a party's choice.
    chosen_by_party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_seq: Mapped[int] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column()
    # replaced (another lead assigned) | withdrawn (回避: a party's request granted)
    ended_reason: Mapped[str | None] = mapped_column(String(20))


class MediatorDisclosure(Base):
    """A mediator's signed statement on a case: no conflict, or the conflict described
    (在线调解规则 art. 13). The latest of a mediator's statements on a case is the one that holds;
    each is also a ``disclosure_signed`` record signed with the mediator's own key."""

    __tablename__ = "mediator_disclosures"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    conflict: Mapped[bool] = mapped_column(Boolean)
    # The circumstances disclosed ('' with no conflict).
    statement: Mapped[str] = mapped_column(Text, default="")
    key_id: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(Integer)


class MediatorChangeRequest(Base):
    """A party asks for another mediator (回避, 在线调解规则 art. 14) or for one from the directory.

    ``status``: pending | granted | refused. The organisation's staff decide; granted, the
    ``replacement_id`` is assigned (and the mediator asked about, ``mediator_id``, steps aside).
    """

    __tablename__ = "mediator_change_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"))
    # The assigned mediator the party asks to be replaced; None when they only ask for one.
    mediator_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # The mediator the party would like, chosen from the directory; None: let the organisation choose.
    preferred_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    replacement_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_seq: Mapped[int | None] = mapped_column(Integer)


class MediatorProfile(Base):
    """A mediator's entry in the directory parties choose from (在线调解规则 art. 5): who they are,
    the languages they mediate in, the kinds of dispute they know, and a photo (a re-encoded JPEG)."""

    __tablename__ = "mediator_profiles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    profile: Mapped[str] = mapped_column(Text, default="")
    # Codes of server/domain/assignment.py LANGUAGES and server/domain/vocabulary.py DISPUTE_TYPES.
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    specialities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
