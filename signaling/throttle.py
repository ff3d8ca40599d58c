"""How fast one participant may send what others see (#19, item 7).

A script in a browser's console sent 1,000 chat messages in 4.7 s; every one was stored and
delivered to everyone in the room. Each participant now has a token bucket per kind of event
(chat; the events that change everyone's ``participants`` list): a burst of ``burst`` at once,
then ``per_second`` more each second. Beyond it the event is refused with
``too_many_attempts`` / ``rate_limited`` and changes nothing (OWASP API Security Top 10,
API4:2023 "Unrestricted Resource Consumption").

The bucket is aiolimiter's leaky bucket (capacity ``burst``, draining ``per_second``), used
without waiting: ``has_capacity`` decides, and ``acquire`` then returns at once. Buckets live in
the process that holds the connection (one participant, one connection, one process); a
participant who reconnects elsewhere starts with a full bucket, which a handshake costs anyway.
"""

from __future__ import annotations

import math

from aiolimiter import AsyncLimiter

from server.errors import TooManyAttempts

#: With this many buckets, idle ones (full again: forgetting them changes nothing) are dropped.
SWEEP_AT = 1024


class Throttle:
    def __init__(self, burst: int, per_second: float) -> None:
        self.burst = burst
        self.per_second = per_second
        self._buckets: dict[tuple[str, str], AsyncLimiter] = {}

    async def take(self, session_id: str, participant_id: str) -> None:
        """Spend one event of this participant's allowance, or refuse it (nothing is spent)."""
        key = (session_id, participant_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= SWEEP_AT:
                self._sweep()
            bucket = self._buckets[key] = AsyncLimiter(self.burst, self.burst / self.per_second)
        if not bucket.has_capacity():
            raise TooManyAttempts(
                "you are sending too fast; wait a moment and try again",
                retry_after=max(1, math.ceil(1 / self.per_second)),
                reason="rate_limited",
            )
        await bucket.acquire()  # there is capacity: returns without waiting

    def _sweep(self) -> None:
        for key in [k for k, b in self._buckets.items() if b.has_capacity(self.burst)]:
            del self._buckets[key]
