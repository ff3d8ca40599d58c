"""What the HTTP side tells live connections: a credential was withdrawn (#19, item 3).

Each ``/live`` connection is a member of one Socket.IO room per thing that let it in; the names
are made here, beside the composition root, where both the handlers that withdraw credentials
(server/http/) and the signalling layer that admits connections (signaling/) stand on them
without either reaching into the other. The handlers call :func:`revoke` after the withdrawal is
committed; the composition root puts the signalling layer's :class:`LiveConnections` under
:data:`LIVE`.
"""

from __future__ import annotations

import logging
from typing import Literal, Protocol

from aiohttp import web

from server.domain.accounts import token_hash

log = logging.getLogger(__name__)

#: Why a connection was ended; the pages say each in Chinese and English (web/js/live-i18n.js, ``revoked.<reason>``).
Reason = Literal["link_revoked", "link_reissued", "logged_out", "account_disabled", "session_cancelled"]
REASONS: tuple[Reason, ...] = ("link_revoked", "link_reissued", "logged_out", "account_disabled", "session_cancelled")


def login_room(token: str) -> str:
    """One browser's login (the cookie), named by its hash: the room name never holds the token."""
    return f"login:{token_hash(token)}"


def user_room(user_id: str) -> str:
    """Every login of a staff account."""
    return f"user:{user_id}"


def party_room(session_id: str, party_id: str) -> str:
    """Every link of a party for one session (revoking or re-issuing ends all of them)."""
    return f"party:{session_id}:{party_id}"


def session_room(session_id: str) -> str:
    """Everyone connected to a session."""
    return f"session:{session_id}"


class LiveConnections(Protocol):
    async def revoke(self, room: str, reason: str) -> None:
        """End every live connection in ``room``, on every process, telling it ``reason`` first."""


LIVE: web.AppKey[LiveConnections] = web.AppKey("live_connections", LiveConnections)


class PhoneStatus(Protocol):
    """The phone gateway as ``/readyz`` reports it (signaling/telephony/gateway.py)."""

    def status(self) -> dict[str, object]: ...


#: Set when this process answers the organisation's phone number (``MEDIATE_SIP_LISTEN``).
PHONE: web.AppKey[PhoneStatus] = web.AppKey("phone", PhoneStatus)


async def revoke(request: web.Request, room: str, reason: Reason) -> None:
    """End the live connections of a withdrawn credential. The withdrawal itself is already
    committed and stands even if this fails (the next handshake is refused), so a failure here is
    logged, not raised."""
    live = request.app.get(LIVE)
    if live is None:
        return
    try:
        await live.revoke(room, reason)
    except Exception:
        log.exception("live connections of a withdrawn credential (%s) could not be ended", reason)
