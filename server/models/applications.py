"""Applications for mediation made online by a party (当事人申请, from the public page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class MediationApplication(Base):
    """A party's application for mediation, sent from the public page (server/domain/online_applications/).

    ``status``: unconfirmed (the applicant has not yet typed the code sent to their phone; past
    ``expires_at`` it is expired and never shown to staff) | waiting (confirmed: in the
    organisation's queue, 3 working days to answer) | accepted (its case exists, with this row's id
    as the case's id) | declined. The applicant's particulars and the other side are kept as typed,
    in the registration's fields (server/domain/registration.py ``Registrant``).
    """

    __tablename__ = "mediation_applications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Whose queue it lands in: the organisation chosen, or the centre when the centre assigns it.
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    centre_assigns: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_mediator_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON)
    respondents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    facts: Mapped[str] = mapped_column(Text)
    requests: Mapped[str] = mapped_column(Text)  # 请求事项
    # For the limits on submissions (per phone, per client address) and the code.
    phone: Mapped[str] = mapped_column(String(32), index=True)
    client_address: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(12), default="unconfirmed", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column()
    # The one-time code's hash (salted with the row's id and a nonce), its expiry and wrong tries.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_nonce: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column()
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    # The applicant's status link: only its SHA-256 is kept, as a party link's.
    status_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A second link to the same status page, texted with staff's answer (the first is kept only as
    # its hash, so it cannot be sent again; the applicant's own copy keeps working).
    notice_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decline_routes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    case_id: Mapped[str | None] = mapped_column(String(36))


class ApplicationFile(Base):
    """A file the applicant attached (a photo, a PDF), under the case file's rules (server/domain/documents.py).

    Attached once the phone is confirmed, while the application waits; when the application is accepted
    each becomes a document of the case's file (a ``document_added`` record, uploaded by the applicant).
    """

    __tablename__ = "mediation_application_files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("mediation_applications.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
