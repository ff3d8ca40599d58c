"""The mediation record (调解笔录) of a live session: the draft written live, its closed versions, the parties' signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow


class MediationRecord(Base):
    """One session's record as it is being written: the draft (``content``), saved as the writer types.

    The draft is what the live page shows everyone and sends whoever joins; it changes until the
    writer closes it, which makes a numbered version (``TranscriptVersion``) that the parties sign.
    Writing on after a close makes the next version; a signature holds only for the version signed.
    """

    __tablename__ = "mediation_records"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("mediation_sessions.id"), unique=True)
    # {"recorder", "present": [{"name", "role"}], "statements", "facts", "proposals", "agreement"}
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)


class TranscriptVersion(Base):
    """A closed version: the composed text, its SHA-256 and the ``transcript_version`` record (``seq``)."""

    __tablename__ = "transcript_versions"
    __table_args__ = (UniqueConstraint("record_id", "number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    record_id: Mapped[str] = mapped_column(ForeignKey("mediation_records.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    closed_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    closed_by_name: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptSigner(Base):
    """A party's signature of one version (``transcript_signed``), with the disagreement they noted, if any."""

    __tablename__ = "transcript_signers"
    version_id: Mapped[str] = mapped_column(ForeignKey("transcript_versions.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    claim_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(40))
    disagreement: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptChoice(Base):
    """A party's signed choice that the session's recording stands for its written record (在线调解规则 art. 22).

    One ``signature`` record each (its intent ``recording_instead_of_record``); the recording replaces
    the written account of what was said only once every party who signs has chosen so, and the facts
    both sides accept are still written and signed (server/domain/recording_choice.py).
    """

    __tablename__ = "transcript_choices"
    session_id: Mapped[str] = mapped_column(ForeignKey("mediation_sessions.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    claim_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
