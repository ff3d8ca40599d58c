"""Organisations, staff accounts, logins and the browser sessions behind cookies."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import orgtree
from server.domain.court_numbers import check_court_code
from server.domain.login_throttle import LoginThrottles
from server.domain.principal import SYSTEM, CaseParty, PartyPrincipal, Principal, Staff, require_admin, require_staff
from server.domain.vocabulary import ORGANISATION_KINDS, STAFF_ROLES
from server.errors import Conflict, FieldError, InvalidCredentials, InvalidInput, NotFound
from server.models import (
    DEFAULT_CASE_FILE_RETENTION_YEARS,
    DEFAULT_RETENTION_DAYS,
    AuthSession,
    AvailabilityRule,
    Case,
    MediationSession,
    Organisation,
    Party,
    PartyLink,
    User,
    utcnow,
)
from server.settings import Settings

log = logging.getLogger(__name__)
#: The longest a case file's retention may be set to, in years (0 keeps it for good, 永久).
MAX_CASE_FILE_YEARS = 100


async def _court_code_free(db: AsyncSession, code: str | None, other_than: str | None) -> None:
    """Two courts with one code would give the same case numbers."""
    if not code:
        return
    query = select(Organisation.name).where(Organisation.court_code == code)
    if other_than is not None:
        query = query.where(Organisation.id != other_than)
    taken = await db.scalar(query)
    if taken is not None:
        raise Conflict(f"the court code {code} is {taken}'s already", reason="court_code_taken")


# Monday to Friday, 08:30 to 17:30: a committee's office hours, so that a new mediator can be
# booked at once; they change it on their availability page.
DEFAULT_WEEKLY = tuple((day, 8 * 60 + 30, 17 * 60 + 30) for day in range(5))
MIN_PASSWORD_LENGTH = 10


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough: nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_timezone(name: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", [FieldError(field, "not an IANA time zone name", "timezone")]) from None
    return name


@dataclass(frozen=True)
class Login:
    token: str
    csrf_token: str
    user: User


@dataclass(frozen=True)
class BrowserSession:
    principal: Principal
    csrf_token: str


class Accounts:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._maker = maker
        self._settings = settings
        # Argon2id at the cost settings.password_hash names (RFC 9106's second recommendation in
        # production); hashing runs in a thread so that a login never stalls the event loop that
        # carries live media. A stored hash of another cost still verifies, and is rehashed at
        # this cost on the next right password (check_needs_rehash below).
        self._hasher = PasswordHasher.from_parameters(settings.password_hash)
        self._dummy_hash: str | None = None
        self._throttles = LoginThrottles(settings)
        #: The login throttle's clock (tests advance it rather than wait for minutes).
        self.clock: Callable[[], datetime] = utcnow

    # -- organisations and users ---------------------------------------------------------

    async def create_organisation(
        self,
        principal: Principal | None,
        name: str,
        kind: str,
        timezone: str | None = None,
        *,
        recording_retention_days: int | None = None,
        case_file_retention_years: int | None = None,
        region: str | None = None,
        court_code: str | None = None,
        parent_id: str | None = None,
    ) -> Organisation:
        """A new organisation, below ``parent_id`` in the tree when given (server/domain/orgtree.py)."""
        require_admin(principal)
        if kind not in ORGANISATION_KINDS:
            raise InvalidInput(
                "unknown organisation kind", [FieldError("kind", "not one of " + ", ".join(ORGANISATION_KINDS), "choice")]
            )
        court_code = check_court_code(court_code)
        if court_code and kind != "court":
            raise InvalidInput(
                "only a court has a court code", [FieldError("court_code", "for courts only", "court_code_court_only")]
            )
        retention = DEFAULT_RETENTION_DAYS if recording_retention_days is None else recording_retention_days
        if not 1 <= retention <= 36_500:
            raise InvalidInput(
                "retention out of range",
                [FieldError("recording_retention_days", "1 to 36500 days", "range", {"min": 1, "max": 36_500})],
            )
        years = DEFAULT_CASE_FILE_RETENTION_YEARS if case_file_retention_years is None else case_file_retention_years
        if not 0 <= years <= MAX_CASE_FILE_YEARS:
            raise InvalidInput(
                "case file retention out of range",
                [FieldError("case_file_retention_years", f"0 (for good) to {MAX_CASE_FILE_YEARS} years", "range",
                            {"min": 0, "max": MAX_CASE_FILE_YEARS})],
            )  # fmt: skip
        tz = check_timezone(timezone or self._settings.default_timezone)
        async with self._maker() as db, db.begin():
            if await db.scalar(select(Organisation.id).where(Organisation.name == name)):
                raise Conflict(f"an organisation named {name!r} exists already", reason="organisation_name_taken", name=name)
            await _court_code_free(db, court_code, None)
            if parent_id and await db.get(Organisation, parent_id) is None:
                raise InvalidInput("no such parent organisation", [FieldError("parent_id", "not found", "not_found")])
            org = Organisation(
                name=name, kind=kind, timezone=tz, recording_retention_days=retention, case_file_retention_years=years,
                region=region or None, court_code=court_code, parent_id=parent_id or None,
            )  # fmt: skip
            db.add(org)
        return org

    async def update_organisation(
        self, principal: Principal | None, organisation_id: str, changes: dict[str, str | None]
    ) -> Organisation:
        """Set an organisation's region, parent or (for a court) its court code; "" or None clears one.

        A court's code appears in every case number it gives from then on; numbers already given
        keep the code they were given with. A parent below the organisation itself would make the
        tree a loop, and is refused (its supervisors would see their own superiors' cases).
        """
        require_admin(principal)
        async with self._maker() as db, db.begin():
            if "parent_id" in changes:
                # Every organisation locked, in one statement: two moves at once (A under B, B under A)
                # cannot make a loop together.
                await db.execute(select(Organisation.id).order_by(Organisation.id).with_for_update())
            org = await db.get(Organisation, organisation_id, with_for_update=True)
            if org is None:
                raise NotFound("no such organisation")
            if "court_code" in changes:
                code = check_court_code(changes["court_code"])
                if code and org.kind != "court":
                    raise InvalidInput(
                        "only a court has a court code", [FieldError("court_code", "for courts only", "court_code_court_only")]
                    )
                await _court_code_free(db, code, org.id)
                org.court_code = code
            if "region" in changes:
                org.region = (changes["region"] or "").strip() or None
            if "parent_id" in changes:
                await self._check_parent(db, org, changes["parent_id"] or None)
                org.parent_id = changes["parent_id"] or None
            return org

    @staticmethod
    async def _check_parent(db: AsyncSession, org: Organisation, parent_id: str | None) -> None:
        if parent_id is None:
            return
        parent = await db.get(Organisation, parent_id)
        if parent is None:
            raise InvalidInput("no such parent organisation", [FieldError("parent_id", "not found", "not_found")])
        if parent.id == org.id or parent.id in orgtree.subtree(await orgtree.parents(db), org.id):
            raise InvalidInput(
                f"{parent.name} is {org.name} itself or below it: the tree would become a loop",
                [FieldError("parent_id", "the organisation itself or one below it", "parent_cycle", {"name": parent.name})],
            )

    async def list_organisations(self, principal: Principal | None) -> list[Organisation]:
        require_admin(principal)
        async with self._maker() as db:
            return list(await db.scalars(select(Organisation).order_by(Organisation.name)))

    async def create_user(
        self,
        principal: Principal | None,
        *,
        username: str,
        display_name: str,
        password: str,
        role: str,
        organisation_id: str | None,
        timezone: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> User:
        require_admin(principal)
        if role not in STAFF_ROLES:
            raise InvalidInput("unknown role", [FieldError("role", "not one of " + ", ".join(STAFF_ROLES), "choice")])
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(
                "password too short",
                [FieldError("password", f"at least {MIN_PASSWORD_LENGTH} characters", "too_short", {"min": MIN_PASSWORD_LENGTH})],
            )
        if role != "admin" and not organisation_id:
            raise InvalidInput(
                "mediators, judges and supervisors belong to an organisation",
                [FieldError("organisation_id", "required for this role", "organisation_required")],
            )
        async with self._maker() as db, db.begin():
            org = None
            if organisation_id:
                org = await db.get(Organisation, organisation_id)
                if org is None:
                    raise InvalidInput("no such organisation", [FieldError("organisation_id", "not found", "not_found")])
                if role == "judge" and org.kind != "court":
                    raise InvalidInput("judges belong to a court", [FieldError("organisation_id", "not a court", "judge_court")])
            tz = check_timezone(timezone or (org.timezone if org else self._settings.default_timezone))
            if await db.scalar(select(User.id).where(User.username == username)):
                raise Conflict(f"the username {username!r} is taken", reason="username_taken", username=username)
            user = User(
                organisation_id=organisation_id,
                username=username,
                display_name=display_name,
                role=role,
                password_hash=await asyncio.to_thread(self._hasher.hash, password),
                timezone=tz,
                email=email,
                phone=phone,
                availability_timezone=tz,
            )
            db.add(user)
            await db.flush()
            if role == "mediator":
                db.add_all(
                    AvailabilityRule(user_id=user.id, weekday=d, start_minute=s, end_minute=e) for d, s, e in DEFAULT_WEEKLY
                )
        return user

    async def list_users(self, principal: Principal | None) -> list[User]:
        require_admin(principal)
        async with self._maker() as db:
            return list(await db.scalars(select(User).order_by(User.username)))

    async def set_active(self, principal: Principal | None, user_id: str, active: bool) -> User:
        """Disable (or enable again) a staff account. Disabling ends every login of the account: enabled
        again, it needs a new login, not one from before (OWASP Session Management Cheat Sheet)."""
        admin = require_admin(principal)
        if isinstance(admin, Staff) and admin.user_id == user_id and not active:
            raise Conflict("administrators cannot disable their own account", reason="own_account")
        async with self._maker() as db, db.begin():
            user = await db.get(User, user_id)
            if user is None:
                raise NotFound("no such account", reason="no_such_user")
            user.is_active = active
            if not active:
                await db.execute(
                    update(AuthSession)
                    .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                )
        log.info("staff account %s", "enabled" if active else "disabled", extra={"user_id": user_id})
        return user

    async def list_mediators(self, principal: Principal | None) -> list[User]:
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            return list(
                await db.scalars(
                    select(User)
                    .where(User.organisation_id == staff.organisation_id, User.role == "mediator", User.is_active)
                    .order_by(User.display_name)
                )
            )

    async def organisation_of(self, user: User) -> Organisation | None:
        if user.organisation_id is None:
            return None
        async with self._maker() as db:
            return await db.get(Organisation, user.organisation_id)

    async def get_user(self, user_id: str) -> User:
        async with self._maker() as db:
            user = await db.get(User, user_id)
        if user is None:
            raise NotFound("no such user", reason="no_such_user")
        return user

    async def ensure_first_admin(self) -> str | None:
        """On a fresh install, create `admin` with a random password and return the password.

        Returns None when any account exists: the password is shown only once.
        """
        async with self._maker() as db:
            if await db.scalar(select(func.count()).select_from(User)):
                return None
        password = secrets.token_urlsafe(12)
        await self.create_user(
            SYSTEM,
            username="admin",
            display_name="Administrator",
            password=password,
            role="admin",
            organisation_id=None,
        )
        return password

    # -- logging in ------------------------------------------------------------------------

    async def login(self, username: str, password: str, address: str) -> Login:
        """Check a password, counted against ``address`` (the client's, server/http/peer.py).

        The attempt is reserved before the password is checked and refused unchecked when the
        throttle says not yet (server/domain/login_throttle.py), so guesses sent at once are
        counted like guesses sent one by one.
        """
        async with self._maker() as db, db.begin():
            await self._throttles.reserve(db, username, address, self.clock())
            user = await db.scalar(select(User).where(User.username == username))
        # Verify against a dummy hash for unknown users so timing does not reveal accounts.
        stored = user.password_hash if user is not None else await self._dummy()
        valid = await asyncio.to_thread(self._verify, stored, password)
        if user is None or not user.is_active or not valid:
            # Already counted by the reservation.
            raise InvalidCredentials("wrong username or password", reason="wrong_password")
        now = utcnow()
        async with self._maker() as db, db.begin():
            await self._throttles.succeeded(db, username, address, self.clock())
            user = await db.get(User, user.id)
            if user is None:
                raise InvalidCredentials("wrong username or password", reason="wrong_password")
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = await asyncio.to_thread(self._hasher.hash, password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            db.add(
                AuthSession(
                    token_hash=token_hash(token),
                    kind="staff",
                    user_id=user.id,
                    csrf_token=csrf,
                    expires_at=now + timedelta(hours=self._settings.staff_session_hours),
                )
            )
        log.info("staff login", extra={"user_id": user.id})
        return Login(token=token, csrf_token=csrf, user=user)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_hex(16))
        return self._dummy_hash

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def logout(self, token: str) -> None:
        async with self._maker() as db, db.begin():
            row = await db.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()

    async def resolve(self, token: str) -> BrowserSession | None:
        """The principal behind a cookie, or None if it is unknown, expired or revoked.

        A party's session also ends when their link is revoked or the session cancelled.
        """
        now = utcnow()
        async with self._maker() as db:
            # A staff member's user in the same statement: every staff request starts here.
            found_session = (
                await db.execute(
                    select(AuthSession, User)
                    .outerjoin(User, User.id == AuthSession.user_id)
                    .where(AuthSession.token_hash == token_hash(token))
                )
            ).first()
            if found_session is None:
                return None
            row, user = found_session
            if row.revoked_at is not None or row.expires_at <= now:
                return None
            if row.kind == "staff" and row.user_id:
                if user is None or not user.is_active:
                    return None
                staff = Staff(user.id, user.organisation_id, user.role, user.display_name, user.timezone)
                return BrowserSession(staff, row.csrf_token)
            if row.kind == "party" and row.party_id and row.link_id and row.case_id and row.session_id:
                found = (
                    await db.execute(
                        select(Party.name, Case.archived_at)
                        .join(Case, Case.id == Party.case_id)
                        .join(PartyLink, PartyLink.id == row.link_id)
                        .join(MediationSession, MediationSession.id == row.session_id)
                        .where(
                            Party.id == row.party_id,
                            PartyLink.revoked_at.is_(None),
                            PartyLink.expires_at > now,
                            MediationSession.status != "cancelled",
                        )
                    )
                ).first()
                if found is None:
                    return None
                party = PartyPrincipal(row.party_id, row.case_id, row.session_id, found.name, found.archived_at is not None)
                return BrowserSession(party, row.csrf_token)
            if row.kind == "party" and row.party_id and row.link_id and row.case_id and row.session_id is None:
                # A link with no session (a question before any is booked): the link alone decides.
                found = (
                    await db.execute(
                        select(Party.name, Case.archived_at)
                        .join(Case, Case.id == Party.case_id)
                        .join(PartyLink, PartyLink.id == row.link_id)
                        .where(
                            Party.id == row.party_id,
                            PartyLink.party_id == row.party_id,
                            PartyLink.session_id.is_(None),
                            PartyLink.revoked_at.is_(None),
                            PartyLink.expires_at > now,
                        )
                    )
                ).first()
                if found is None:
                    return None
                return BrowserSession(
                    CaseParty(row.party_id, row.case_id, found.name, found.archived_at is not None), row.csrf_token
                )
        return None


def minutes_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minutes(text: str, field: str) -> int:
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
        if not (0 <= int(minutes) < 60 and 0 <= value <= 24 * 60):
            raise ValueError
        return value
    except ValueError:
        raise InvalidInput(
            "bad time of day", [FieldError(field, "expected HH:MM between 00:00 and 24:00", "time_of_day")]
        ) from None
