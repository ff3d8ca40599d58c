"""Party links: the only way a party gets in, so they are treated like passwords.

The token is 192 random bits; only its SHA-256 is stored. A link is bound to one party and
one session, expires a little after the session ends, and dies when revoked, re-issued or
when the session is cancelled.

A link may also belong to no session (``issue_for_case``): it asks a party something before any
session is booked (whether they agree to mediation, server/domain/willingness.py), expires when
the question's time is up (plus the usual grace), and opens as a ``CaseParty``.

A session's link also has a six-digit PIN, for joining by phone (#25, server/domain/phone_pins.py):
``Links.by_pin`` finds the party a PIN names as opening the link would. A link of no session has none.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, later, phone_pins
from server.domain.accounts import token_hash
from server.domain.group_commit import GroupCommit
from server.domain.principal import PartyPrincipal, Principal, actor_of
from server.errors import Gone, NotFound
from server.models import AuthSession, Case, CaseEvent, MediationSession, Party, PartyLink, User, utcnow
from server.settings import Settings

TOKEN_BYTES = 32
#: A link's token: 192 random bits, 32 characters, so that ``j/<token>`` fits the 35 characters an
#: SMS template variable may hold (server/domain/notices.py) and stays far beyond guessing.
LINK_TOKEN_BYTES = 24


@dataclass(frozen=True)
class IssuedLink:
    party: Party
    url: str
    link: PartyLink
    #: The PIN to join by phone, in clear only here (and in the notice that tells it): None for a
    #: link of no session (``issue_for_case``).
    pin: str | None = None


@dataclass(frozen=True)
class OpenedLink:
    cookie_token: str
    party: Party
    session: MediationSession | None  # None: a link of the case, not of a session (``issue_for_case``)
    expires_at: datetime


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/j/{token}"


async def issue(
    db: AsyncSession,
    settings: Settings,
    principal: Principal | None,
    session: MediationSession,
    party: Party,
    *,
    until: datetime | None = None,
    keep_others: bool = False,
) -> IssuedLink:
    """Revoke any live link of this party for this session and issue a new one, with a new PIN.

    ``keep_others`` issues one more (to deliver a document after the session) without ending
    the browser the party has open; ``until`` replaces the usual expiry after the session.
    """
    if not keep_others:
        await revoke_for(db, principal, session, party.id, reason="reissued", log=False)
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    _, actor_id, _ = actor_of(principal)
    link = PartyLink(
        party_id=party.id,
        session_id=session.id,
        token_hash=token_hash(token),
        issued_by=actor_id if principal is not None else None,
        expires_at=until or session.ends_at + timedelta(minutes=settings.link_grace_minutes),
    )
    pin = await phone_pins.assign(db, settings, link, utcnow())
    issued = history.row(session.case_id, principal, "link_issued", party_id=party.id, session_id=session.id, link_id=link.id)
    later.insert_later(db, CaseEvent, issued)
    return IssuedLink(party, link_url(settings, token), link, pin)


async def issue_for_case(
    db: AsyncSession, settings: Settings, principal: Principal | None, party: Party, *, until: datetime
) -> IssuedLink:
    """A personal link of this party's case that needs no session, open until ``until`` plus the grace.

    Any earlier such link of the party is revoked (a new question replaces the old one's link);
    the links of their sessions are left alone.
    """
    now = utcnow()
    old = list(
        await db.scalars(
            select(PartyLink).where(
                PartyLink.party_id == party.id, PartyLink.session_id.is_(None), PartyLink.revoked_at.is_(None)
            )
        )
    )
    for link in old:
        link.revoked_at, link.revoked_reason = now, "reissued"
    if old:
        await db.execute(
            update(AuthSession)
            .where(AuthSession.link_id.in_([link.id for link in old]), AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    _, actor_id, _ = actor_of(principal)
    link = PartyLink(
        party_id=party.id,
        session_id=None,
        token_hash=token_hash(token),
        issued_by=actor_id if principal is not None else None,
        expires_at=until + timedelta(minutes=settings.link_grace_minutes),
    )
    db.add(link)
    await db.flush()
    history.record(db, party.case_id, principal, "link_issued", party_id=party.id, session_id=None, link_id=link.id)
    return IssuedLink(party, link_url(settings, token), link)


async def keep_case_links_open(db: AsyncSession, party_id: str, until: datetime) -> None:
    """A party's session-less links stay open until ``until`` (to read what became of the question)."""
    for table in (PartyLink, AuthSession):
        await db.execute(
            update(table)
            .where(table.party_id == party_id, table.session_id.is_(None), table.revoked_at.is_(None), table.expires_at < until)
            .values(expires_at=until)
        )


async def revoke_for(
    db: AsyncSession,
    principal: Principal | None,
    session: MediationSession,
    party_id: str | None,
    *,
    reason: str,
    log: bool = True,
) -> int:
    """Revoke live links (of one party, or all of a session) and end the browser sessions they opened.

    Their PINs stop working at once, but for a cancelled session's (server/domain/phone_pins.py).
    """
    now = utcnow()
    query = select(PartyLink).where(PartyLink.session_id == session.id, PartyLink.revoked_at.is_(None))
    if party_id is not None:
        query = query.where(PartyLink.party_id == party_id)
    links = list(await db.scalars(query))
    for link in links:
        link.revoked_at = now
        link.revoked_reason = reason
        if reason not in phone_pins.KEPT_WHEN_REVOKED:
            link.pin_hash = None
        if log:
            history.record(
                db, session.case_id, principal, "link_revoked", party_id=link.party_id, session_id=session.id, reason=reason
            )
    if links:
        await db.execute(
            update(AuthSession)
            .where(AuthSession.link_id.in_([link.id for link in links]), AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return len(links)


async def move_expiry(db: AsyncSession, settings: Settings, session: MediationSession) -> None:
    """After a reschedule the same links stay valid until the new end (plus grace)."""
    expires = session.ends_at + timedelta(minutes=settings.link_grace_minutes)
    await db.execute(
        update(PartyLink).where(PartyLink.session_id == session.id, PartyLink.revoked_at.is_(None)).values(expires_at=expires)
    )
    await db.execute(
        update(AuthSession)
        .where(AuthSession.session_id == session.id, AuthSession.revoked_at.is_(None))
        .values(expires_at=expires)
    )


async def keep_open(db: AsyncSession, case_id: str, until: datetime) -> None:
    """A party signs an agreement later, or fetches its sealed document, from the link they already have."""
    parties = select(Party.id).where(Party.case_id == case_id)
    for table in (PartyLink, AuthSession):
        await db.execute(
            update(table)
            .where(table.party_id.in_(parties), table.revoked_at.is_(None), table.expires_at < until)
            .values(expires_at=until)
        )


class Links:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings, group: GroupCommit) -> None:
        self._maker = maker
        self._settings = settings
        self._group = group

    async def open(self, token: str) -> OpenedLink:
        """Trade a link's token for a browser session bound to that party and session only."""
        now = utcnow()
        if not (20 <= len(token) <= 100):
            raise NotFound("this link is not recognised")
        # A unit of a group commit (server/domain/group_commit.py): the browser sessions of links
        # opened at the same moment are written, and committed, together.
        return await self._group.run(lambda db: self._open(db, token, now))

    async def _open(self, db: AsyncSession, token: str, now: datetime) -> OpenedLink:
        # One query for the link, its party and its session; and no flush of the sessions other
        # links of the batch opened before (they go in one insert at the batch's commit).
        with db.no_autoflush:
            found = (
                await db.execute(
                    select(PartyLink, Party, MediationSession)
                    .join(Party, Party.id == PartyLink.party_id)
                    .outerjoin(MediationSession, MediationSession.id == PartyLink.session_id)
                    .where(PartyLink.token_hash == token_hash(token))
                )
            ).first()
        if found is None:
            raise NotFound("this link is not recognised")
        link, party, session = found
        assert session is not None or link.session_id is None
        cancelled = session is not None and session.status == "cancelled"
        if cancelled or link.revoked_at is not None or link.expires_at <= now:
            # Whom to ask for a new link or a new time: the page names them.
            mediator = await db.get(User, session.mediator_id if session else (await _case_mediator(db, party)))
            contact = {
                "mediator": mediator.display_name if mediator else "",
                "phone": (mediator.phone if mediator else "") or "",
            }
            if cancelled:
                raise Gone("this session was cancelled", reason="cancelled", **contact)
            if link.revoked_at is not None:
                raise Gone("this link was withdrawn; ask your mediator for a new one", reason="revoked", **contact)
            raise Gone("this link has expired", reason="expired", **contact)
        cookie = secrets.token_urlsafe(TOKEN_BYTES)
        # Nobody reads the browser session back in this transaction: it goes in with the batch's
        # others in one statement at its end, without the ORM's unit of work for each.
        browser = {
            "token_hash": token_hash(cookie),
            "kind": "party",
            "party_id": party.id,
            "case_id": party.case_id,
            "session_id": session.id if session else None,
            "link_id": link.id,
            "csrf_token": secrets.token_urlsafe(32),
            "expires_at": link.expires_at,
        }
        later.insert_later(db, AuthSession, browser)
        opened = history.row(party.case_id, None, "link_opened", party_id=party.id, session_id=session.id if session else None)
        later.insert_later(db, CaseEvent, opened)
        return OpenedLink(cookie, party, session, link.expires_at)

    async def by_pin(self, pin: str) -> PartyPrincipal:
        """The party whose live session link has this PIN, as opening the link would make them (#25).

        ``InvalidInput`` (``pin_malformed``) unless six digits; ``NotFound`` (``pin_unknown``) when no
        live link has it (never issued, its link re-issued, withdrawn or expired); ``Gone`` when its
        session was cancelled or has ended (``session_cancelled``, ``session_ended``) or its case is
        archived (``case_archived``). Nothing else is said: not whose it was, nor whom to ask. Each
        use is a line of the case's history, as a link's opening is: ``link_opened`` with
        ``method`` ``phone_pin``.
        """
        phone_pins.check(pin)
        now = utcnow()
        return await self._group.run(lambda db: self._by_pin(db, pin, now))

    async def _by_pin(self, db: AsyncSession, pin: str, now: datetime) -> PartyPrincipal:
        with db.no_autoflush:
            found = (
                await db.execute(
                    select(PartyLink, Party, MediationSession, Case)
                    .join(Party, Party.id == PartyLink.party_id)
                    .join(MediationSession, MediationSession.id == PartyLink.session_id)
                    .join(Case, Case.id == MediationSession.case_id)
                    .where(PartyLink.pin_hash == phone_pins.pin_hash(self._settings, pin))
                )
            ).first()
        if found is None:
            raise NotFound("no session is open to this PIN", reason="pin_unknown")
        link, party, session, case = found
        cancelled = session.status == "cancelled"
        if link.expires_at <= now or (link.revoked_at is not None and not cancelled):
            raise NotFound("no session is open to this PIN", reason="pin_unknown")
        # An archived case reads only (server/domain/archived.py): nobody meets in its sessions any more.
        if case.archived_at is not None:
            raise Gone("this case is archived", reason="case_archived")
        if cancelled:
            raise Gone("this session was cancelled", reason="session_cancelled")
        if session.status == "ended":
            raise Gone("the mediator has ended this session", reason="session_ended")
        used = history.row(case.id, None, "link_opened", party_id=party.id, session_id=session.id, method="phone_pin")
        later.insert_later(db, CaseEvent, used)
        return PartyPrincipal(party.id, case.id, session.id, party.name)

    async def phone_call(
        self, principal: Principal | None, party: PartyPrincipal, outcome: str, reason: str | None = None
    ) -> None:
        """A call the mediator made to a party ("call me", #25), as lines of the case's history.

        ``called`` (the mediator its actor, when the call is placed), then ``answered`` (the
        party is in the room: a ``link_opened`` with method ``phone_call``, as a PIN's use is) or
        ``failed`` with the network's reason (``call_no_answer``, ``call_rejected``).
        """
        data = {"party_id": party.party_id, "session_id": party.session_id}
        if outcome == "called":
            line = history.row(party.case_id, principal, "phone_called", **data)
        elif outcome == "answered":
            line = history.row(party.case_id, None, "link_opened", **data, method="phone_call")
        else:
            line = history.row(party.case_id, None, "phone_call_failed", **data, reason=f"call_{reason or outcome}")
        async with self._maker() as db, db.begin():
            db.add(CaseEvent(**line))


async def _case_mediator(db: AsyncSession, party: Party) -> str:
    case = await db.get(Case, party.case_id)
    assert case is not None
    return case.mediator_id
