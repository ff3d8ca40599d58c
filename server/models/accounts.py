"""Organisations, staff accounts and their availability, and browser logins."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, new_id, utcnow

#: Three years: long enough for a judicial-confirmation application and any dispute over it.
DEFAULT_RETENTION_DAYS = 1095
#: Years a case file (卷宗) is kept after it is archived (server/domain/archive.py): the longer of the
#: national rule's fixed periods (国家档案局令第8号 art. 6: 永久, or 定期 30 or 10 years), since the
#: People's Mediation Law (art. 27) sets none and the longest period for a civil claim is twenty years
#: (民法典 art. 188). 0 is 永久: kept for good.
DEFAULT_CASE_FILE_RETENTION_YEARS = 30


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # committee | centre | bureau | court (server/domain/vocabulary.py)
    kind: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Days a recording is kept after it ends; then it is deleted (logged, hashes kept), unless
    # its case has applied for judicial confirmation.
    recording_retention_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_DAYS)
    # Years an archived case's file is kept; then its documents' bytes are destroyed (logged, hashes
    # kept), unless the case went to a court for confirmation. 0: kept for good (永久).
    case_file_retention_years: Mapped[int] = mapped_column(Integer, default=DEFAULT_CASE_FILE_RETENTION_YEARS)
    # Where it is (行政区划, e.g. "北京市朝阳区"): for a court, the area it serves. Judicial
    # confirmation goes to a court of the place of the committee, a party's residence or the property.
    region: Mapped[str | None] = mapped_column(String(100))
    # A court's own code in its case numbers (法院代字, e.g. "蒙0105"): the SPC's rules on case
    # numbers (法〔2015〕137号) make a number of year, court code, case type and sequence.
    court_code: Mapped[str | None] = mapped_column(String(16))
    # The organisation above it (village committee → town → county centre → city bureau): a
    # supervisor of an organisation sees the cases of every organisation below it
    # (server/domain/orgtree.py). None for the top of a tree.
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)


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


class LoginThrottle(Base):
    """Failed logins counted per account, per client address, and per account from one address
    (server/domain/login_throttle.py). One row per key, so that counting is one row update that
    PostgreSQL and SQLite serialise, whichever process answers."""

    __tablename__ = "login_throttles"
    # "account:<username>", "address:<address>" or "pair:<address> <username>".
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    # No attempt for this key is checked before this time.
    next_at: Mapped[datetime] = mapped_column()
    # Quiet until this time (the delay and then the window): the count starts over.
    forget_at: Mapped[datetime] = mapped_column(index=True)
