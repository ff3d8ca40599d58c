"""Cases, their parties, sessions and links, the case history and the live chat."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import false

from server.models.base import Base, new_id, utcnow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("organisation_id", "case_number"),
        # The ledger's pages in registration order, newest first, by keyset, over a whole tree (0032),
        # and an organisation's cases of a period (the statistics, a committee's ledger).
        Index("ix_cases_registered_on_id", "registered_on", "id"),
        Index("ix_cases_organisation_registered", "organisation_id", "registered_on", "id"),
    )
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
    # The registration (受理登记, the Ministry of Justice's 人民调解受理登记表): where the case came from
    # (server.domain.vocabulary.CASE_SOURCES), the other body's number for it (a 12345 work order, a
    # court's or the police's reference), the day it was registered (受理日期, on the registering staff
    # member's calendar: a paper application may be entered a few days later), and whether it is a collective
    # dispute (群体性纠纷: many applicants in one case, counted apart in the Ministry's statistics).
    source: Mapped[str] = mapped_column(String(32), default="party_application")
    source_reference: Mapped[str | None] = mapped_column(String(64))
    registered_on: Mapped[date] = mapped_column(Date)
    collective: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The last day of the mediation period once every party agreed to extend it (在线调解规则 art. 24,
    # 特邀调解规定 art. 27: "各方当事人同意延长的，不受此限"); None: the 30 days (server/domain/clocks.py).
    mediation_extended_to: Mapped[date | None] = mapped_column(Date)
    # The case closed (结案, server/domain/closing.py): when, by which mediator, its ``case_closed``
    # record, the reason (closing.REASONS) and its text. Not ``closed_at``: that is when mediation ended.
    case_closed_at: Mapped[datetime | None] = mapped_column()
    case_closed_by: Mapped[str | None] = mapped_column(String(36))
    case_closed_seq: Mapped[int | None] = mapped_column(Integer)
    closing_reason: Mapped[str | None] = mapped_column(String(40))
    closing_note: Mapped[str | None] = mapped_column(Text)
    # Archived (归档, server/domain/archive.py): when, by whom, its ``case_archived`` record; from then on
    # the case is read-only. The retention that applied (years, 0 for good) and the last day it runs
    # to (None: kept for good); once past, the file's documents are destroyed (``case_file_destroyed``).
    archived_at: Mapped[datetime | None] = mapped_column()
    archived_by: Mapped[str | None] = mapped_column(String(36))
    archived_seq: Mapped[int | None] = mapped_column(Integer)
    retention_years: Mapped[int | None] = mapped_column(Integer)
    retained_until: Mapped[date | None] = mapped_column(Date)
    case_file_destroyed_at: Mapped[datetime | None] = mapped_column()
    case_file_destroyed_seq: Mapped[int | None] = mapped_column(Integer)


class Party(Base):
    __tablename__ = "parties"
    # The people's deputies invited in a quarter (statistics/deputies.py, 0032): a few rows among many.
    __table_args__ = (Index("ix_parties_invited_as_created_at", "invited_as", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # applicant | respondent | agent | interpreter | invited
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
    # For an invited person (role "invited"): in what capacity (vocabulary.INVITED_AS: a people's
    # deputy, a lawyer, an expert, a relative…), shown to everyone in the room.
    invited_as: Mapped[str | None] = mapped_column(String(20))
    # The party's particulars (当事人的基本情况, People's Mediation Law art. 29; what a court's
    # ruling names for service): None is "not recorded", never guessed.
    sex: Mapped[str | None] = mapped_column(String(10))  # male | female
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))  # 民族, e.g. 汉族
    occupation: Mapped[str | None] = mapped_column(String(100))  # 职业或工作单位
    address: Mapped[str | None] = mapped_column(String(200))  # 住址 (the address for service)
    # 年龄 as told at the window when the date of birth is not known (the registration form asks for age).
    age: Mapped[int | None] = mapped_column(Integer)
    # An agent's authority (代理权限, e.g. "特别授权：代为签署调解协议、申请司法确认").
    authority: Mapped[str | None] = mapped_column(String(200))


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
    """A party's personal link to one session. Only the token's SHA-256 is stored.

    A link without a session (``session_id`` None) asks a party something before any session is
    booked: whether they agree to mediation (server/domain/willingness.py).

    A session's link also has a PIN, typed on a phone's keypad to join by phone (#25): only its
    HMAC under a server-side key is stored (server/domain/phone_pins.py), None once the link's PIN
    is given up (the link re-issued or withdrawn, or expired and its PIN drawn again).
    """

    __tablename__ = "party_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("mediation_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
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
