"""Database tables.

Ids are random UUIDs (text) so that they can appear in evidence records and links without
revealing how many cases an organisation has. Times are stored as UTC; `UTCDateTime` makes
SQLite (which has no time zone type) behave like PostgreSQL's `timestamptz` for us.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Three years: long enough for a judicial-confirmation application and any dispute over it.
DEFAULT_RETENTION_DAYS = 1095


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # committee | centre | court
    kind: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Days a recording is kept after it ends; then it is deleted (logged, hashes kept), unless
    # its case has applied for judicial confirmation.
    recording_retention_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_DAYS)
    # Where it is (行政区划, e.g. "北京市朝阳区"): for a court, the area it serves. Judicial
    # confirmation goes to a court of the place of the committee, a party's residence or the property.
    region: Mapped[str | None] = mapped_column(String(100))


class User(Base):
    """A staff account: mediator, judge or admin. Parties never have accounts."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Platform administrators belong to no organisation; mediators and judges to exactly one.
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # mediator | judge | admin
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The zone in which the weekly availability below is written.
    availability_timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AvailabilityRule(Base):
    """A weekly window, in the user's availability time zone, when sessions may be booked."""

    __tablename__ = "availability_rules"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class AvailabilityException(Base):
    """A day that differs from the weekly pattern: leave (available=False) or extra hours."""

    __tablename__ = "availability_exceptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    # None means the whole day.
    start_minute: Mapped[int | None] = mapped_column(Integer)
    end_minute: Mapped[int | None] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200), default="")


class AuthSession(Base):
    """A browser's login: a staff member's, or a party's opened from their link.

    Only a hash of the cookie value is stored.
    """

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # staff | party
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("mediation_sessions.id"))
    link_id: Mapped[str | None] = mapped_column(ForeignKey("party_links.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class LoginFailure(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("organisation_id", "case_number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(64))
    dispute_type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    # In fen (1/100 yuan), so that money is never a float.
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    # open | settled (an agreement took effect) | failed (mediation ended without one)
    status: Mapped[str] = mapped_column(String(20), default="open")
    mediator_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why mediation ended without agreement (People's Mediation Law art. 26), and when.
    outcome_reason: Mapped[str | None] = mapped_column(String(40))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column()
    # Where the property in dispute is, and the court that invited the mediation (委派调解), if any.
    property_region: Mapped[str | None] = mapped_column(String(100))
    invited_by_court_id: Mapped[str | None] = mapped_column(String(36))


class Party(Base):
    __tablename__ = "parties"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # applicant | respondent | agent | interpreter
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    id_number: Mapped[str | None] = mapped_column(String(32))
    # For an agent or interpreter: whom they act for.
    represents_party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    language: Mapped[str] = mapped_column(String(10), default="zh")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the party lives (行政区划), one of the places a court may be chosen by.
    residence_region: Mapped[str | None] = mapped_column(String(100))


class MediationSession(Base):
    """A booked video meeting of a case. Called `Session` in the domain."""

    __tablename__ = "mediation_sessions"
    __table_args__ = (Index("ix_sessions_mediator_time", "mediator_id", "starts_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    mediator_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    # The zone the session was booked in; shown in invitations.
    timezone: Mapped[str] = mapped_column(String(64))
    # scheduled | cancelled (live states come with the live-session issue)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    # iCalendar UID and SEQUENCE (RFC 5545 §3.8.4.7, §3.8.7.4): a reschedule keeps the UID
    # and raises SEQUENCE so calendars update the event instead of adding a second one.
    ical_uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartyLink(Base):
    """A party's personal link to one session. Only the token's SHA-256 is stored."""

    __tablename__ = "party_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(String(200))


class CaseEvent(Base):
    """The case history: every change to a case, its parties, sessions and links."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))  # staff | party | system
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChatLine(Base):
    """One chat message of a live session, with exactly who it was delivered to.

    Kept with the session's record: a later view shows each person what they were sent, never
    more (a caucus's messages were delivered to its occupants only).
    """

    __tablename__ = "chat_messages"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    sender_id: Mapped[str] = mapped_column(String(36))
    sender_name: Mapped[str] = mapped_column(String(100))
    room: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column()
    recipients: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxMessage(Base):
    """A notification to a party or staff member, kept whether or not a sender delivered it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("mediation_sessions.id"))
    party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    # invitation | reschedule | cancellation | reminder_24h | reminder_15m | link_reissued
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # pending | sending (claimed by a dispatcher) | sent | recorded | failed
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    # Stops the reminder scheduler from queueing the same reminder twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)


# -- the evidence ledger (FORMAT.md) --------------------------------------------------------


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


class Recording(Base):
    """One recording of a session's joint room, from the mediator's start to its stop.

    ``status``: recording | stopped | interrupted (the server stopped while it ran) | failed
    (a write error stopped it) | deleted (after retention; its hashes stay). A recording
    resumed in the same session continues the previous one's chain (``previous_id``).
    """

    __tablename__ = "recordings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="recording")
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(36))
    master_key_id: Mapped[str] = mapped_column(String(16))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    previous_id: Mapped[str | None] = mapped_column(String(32))
    # The chain: the head before this recording's first segment, and after its last one.
    base_index: Mapped[int] = mapped_column(Integer, default=0)
    base_head: Mapped[str] = mapped_column(String(64))
    last_index: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64))
    # The last segment covered by a segment_manifest record.
    manifested_index: Mapped[int] = mapped_column(Integer, default=0)


class RecordingSegment(Base):
    """One finished, hashed, chained and sealed segment of one participant's audio and video."""

    __tablename__ = "recording_segments"
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    head: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[str] = mapped_column(String(27))
    end: Mapped[str] = mapped_column(String(27))
    tracks: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RecordingFile(Base):
    """A file derived from a recording's segments, for watching: one participant's segments remuxed.

    The packets are copied, never re-encoded; ``start_ms`` is where the file's time zero sits on
    the recording's timeline (its first packet), ``segments`` the indices it was made from, and
    ``sha256``/``bytes`` describe the plaintext, sealed at rest under the recording's data key.
    """

    __tablename__ = "recording_files"
    __table_args__ = (UniqueConstraint("recording_id", "participant_id", "kind"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"))
    participant_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20), default="remux")
    name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    segments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- the agreement and the case file --------------------------------------------------------------


class CaseDocument(Base):
    """A file of the case: an upload, an agreement PDF, a sealed agreement or a drawn signature.

    Kept in the database with its hash (logged in a ``document_added`` record); never changed
    or deleted. ``visible_to`` lists the parties who may see an upload (None: everyone in the case).
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
    method: Mapped[str] = mapped_column(String(20))  # device_key | passkey
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


# -- judicial confirmation -------------------------------------------------------------------------


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
