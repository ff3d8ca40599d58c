"""Wrong PINs over a window, across calls: per calling number, and from all callers together.

A calling number can be forged, so the per-number limit alone does not stop a guesser with many
lines: the limit over all callers bounds how fast anyone can guess at all. With N live links a
random PIN hits one with probability N/10⁶; at ``overall`` wrong PINs a minute that is hours of
guessing for one hit among hundreds of live links, each hit still facing the mediator's admission.

One process keeps the counts in memory (:class:`LocalPinGuard`). Several processes
(``MEDIATE_REDIS_URL``) keep them in Redis (:class:`RedisPinGuard`): a PBX spreads calls over the
processes (docs/TELEPHONY.md), so counts kept per process would give a guesser as many tries as
there are processes. Each failure is a member of a sorted set scored by its time; a window's count
is the set's size once older members are removed.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

#: Wrong PINs from one calling number in ``WINDOW_SECONDS``, then that number is refused.
LIMIT = 5
WINDOW_SECONDS = 900.0
#: Wrong PINs from all callers in ``OVERALL_SECONDS``, then every caller is refused for a while.
OVERALL = 30
OVERALL_SECONDS = 60.0


class PinGuard(Protocol):
    async def blocked(self, number: str) -> bool:
        """Whether a caller from ``number`` may not try a PIN now."""
        ...

    async def failed(self, number: str) -> None:
        """A wrong PIN from ``number``."""
        ...


@dataclass
class LocalPinGuard:
    """The counts of this process (one process serves every call)."""

    limit: int = LIMIT
    window_seconds: float = WINDOW_SECONDS
    overall: int = OVERALL
    overall_seconds: float = OVERALL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)

    async def blocked(self, number: str) -> bool:
        now = self.clock()
        while self._all and self._all[0] < now - self.overall_seconds:
            self._all.popleft()
        if len(self._all) >= self.overall:
            return True
        failures = self._failures.get(number)
        if failures is None:
            return False
        while failures and failures[0] < now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[number]
            return False
        return len(failures) >= self.limit

    async def failed(self, number: str) -> None:
        now = self.clock()
        self._failures.setdefault(number, deque()).append(now)
        self._all.append(now)


class RedisPinGuard:
    """The counts of every process on one Redis. Calling numbers are kept only as a hash."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "mediate",
        *,
        limit: int = LIMIT,
        window_seconds: float = WINDOW_SECONDS,
        overall: int = OVERALL,
        overall_seconds: float = OVERALL_SECONDS,
        clock: Callable[[], float] = time.time,  # shared between machines: wall-clock time
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.limit, self.window_seconds = limit, window_seconds
        self.overall, self.overall_seconds = overall, overall_seconds
        self._clock = clock

    def _number_key(self, number: str) -> str:
        return f"{self._prefix}:pins:number:{hashlib.sha256(number.encode()).hexdigest()[:32]}"

    @property
    def _all_key(self) -> str:
        return f"{self._prefix}:pins:all"

    async def _count(self, key: str, now: float, seconds: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - seconds)
            pipe.zcard(key)
            _, count = await pipe.execute()
        return int(count)

    async def blocked(self, number: str) -> bool:
        now = self._clock()
        if await self._count(self._all_key, now, self.overall_seconds) >= self.overall:
            return True
        return await self._count(self._number_key(number), now, self.window_seconds) >= self.limit

    async def failed(self, number: str) -> None:
        now, member = self._clock(), uuid.uuid4().hex
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, seconds in ((self._number_key(number), self.window_seconds), (self._all_key, self.overall_seconds)):
                pipe.zadd(key, {member: now})
                pipe.expire(key, int(seconds) + 1)
            await pipe.execute()
