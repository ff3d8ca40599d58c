"""Ending every live connection of a credential that was withdrawn, on every process.

A ``/live`` connection is let in once, at its handshake, on the strength of a cookie
(``server.authentication.authenticate``). Withdrawing what the cookie stands for later (the mediator revokes
or re-issues a party's link, a staff member logs out, an account is disabled, a session is
cancelled) refuses the *next* handshake, but an open socket would go on chatting or locking the
room. OWASP's Session Management Cheat Sheet asks that a session invalidated on the server end
there and then, so the HTTP action that withdraws it also ends its connections.

Each connection enters one Socket.IO room per thing that can be withdrawn (see
``signaling.admission.credential_rooms``). python-socketio's managers keep room membership per
process, and its Redis manager carries emits and disconnects of *one* connection to the process
holding it, but has no "disconnect everyone in this room". So the withdrawal is announced here,
to every process (one Redis pub/sub channel with ``MEDIATE_REDIS_URL``, a direct call in one
process), and each process tells and disconnects its own members of that room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.asyncio import Redis

log = logging.getLogger(__name__)

#: Told a room (a credential) and why it was withdrawn.
OnRevoked = Callable[[str, str], Awaitable[None]]

#: What a connection ended because its credential was withdrawn is told (PROTOCOL.md, "Withdrawn credentials");
#: the pages say it in the reader's language from the reason (web/js/live-i18n.js, ``revoked.<reason>``).
REVOKED_MESSAGES = {
    "link_revoked": "the mediator withdrew your link; ask them for a new one to take part",
    "link_reissued": "your link was replaced by a new one; open the newest link you received",
    "logged_out": "you logged out; log in again to rejoin the session",
    "account_disabled": "your account was disabled; contact your administrator",
    "session_cancelled": "this session was cancelled; your mediator will send a new time and a new link",
}


class Revocations(Protocol):
    async def revoke(self, room: str, reason: str) -> None:
        """Every process ends its connections in ``room``, telling them ``reason``."""

    async def start(self, on_revoked: OnRevoked) -> None: ...

    async def close(self) -> None: ...


class LocalRevocations:
    """One process: its connections are all the connections there are."""

    def __init__(self) -> None:
        self._on_revoked: OnRevoked | None = None

    async def revoke(self, room: str, reason: str) -> None:
        if self._on_revoked is not None:
            await self._on_revoked(room, reason)

    async def start(self, on_revoked: OnRevoked) -> None:
        self._on_revoked = on_revoked

    async def close(self) -> None:
        self._on_revoked = None


class RedisRevocations:
    """Several processes: the withdrawal is published, and each process (this one too) acts on it."""

    def __init__(self, redis: Redis, prefix: str = "mediate") -> None:
        self.redis = redis
        self.channel = f"{prefix}:revoked"
        self._on_revoked: OnRevoked | None = None
        self._listener: asyncio.Task[None] | None = None

    async def revoke(self, room: str, reason: str) -> None:
        heard = await self.redis.publish(self.channel, json.dumps({"room": room, "reason": reason}))
        if not heard and self._on_revoked is not None:
            await self._on_revoked(room, reason)  # not even this process listens yet: act here at least

    async def start(self, on_revoked: OnRevoked) -> None:
        self._on_revoked = on_revoked
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def _listen(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message" or self._on_revoked is None:
                    continue
                try:
                    data = json.loads(message["data"])
                    await self._on_revoked(str(data["room"]), str(data["reason"]))
                except Exception:
                    log.exception("a revocation announced by another process could not be carried out")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        self._on_revoked = None
