"""Work orders from a hotline (12345 派单) and the keys a hotline's system sends them with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class HotlineKey(Base):
    """A key an organisation's administrator issues to a hotline's system (e.g. the city's 12345).

    Only a hash of the key is kept (like a password): the key is shown once when issued. Orders sent
    with it become cases of ``organisation_id``, received in the name of ``receiver_id`` (the clerk
    who takes the hotline's orders, who may then refer the case or assign its mediators).
    """

    __tablename__ = "hotline_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # What the hotline is called on the pages and in the records ("12345 政务服务便民热线").
    label: Mapped[str] = mapped_column(String(100))
    receiver_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # The key's first characters, to find it (and to tell keys apart on the page), and its SHA-256.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))  # None: the command line
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class WorkOrder(Base):
    """One order as the hotline sent it, and the case it became or joined.

    An order number is the hotline's own (工单编号): unique per organisation. ``joined`` is true
    when the order repeats a dispute already registered (重复工单) and was added to its case.
    ``content_hash`` tells a resend of the same order (answered as before) from a different order
    under a number already used (refused).
    """

    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("organisation_id", "order_number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("hotline_keys.id"))
    order_number: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    joined: Mapped[bool] = mapped_column(default=False)
    caller_phone: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)  # the caller's account as the hotline wrote it (诉求内容)
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
