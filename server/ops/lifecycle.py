"""Whether this process takes new work: starting, ready, or draining on its way out.

A load balancer asks ``/readyz``; when the process is told to stop (SIGTERM) it drains first:
it stops admitting anyone new, finishes and signs its recordings, and tells the people connected
to come back (to another process, or to this one restarted), before the HTTP server closes.
Whoever has something to finish registers a drainer; they run in registration order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["starting", "ready", "draining"]
Drainer = Callable[[], Awaitable[None]]


class Lifecycle:
    def __init__(self) -> None:
        self.state: State = "starting"
        self._drainers: list[tuple[str, Drainer]] = []

    @property
    def draining(self) -> bool:
        return self.state == "draining"

    def ready(self) -> None:
        if self.state == "starting":
            self.state = "ready"

    def on_drain(self, name: str, drainer: Drainer) -> None:
        self._drainers.append((name, drainer))

    async def drain(self) -> None:
        """Run every drainer once; one that fails does not keep the others from running."""
        if self.state == "draining":
            return
        self.state = "draining"
        for name, drainer in self._drainers:
            try:
                await drainer()
            except Exception:
                log.exception("draining: %s failed", name)
