"""Party links: the only way a party gets in, so they are treated like passwords.

The token is 256 random bits; only its SHA-256 is stored. A link is bound to one party and
one session, expires a little after the session ends, and dies when revoked, re-issued or
when the session is cancelled.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.accounts import token_hash
from server.domain.principal import Principal, actor_of
from server.errors import Gone, NotFound
from server.models import AuthSession, MediationSession, Party, PartyLink, utcnow
from server.settings import Settings

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedLink:
    party: Party
    url: str
    link: PartyLink


@dataclass(frozen=True)
class OpenedLink:
    cookie_token: str
    party: Party
    session: MediationSession


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
    """Revoke any live link of this party for this session and issue a new one.

    ``keep_others`` issues one more (to deliver a document after the session) without ending
    the browser the party has open; ``until`` replaces the usual expiry after the session.
    """
    if not keep_others:
        await revoke_for(db, principal, session, party.id, reason="reissued", log=False)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    _, actor_id, _ = actor_of(principal)
    link = PartyLink(
        party_id=party.id,
        session_id=session.id,
        token_hash=token_hash(token),
        issued_by=actor_id if principal is not None else None,
        expires_at=until or session.ends_at + timedelta(minutes=settings.link_grace_minutes),
    )
    db.add(link)
    await db.flush()
    history.record(db, session.case_id, principal, "link_issued", party_id=party.id, session_id=session.id, link_id=link.id)
    return IssuedLink(party, link_url(settings, token), link)


async def revoke_for(
    db: AsyncSession,
    principal: Principal | None,
    session: MediationSession,
    party_id: str | None,
    *,
    reason: str,
    log: bool = True,
) -> int:
    """Revoke live links (of one party, or all of a session) and end the browser sessions they opened."""
    now = utcnow()
    query = select(PartyLink).where(PartyLink.session_id == session.id, PartyLink.revoked_at.is_(None))
    if party_id is not None:
        query = query.where(PartyLink.party_id == party_id)
    links = list(await db.scalars(query))
    for link in links:
        link.revoked_at = now
        link.revoked_reason = reason
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


class Links:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._maker = maker
        self._settings = settings

    async def open(self, token: str) -> OpenedLink:
        """Trade a link's token for a browser session bound to that party and session only."""
        now = utcnow()
        if not (20 <= len(token) <= 100):
            raise NotFound("this link is not recognised")
        async with self._maker() as db, db.begin():
            link = await db.scalar(select(PartyLink).where(PartyLink.token_hash == token_hash(token)))
            if link is None:
                raise NotFound("this link is not recognised")
            session = await db.get(MediationSession, link.session_id)
            party = await db.get(Party, link.party_id)
            assert session is not None and party is not None
            if session.status == "cancelled":
                raise Gone("this session was cancelled", reason="cancelled")
            if link.revoked_at is not None:
                raise Gone("this link was withdrawn; ask your mediator for a new one", reason="revoked")
            if link.expires_at <= now:
                raise Gone("this link has expired", reason="expired")
            cookie = secrets.token_urlsafe(TOKEN_BYTES)
            db.add(
                AuthSession(
                    token_hash=token_hash(cookie),
                    kind="party",
                    party_id=party.id,
                    case_id=session.case_id,
                    session_id=session.id,
                    link_id=link.id,
                    csrf_token=secrets.token_urlsafe(32),
                    expires_at=link.expires_at,
                )
            )
            history.record(db, session.case_id, None, "link_opened", party_id=party.id, session_id=session.id)
        return OpenedLink(cookie, party, session)
