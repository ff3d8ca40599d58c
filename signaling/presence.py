"""Which process holds which ``/live`` connection, so that a dead process's participants are let go.

With one process a dropped connection is always seen: ``on_disconnect`` runs and the participant
shows as *reconnecting* for the grace period. With several (``MEDIATE_REDIS_URL``), a process
that is killed or loses its machine runs nothing: the rooms in Redis still bind its participants
to connections that no longer exist, and the others would see them present for the rest of the
session. Their browsers reconnect through another process and take their seats back, but someone
who closed the page at that moment would stay on everyone's screen.

So each process lists the connections it holds in Redis and says it is alive. When one stops
saying so (for :data:`SEEN_TTL_MS`, longer than any stall the media failover tolerates, so that a
busy process is not let go), the first process to notice takes its list (``SREM`` from the set
of processes decides who) and lets each of those connections go as if it had dropped. A seat
already taken back by a new connection is left alone (``signaling.commands.leave`` checks the
binding). A process that was only stalled and finds itself let go sends its connections to
reconnect, so that they are seated again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.asyncio import Redis

log = logging.getLogger(__name__)

#: A process not heard of for this long (milliseconds) is taken for dead and its connections let go.
SEEN_TTL_MS = 10_000
#: How often a process says it is alive and looks for dead ones (seconds).
BEAT = 2.0

#: Told the connection ids a dead process held.
OnOrphaned = Callable[[list[str]], Awaitable[None]]
#: Told that this process was taken for dead (it stalled) and its connections were let go.
OnForgotten = Callable[[], Awaitable[None]]


class Presence(Protocol):
    async def holds(self, connection_id: str) -> None:
        """This process holds the connection."""

    async def let_go(self, connection_id: str) -> None:
        """The connection closed here."""

    async def start(self, on_orphaned: OnOrphaned, on_forgotten: OnForgotten) -> None: ...

    async def close(self) -> None: ...


class LocalPresence:
    """One process: it sees every connection of its own drop, and there is no other to die."""

    async def holds(self, connection_id: str) -> None:
        return None

    async def let_go(self, connection_id: str) -> None:
        return None

    async def start(self, on_orphaned: OnOrphaned, on_forgotten: OnForgotten) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisPresence:
    def __init__(self, redis: Redis, process_id: str, prefix: str = "mediate") -> None:
        self.redis = redis
        self.process_id = process_id
        self.prefix = prefix
        self._task: asyncio.Task[None] | None = None
        self._on_orphaned: OnOrphaned | None = None
        self._on_forgotten: OnForgotten | None = None

    @property
    def _processes(self) -> str:
        return f"{self.prefix}:processes"

    def _connections(self, process_id: str) -> str:
        return f"{self.prefix}:connections:{process_id}"

    def _seen(self, process_id: str) -> str:
        return f"{self.prefix}:seen:{process_id}"

    async def holds(self, connection_id: str) -> None:
        await self.redis.sadd(self._connections(self.process_id), connection_id)

    async def let_go(self, connection_id: str) -> None:
        await self.redis.srem(self._connections(self.process_id), connection_id)

    async def start(self, on_orphaned: OnOrphaned, on_forgotten: OnForgotten) -> None:
        self._on_orphaned, self._on_forgotten = on_orphaned, on_forgotten
        await self.redis.set(self._seen(self.process_id), "1", px=SEEN_TTL_MS)
        await self.redis.sadd(self._processes, self.process_id)
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(BEAT)
            try:
                await self.beat()
            except Exception:
                log.exception("the presence heartbeat failed; trying again")

    async def beat(self) -> None:
        """Say this process is alive; let go of the connections of a process that is not."""
        await self.redis.set(self._seen(self.process_id), "1", px=SEEN_TTL_MS)
        if await self.redis.sadd(self._processes, self.process_id):
            # Another process took this one for dead (it stalled) and let its connections go.
            log.warning("this process was taken for dead; its connections are sent to reconnect")
            if self._on_forgotten is not None:
                await self._on_forgotten()
        for raw in await self.redis.smembers(self._processes):
            other = raw.decode() if isinstance(raw, bytes) else str(raw)
            if other == self.process_id or await self.redis.exists(self._seen(other)):
                continue
            if not await self.redis.srem(self._processes, other):
                continue  # another process is letting them go
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.smembers(self._connections(other))
                pipe.delete(self._connections(other))
                held, _ = await pipe.execute()
            connections = sorted(c.decode() if isinstance(c, bytes) else str(c) for c in held)
            log.warning("process %s is gone; letting go of the %d connection(s) it held", other, len(connections))
            if connections and self._on_orphaned is not None:
                await self._on_orphaned(connections)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.redis.srem(self._processes, self.process_id)
            await self.redis.delete(self._connections(self.process_id), self._seen(self.process_id))
