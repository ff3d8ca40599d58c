"""The evidence ledger (FORMAT.md): keys, chains, the append-only log, its checkpoints and cosignatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, utcnow


class EvidenceKey(Base):
    """Every public key a record or checkpoint may be signed with: platform and people's keys."""

    __tablename__ = "evidence_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10))
    spki: Mapped[bytes] = mapped_column(LargeBinary)
    holder_kind: Mapped[str] = mapped_column(String(10))
    holder_id: Mapped[str] = mapped_column(String(36), index=True)
    holder_role: Mapped[str | None] = mapped_column(String(20))
    # A person's key is bound for one case (through its key_bound record).
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    valid_from: Mapped[str] = mapped_column(String(32))
    valid_until: Mapped[str | None] = mapped_column(String(32))
    webauthn: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # WebAuthn signature counter, for replay detection (WebAuthn §6.1.1).
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceChain(Base):
    """Where each case's chain of records stands: the next record gets last_seq + 1."""

    __tablename__ = "evidence_chains"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_entry_hash: Mapped[str] = mapped_column(String(64))


class EvidencePending(Base):
    """Records accepted but not yet in the log. The sequencer moves them; a crash loses none."""

    __tablename__ = "evidence_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    claim_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogEntry(Base):
    """The append-only log (RFC 6962 leaves). Never updated or deleted."""

    __tablename__ = "log_entries"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    claim_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    sequenced_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogNode(Base):
    """Hashes of complete subtrees: level L, index N covers leaves [N·2^L, (N+1)·2^L)."""

    __tablename__ = "log_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LogCheckpoint(Base):
    __tablename__ = "log_checkpoints"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogCosignature(Base):
    """A witness's cosignature line (C2SP tlog-cosignature) on one checkpoint."""

    __tablename__ = "log_cosignatures"
    __table_args__ = (UniqueConstraint("size", "witness"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    witness: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceBody(Base):
    """A record's personal details, kept apart from the log (FORMAT.md, "Bodies")."""

    __tablename__ = "evidence_bodies"
    claim_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class EvidenceChallenge(Base):
    """A single-use nonce the server issued for a claim or a key registration."""

    __tablename__ = "evidence_challenges"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str | None] = mapped_column(String(36))
    # For one-time codes: the code's hash and how many wrong tries were made.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class EvidenceKeyCase(Base):
    """A further case a person's key is bound for (staff use one key across their cases).

    The binding itself is the case's `key_bound` record; this row lets the server find it.
    """

    __tablename__ = "evidence_key_cases"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
