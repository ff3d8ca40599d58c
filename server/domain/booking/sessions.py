"""A session's life: booked without double-booking its mediator, rescheduled, cancelled, ended.

Times are UTC inside. A mediator is never double-booked: the conflict check and the insert
happen under a lock on the mediator's row (PostgreSQL) and a per-mediator asyncio lock (the
embedded SQLite deployment is a single process). A session may be booked only inside its
mediator's availability (``availability``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, later, links, notifications, phone_pins
from server.domain.access import assigned_mediators, case_for_staff
from server.domain.accounts import check_timezone
from server.domain.booking.availability import Availabilities, within_availability
from server.domain.group_commit import GroupCommit
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party, require_staff
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.models import Case, CaseEvent, MediationSession, Organisation, Party, PartyLink, User, utcnow
from server.settings import Settings

MIN_DURATION, MAX_DURATION = 15, 8 * 60
MAX_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class SessionView:
    session: MediationSession
    case: Case
    mediator: User
    parties: list[Party]
    links: list[PartyLink]


@dataclass(frozen=True)
class Booked:
    view: SessionView
    issued: list[links.IssuedLink]


def parse_start(value: datetime, zone_name: str) -> datetime:
    """An aware time is taken as given; a naive one is wall time in the booking's zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo(zone_name))
    return value


class Booking:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings, group: GroupCommit) -> None:
        self._maker = maker
        self._settings = settings
        self._group = group
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        #: The mediators' availability, which a session must fall within.
        self.availability = Availabilities(maker)

    async def _check_slot(
        self, db: AsyncSession, mediator: User, starts: datetime, ends: datetime, ignore: str | None = None
    ) -> None:
        now = utcnow()
        if starts <= now:
            raise InvalidInput("that time has passed", [FieldError("starts_at", "must be in the future", "future")])
        if starts - now > MAX_AHEAD:
            raise InvalidInput("too far ahead", [FieldError("starts_at", "at most a year ahead", "within_year")])
        if not within_availability(await self.availability.of(db, mediator), starts, ends):
            raise InvalidInput(
                "the mediator is not available then",
                [
                    FieldError(
                        "starts_at",
                        f"outside {mediator.display_name}'s availability ({mediator.availability_timezone})",
                        # The page names the mediator and links to where availability is changed.
                        "outside_availability",
                        {"name": mediator.display_name, "timezone": mediator.availability_timezone, "mediator_id": mediator.id},
                    )
                ],
                reason="outside_availability",
            )
        buffer = timedelta(minutes=self._settings.booking_buffer_minutes)
        # Lock the mediator's row so two processes cannot both find the slot free (PostgreSQL).
        # SQLite has no row locks (SQLAlchemy leaves FOR UPDATE out) and one writer at a time:
        # there the statement would only cost a turn on the one connection.
        if db.get_bind().dialect.name != "sqlite":
            await db.execute(select(User.id).where(User.id == mediator.id).with_for_update())
        query = (
            select(MediationSession, Case.case_number)
            .join(Case, Case.id == MediationSession.case_id)
            .where(
                MediationSession.mediator_id == mediator.id,
                MediationSession.status != "cancelled",
                MediationSession.starts_at < ends + buffer,
                MediationSession.ends_at > starts - buffer,
            )
        )
        if ignore:
            query = query.where(MediationSession.id != ignore)
        clash = (await db.execute(query.limit(1))).first()
        if clash is not None:
            other, number = clash
            raise Conflict(
                f"{mediator.display_name} has another session then (with {self._settings.booking_buffer_minutes} minutes between sessions)",
                reason="double_booked",
                name=mediator.display_name,
                buffer_minutes=self._settings.booking_buffer_minutes,
                conflict={
                    "session_id": other.id,
                    "case_number": number,
                    "starts_at": iso(other.starts_at),
                    "ends_at": iso(other.ends_at),
                },
            )

    async def _context(self, db: AsyncSession, session: MediationSession) -> notifications.Context:
        case = await db.get(Case, session.case_id)
        mediator = await db.get(User, session.mediator_id)
        assert case is not None and mediator is not None
        organisation = await db.get(Organisation, case.organisation_id)
        assert organisation is not None
        return notifications.Context(case, session, organisation, mediator)

    async def _parties(self, db: AsyncSession, case_id: str) -> list[Party]:
        return list(await db.scalars(select(Party).where(Party.case_id == case_id).order_by(Party.created_at)))

    async def _view(self, db: AsyncSession, session: MediationSession) -> SessionView:
        [view] = await self._views(db, [session])
        return view

    async def _views(self, db: AsyncSession, sessions: list[MediationSession]) -> list[SessionView]:
        """Views of many sessions with one query per table, not per session (the dashboard lists dozens)."""
        if not sessions:
            return []
        case_ids = {s.case_id for s in sessions}
        cases = {c.id: c for c in await db.scalars(select(Case).where(Case.id.in_(case_ids)))}
        mediators = {u.id: u for u in await db.scalars(select(User).where(User.id.in_({s.mediator_id for s in sessions})))}
        parties: dict[str, list[Party]] = {case_id: [] for case_id in case_ids}
        for party in await db.scalars(select(Party).where(Party.case_id.in_(case_ids)).order_by(Party.created_at)):
            parties[party.case_id].append(party)
        links: dict[str, list[PartyLink]] = {s.id: [] for s in sessions}
        query = select(PartyLink).where(PartyLink.session_id.in_(links)).order_by(PartyLink.created_at)
        for link in await db.scalars(query):
            if link.session_id is not None:  # (the query asks for these sessions' links only)
                links[link.session_id].append(link)
        return [SessionView(s, cases[s.case_id], mediators[s.mediator_id], parties[s.case_id], links[s.id]) for s in sessions]

    def _span(self, starts_at: datetime, duration_minutes: int, timezone: str) -> tuple[datetime, datetime]:
        check_timezone(timezone)
        if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
            raise InvalidInput(
                "bad duration",
                [
                    FieldError(
                        "duration_minutes",
                        f"{MIN_DURATION} to {MAX_DURATION} minutes",
                        "range",
                        {"min": MIN_DURATION, "max": MAX_DURATION},
                    )
                ],
            )
        starts = parse_start(starts_at, timezone).astimezone(ZoneInfo("UTC"))
        return starts, starts + timedelta(minutes=duration_minutes)

    async def book(
        self,
        principal: Principal | None,
        case_id: str,
        *,
        starts_at: datetime,
        duration_minutes: int,
        timezone: str,
        mediator_id: str | None = None,
    ) -> Booked:
        starts, ends = self._span(starts_at, duration_minutes, timezone)
        async with self._maker() as db:
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            # The mediator and the case's organisation (for the invitations) in one statement.
            found = (
                await db.execute(
                    select(User, Organisation)
                    .join_from(User, Organisation, Organisation.id == case.organisation_id)
                    .where(User.id == (mediator_id or case.mediator_id))
                )
            ).first()
            mediator, organisation = found if found is not None else (None, None)
            if mediator is None or mediator.role != "mediator" or mediator.organisation_id != staff.organisation_id:
                raise InvalidInput(
                    "no such mediator here", [FieldError("mediator_id", "not a mediator of your organisation", "mediator_of_org")]
                )
        if case.status != "open":
            raise InvalidState("this case is closed", reason="case_closed")

        async def write(db: AsyncSession) -> Booked:
            parties = await self._parties(db, case.id)
            if not parties:
                raise InvalidState("add the parties before booking a session", reason="no_parties")
            await self._check_slot(db, mediator, starts, ends)
            session = MediationSession(
                case_id=case.id,
                mediator_id=mediator.id,
                starts_at=starts,
                ends_at=ends,
                timezone=timezone,
                ical_uid=f"{uuid.uuid4()}@mediate",
                sequence=0,
                updated_at=utcnow(),
            )
            db.add(session)
            await db.flush()
            # The history lines, the links and the messages go in with the batch's others at its end
            # (server/domain/later.py), and the case and the mediator as read just now (above) are
            # not read again: each statement on SQLite's one connection costs every request waiting.
            booked = history.row(
                case.id,
                staff,
                "session_booked",
                session_id=session.id,
                starts_at=iso(starts),
                ends_at=iso(ends),
                timezone=timezone,
                mediator=mediator.display_name,
            )
            later.insert_later(db, CaseEvent, booked)
            assert organisation is not None
            ctx = notifications.Context(case, session, organisation, mediator)
            issued = []
            for party in parties:
                # A session made in this transaction has no links yet: none to revoke (keep_others).
                link = await links.issue(db, self._settings, staff, session, party, keep_others=True)
                phone = phone_pins.notice_values(self._settings, link.pin)
                notifications.enqueue(db, "invitation", ctx, party, link.url, phone=phone, kept=True)
                issued.append(link)
            return Booked(SessionView(session, case, mediator, parties, [i.link for i in issued]), issued)

        # The slot's check and the session are one unit of a group commit (server/domain/group_commit.py):
        # units run one after another in the batch's transaction, so a later one sees an earlier one's
        # session; the lock keeps this process's bookings of one mediator in turn, as before.
        async with self._locks[mediator.id]:
            return await self._group.run(write)

    async def _session_for_staff(
        self,
        db: AsyncSession,
        principal: Principal | None,
        session_id: str,
        *,
        write: bool = False,
        read: bool = False,
        hosting: bool = False,
        changes: bool = False,
    ) -> tuple[Staff, MediationSession]:
        """The session if this staff member may act on it (``write``: change it, which a mediator may no
        longer do once the case is before a court; links can still be re-issued). ``read``: only
        look at it, which the case's supervisors may too. ``hosting``: what its hosts do on the live
        page (see it, log what happens in the room, end it), which the case's assigned mediators of an
        assisting organisation may too (``case_for_staff``'s ``assigned``; issue #21). Booking,
        moving, cancelling and the parties' links stay with the case's own organisation. ``changes``: a
        change that the court's review does not stop (a link, the live room's log), which an archived
        case refuses as every other (server/domain/archived.py)."""
        require_staff(principal)
        session = await db.get(MediationSession, session_id)
        if session is None:
            raise NotFound("no such session", reason="no_such_session")
        staff, _ = await case_for_staff(
            db, principal, session.case_id, court=True, write=write, supervise=read and not write, assigned=hosting,
            changes=changes,
        )  # fmt: skip
        host = await db.get(User, session.mediator_id)
        if staff.role == "judge" or (host is not None and host.role == "judge"):
            # A court's hearing is the judge's alone; a judge acts on no other session of the case.
            if session.mediator_id != staff.user_id:
                raise Forbidden("only the judge who hosts this hearing may do this", reason="not_hearing_judge")
        return staff, session

    async def get(self, principal: Principal | None, session_id: str) -> SessionView:
        async with self._maker() as db:
            _, session = await self._session_for_staff(db, principal, session_id, read=True, hosting=True)
            return await self._view(db, session)

    async def reschedule(
        self,
        principal: Principal | None,
        session_id: str,
        *,
        starts_at: datetime,
        duration_minutes: int | None = None,
        timezone: str | None = None,
        reason: str = "",
    ) -> SessionView:
        async with self._maker() as db:
            _, current = await self._session_for_staff(db, principal, session_id)
        zone = timezone or current.timezone
        minutes = duration_minutes or int((current.ends_at - current.starts_at).total_seconds() // 60)
        starts, ends = self._span(starts_at, minutes, zone)
        async with self._locks[current.mediator_id], self._maker() as db, db.begin():
            staff, session = await self._session_for_staff(db, principal, session_id, write=True)
            if session.status != "scheduled":
                raise InvalidState(f"a {session.status} session cannot be rescheduled", reason=f"session_{session.status}")
            mediator = await db.get(User, session.mediator_id)
            assert mediator is not None
            await self._check_slot(db, mediator, starts, ends, ignore=session.id)
            before = (iso(session.starts_at), iso(session.ends_at))
            session.starts_at, session.ends_at, session.timezone = starts, ends, zone
            session.sequence += 1
            session.updated_at = utcnow()
            await links.move_expiry(db, self._settings, session)
            history.record(
                db,
                session.case_id,
                staff,
                "session_rescheduled",
                session_id=session.id,
                reason=reason,
                previous_starts_at=before[0],
                previous_ends_at=before[1],
                starts_at=iso(starts),
                ends_at=iso(ends),
                timezone=zone,
            )
            ctx = await self._context(db, session)
            for party in await self._parties(db, session.case_id):
                notifications.enqueue(db, "reschedule", ctx, party, None)
            return await self._view(db, session)

    async def cancel(self, principal: Principal | None, session_id: str, reason: str = "") -> SessionView:
        async with self._maker() as db, db.begin():
            staff, session = await self._session_for_staff(db, principal, session_id, write=True)
            if session.status != "scheduled":
                raise InvalidState(f"the session is {session.status} already", reason=f"session_{session.status}")
            session.status = "cancelled"
            session.cancel_reason = reason or None
            session.sequence += 1
            session.updated_at = utcnow()
            await links.revoke_for(db, staff, session, None, reason="session_cancelled")
            history.record(db, session.case_id, staff, "session_cancelled", session_id=session.id, reason=reason)
            ctx = await self._context(db, session)
            for party in await self._parties(db, session.case_id):
                notifications.enqueue(db, "cancellation", ctx, party, None)
            return await self._view(db, session)

    async def record_live(self, principal: Principal | None, session_id: str, kind: str, **data: Any) -> None:
        """Write what happened in the live session (a caucus began, someone was removed) to the case history.

        Times and who, never content: the history is shown to both sides later, and what was
        said in a caucus is confidential (人民调解法 art. 15).
        """
        async with self._maker() as db, db.begin():
            staff, session = await self._session_for_staff(db, principal, session_id, hosting=True, changes=True)
            history.record(db, session.case_id, staff, kind, session_id=session.id, **data)

    async def end(self, principal: Principal | None, session_id: str) -> SessionView:
        """A host ends the live session: it is over, and its links no longer let anyone in."""
        async with self._maker() as db, db.begin():
            staff, session = await self._session_for_staff(db, principal, session_id, hosting=True, changes=True)
            if session.status != "scheduled":
                raise InvalidState(f"the session is {session.status} already", reason=f"session_{session.status}")
            session.status = "ended"
            session.updated_at = utcnow()
            history.record(db, session.case_id, staff, "session_ended", session_id=session.id)
            return await self._view(db, session)

    async def reissue_link(self, principal: Principal | None, session_id: str, party_id: str) -> links.IssuedLink:
        async with self._maker() as db, db.begin():
            staff, session = await self._session_for_staff(db, principal, session_id, changes=True)
            if session.status != "scheduled":
                raise InvalidState("links are issued only for scheduled sessions", reason=f"session_{session.status}")
            party = await db.get(Party, party_id)
            if party is None or party.case_id != session.case_id:
                raise NotFound("no such party in this session", reason="no_such_party")
            issued = await links.issue(db, self._settings, staff, session, party)
            phone = phone_pins.notice_values(self._settings, issued.pin)
            notifications.enqueue(db, "link_reissued", await self._context(db, session), party, issued.url, phone=phone)
            return issued

    async def revoke_link(self, principal: Principal | None, session_id: str, party_id: str) -> None:
        async with self._maker() as db, db.begin():
            staff, session = await self._session_for_staff(db, principal, session_id, changes=True)
            party = await db.get(Party, party_id)
            if party is None or party.case_id != session.case_id:
                raise NotFound("no such party in this session", reason="no_such_party")
            if not await links.revoke_for(db, staff, session, party.id, reason="revoked_by_mediator"):
                raise InvalidState("this party has no active link", reason="no_active_link")

    async def upcoming(
        self, principal: Principal | None, start: datetime, end: datetime, mediator_id: str | None = None
    ) -> list[SessionView]:
        staff = require_staff(principal)
        if staff.role != "mediator":
            return []
        async with self._maker() as db:
            query = (
                select(MediationSession)
                .join(Case, Case.id == MediationSession.case_id)
                .where(
                    Case.organisation_id == staff.organisation_id,
                    MediationSession.mediator_id == (mediator_id or staff.user_id),
                    MediationSession.ends_at > start,
                    MediationSession.starts_at < end,
                )
                .order_by(MediationSession.starts_at)
            )
            return await self._views(db, list(await db.scalars(query)))

    async def sessions_of_case(self, principal: Principal | None, case_id: str) -> list[SessionView]:
        async with self._maker() as db:
            await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            query = select(MediationSession).where(MediationSession.case_id == case_id).order_by(MediationSession.starts_at)
            return await self._views(db, list(await db.scalars(query)))

    async def for_host(self, principal: Principal | None, session_id: str) -> tuple[SessionView, list[str]]:
        """The session a staff member hosts live, and all its hosts (lead first).

        Every mediator assigned to the case hosts its sessions together (人民调解法 art. 19: one or
        several mediators; server/domain/assignment.py), the one the session was booked for leading
        it; whoever else is of the organisation, however senior, is not let in. A court's hearing is
        the judge's alone, as everywhere else (``_session_for_staff``).
        """
        staff = require_staff(principal)
        async with self._maker() as db:
            session = await db.get(MediationSession, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            lead = await db.get(User, session.mediator_id)
            hosts = [session.mediator_id]
            if lead is not None and lead.role != "judge":
                hosts += [m for m in await assigned_mediators(db, session.case_id) if m != session.mediator_id]
            if staff.user_id == session.mediator_id or staff.user_id not in hosts:
                # The lead reaches it as every page of the session does; anyone else not assigned gets the
                # precise refusal (another organisation, a judge elsewhere) where there is one.
                await self._session_for_staff(db, principal, session_id, read=True)
            if staff.user_id not in hosts:
                raise Forbidden("only the mediators assigned to this case may host its session", reason="not_assigned")
            # An assigned co-mediator is let in on the assignment alone, whatever their organisation (an
            # assisting one's mediator, #21): the same rule by which the live page's other reads let
            # them in (``_session_for_staff``, ``hosting=True``).
            return await self._view(db, session), hosts

    async def for_party(self, principal: Principal | None) -> tuple[PartyPrincipal, SessionView, Organisation]:
        party = require_party(principal)
        async with self._maker() as db:
            session = await db.get(MediationSession, party.session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            view = await self._view(db, session)
            organisation = await db.get(Organisation, view.case.organisation_id)
            assert organisation is not None
            return party, view, organisation

    async def next_session_for_party(self, principal: Principal | None) -> MediationSession | None:
        """The case's next scheduled session other than the one the party's link is for (its own link comes by message)."""
        party = require_party(principal)
        async with self._maker() as db:
            query = (
                select(MediationSession)
                .where(
                    MediationSession.case_id == party.case_id,
                    MediationSession.id != party.session_id,
                    MediationSession.status == "scheduled",
                    MediationSession.ends_at > utcnow(),
                )
                .order_by(MediationSession.starts_at)
                .limit(1)
            )
            return await db.scalar(query)

    async def invitation_for(
        self, principal: Principal | None, session_id: str, party_id: str
    ) -> tuple[SessionView, Party, Organisation]:
        """What an .ics file needs; for the case's staff or for the party themself."""
        async with self._maker() as db:
            if isinstance(principal, PartyPrincipal):
                if principal.session_id != session_id or principal.party_id != party_id:
                    raise Forbidden("this is another party's invitation", reason="another_party")
                session = await db.get(MediationSession, session_id)
            else:
                _, session = await self._session_for_staff(db, principal, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            party = await db.get(Party, party_id)
            if party is None or party.case_id != session.case_id:
                raise NotFound("no such party in this session", reason="no_such_party")
            view = await self._view(db, session)
            organisation = await db.get(Organisation, view.case.organisation_id)
            assert organisation is not None
            return view, party, organisation


def iso(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
