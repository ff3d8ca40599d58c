"""Work started and not awaited (a renegotiation, a grace-period expiry, a keyframe request).

asyncio keeps only weak references to tasks, so a task nobody holds may vanish mid-way; and an
exception in one nobody awaits is lost. ``Background`` holds its tasks until they finish and
logs what they raise.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable


class Background:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:  # noqa: BLE001 - logged with its traceback; nobody else would see it
                self._log.exception("%s failed", self._what)

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
