"""Notifications to parties and staff (server/domain/notifications.py), kept whether sent or not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, utcnow


class OutboxMessage(Base):
    """A notification to a party or staff member, kept whether or not a sender delivered it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_kind_party_created", "kind", "party_id", "created_at"),
        Index("ix_outbox_kind_recipient_created", "kind", "recipient", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("mediation_sessions.id"))
    party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    # One of server/domain/notices.py's kinds: otp, invitation, reminder_24h, agreement_to_sign, ...
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # pending | sending (claimed by a dispatcher) | sent (taken by the provider or mail server) |
    # delivered (receipt from the handset) | recorded (no sender: staff pass it on) | failed
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    # Stops the reminder scheduler from queueing the same reminder twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # What a provider's template is filled with (server/domain/notices.py): a text message is a
    # template code and these parameters, not the body, which is composed for e-mail and for staff.
    template_params: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Who took it: aliyun | tencent | spool | smtp; and the provider's id for it (BizId, SerialNo).
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # Why it failed, as the provider said (error or receipt code) and in plain Chinese for people.
    error_code: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    # The handset's delivery receipt (status "delivered").
    delivered_at: Mapped[datetime | None] = mapped_column()
