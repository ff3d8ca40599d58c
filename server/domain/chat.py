"""The chat of live sessions, kept with the session: each line with exactly who it reached.

The live layer decides the recipients (by the routing rule) and hands each message here before
delivering it, so what is kept is what was sent. Content stays out of the case history (a
caucus's chat is confidential, 人民调解法 art. 15); this log is shown to the session's
mediators, and to a party only what they sent or were sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.access import case_for_staff
from server.domain.archived import is_archived, refusal
from server.domain.principal import PartyPrincipal, Principal, require_staff
from server.errors import Forbidden, NotFound
from server.models import ChatLine, MediationSession


class ChatLog:
    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker

    async def keep(
        self,
        *,
        id: str,
        session_id: str,
        sender_id: str,
        sender_name: str,
        room: str,
        text: str,
        sent_at: datetime,
        recipients: Iterable[str],
    ) -> None:
        async with self._maker() as db, db.begin():
            # Kept before it is delivered: a line in a session of a case archived meanwhile is refused, not sent.
            case_id = await db.scalar(select(MediationSession.case_id).where(MediationSession.id == session_id))
            if case_id is not None and await is_archived(db, case_id):
                raise refusal()
            db.add(
                ChatLine(
                    id=id,
                    session_id=session_id,
                    sender_id=sender_id,
                    sender_name=sender_name,
                    room=room,
                    text=text,
                    sent_at=sent_at,
                    recipients={"ids": sorted(recipients)},
                )
            )

    async def of_session(self, principal: Principal | None, session_id: str) -> list[ChatLine]:
        """All of a session's chat for its case's mediators; for a party, what they sent or received."""
        async with self._maker() as db:
            session = await db.get(MediationSession, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            if isinstance(principal, PartyPrincipal):
                if principal.session_id != session_id:
                    raise Forbidden("your link is for another session", reason="another_session")
            else:
                require_staff(principal)
                # The case's mediators, an assisting organisation's assigned one too (they host it, #21).
                await case_for_staff(db, principal, session.case_id, assigned=True)
            query = select(ChatLine).where(ChatLine.session_id == session_id).order_by(ChatLine.sent_at)
            lines = list((await db.scalars(query)).all())
        if isinstance(principal, PartyPrincipal):
            me = principal.party_id
            return [line for line in lines if line.sender_id == me or me in line.recipients.get("ids", [])]
        return lines
