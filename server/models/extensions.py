"""Extending a case's mediation period by agreement of every party (在线调解规则 art. 24; 特邀调解规定 art. 27)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class DeadlineExtension(Base):
    """The mediator's proposal of a new last day, and what became of it.

    ``status``: proposed (awaiting the parties' signatures) | extended (every party signed; the
    ``deadline_extended`` record is ``seq`` and the case's ``mediation_extended_to`` is ``to_date``) |
    declined (a party said no: the clock is unchanged) | withdrawn (the mediator took it back first).
    """

    __tablename__ = "deadline_extensions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # The last day when it was proposed, and the new one (Beijing time, as the clocks count).
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it took effect, was declined or withdrawn; the party who declined and why.
    decided_at: Mapped[datetime | None] = mapped_column()
    declined_by: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # The case's `deadline_extended` record, once every party signed.
    seq: Mapped[int | None] = mapped_column(Integer)


class ExtensionSigner(Base):
    """A party's signed agreement to an extension: their ``signature`` record (intent ``agree_extension``)."""

    __tablename__ = "deadline_extension_signers"
    extension_id: Mapped[str] = mapped_column(ForeignKey("deadline_extensions.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    claim_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
