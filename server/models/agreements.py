"""The agreement and the case file: documents, agreement versions, comments, signatures, deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class CaseDocument(Base):
    """A file of the case: an upload, an agreement PDF, a sealed agreement or a drawn signature.

    Kept in the database with its hash (logged in a ``document_added`` record); never changed
    or deleted. ``visible_to`` lists the parties who may see an upload (None: everyone in the case).
    One change only is let through, by the database too: at the end of an archived case's retention
    its bytes are destroyed (``data`` emptied, ``destroyed_at`` and the ``case_file_destroyed`` record's
    ``destroyed_seq`` set), the row and its hash staying (server/domain/archive.py).
    """

    __tablename__ = "case_documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # upload | agreement | signed_agreement | handwriting
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_kind: Mapped[str] = mapped_column(String(10))
    uploaded_by_id: Mapped[str | None] = mapped_column(String(36))
    uploaded_by_name: Mapped[str] = mapped_column(String(100))
    visible_to: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[datetime | None] = mapped_column()
    destroyed_seq: Mapped[int | None] = mapped_column(Integer)


class Agreement(Base):
    """A case's mediation agreement (人民调解协议书): drafted in versions, made final, signed, sealed.

    ``status``: drafting | final (being signed) | effective (every signature given and sealed).
    """

    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), unique=True)
    session_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="drafting")
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    final_version: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime | None] = mapped_column()
    pdf_document_id: Mapped[str | None] = mapped_column(String(36))
    signed_document_id: Mapped[str | None] = mapped_column(String(36))
    verify_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    sealed_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementVersion(Base):
    """One saved version: its content, the exact text composed from it, and that text's hash."""

    __tablename__ = "agreement_versions"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(String(36))
    author_name: Mapped[str] = mapped_column(String(100))
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementComment(Base):
    """A party's comment on a clause of a version, with wording they propose."""

    __tablename__ = "agreement_comments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    clause: Mapped[str] = mapped_column(String(20))
    author_kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[str] = mapped_column(String(36))
    author_name: Mapped[str] = mapped_column(String(100))
    author_role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    proposal: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementSignature(Base):
    """A signature given to the final version; the record itself is in the log (``seq``)."""

    __tablename__ = "agreement_signatures"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    signer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    signer_kind: Mapped[str] = mapped_column(String(10))  # party | staff
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))  # passkey | device_key | sms_otp+device_key | email_otp+device_key
    key_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    claim_hash: Mapped[str] = mapped_column(String(64))
    handwriting_document_id: Mapped[str | None] = mapped_column(String(36))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementDelivery(Base):
    """The sealed agreement delivered to a party through the platform, and their receipt."""

    __tablename__ = "agreement_deliveries"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(36))
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_seq: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column()
    received_seq: Mapped[int | None] = mapped_column(Integer)
