"""A stop that takes too long says where it is stuck, and the process still ends.

A rolling restart (systemd, Kubernetes) sends SIGTERM and, after its own limit, SIGKILL: a
process stuck on its way out loses whatever it had not finished and leaves no word of why. So
once stopping begins, every ``report_every`` seconds the coroutines still waiting are logged
with where each waits, and after ``limit`` seconds the standard library's ``faulthandler``
writes every thread's stack to stderr and ends the process (exit status 1): a thread that never
returns keeps ``asyncio.run`` from finishing, and only a thread dump shows which one.

Recordings are finished and signed during the drain, before any of this can fire, so ending the
process here loses no recording (``server.ops.lifecycle``, ``signaling/failover.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import sys
from collections.abc import AsyncIterator

log = logging.getLogger("mediate")


def arm(limit: float) -> None:
    """After ``limit`` seconds, dump every thread's stack and end the process (unless it ended)."""
    faulthandler.dump_traceback_later(limit, exit=True, file=sys.stderr)


def disarm() -> None:
    faulthandler.cancel_dump_traceback_later()


def waiting_tasks() -> list[str]:
    """Each pending task but this one, with the innermost line it waits on."""
    current = asyncio.current_task()
    lines = []
    for task in asyncio.all_tasks():
        if task is current or task.done():
            continue
        frames = task.get_stack()
        where = f"{frames[-1].f_code.co_filename}:{frames[-1].f_lineno} in {frames[-1].f_code.co_name}" if frames else "?"
        lines.append(f"{task.get_name()} ({task.get_coro()!r:.80}) at {where}")
    return sorted(lines)


async def _report(every: float) -> None:
    waited = 0.0
    while True:
        await asyncio.sleep(every)
        waited += every
        pending = waiting_tasks()
        log.warning("stopping: still waiting after %.0fs on %d task(s):\n  %s", waited, len(pending), "\n  ".join(pending))


@contextlib.asynccontextmanager
async def reporting(every: float) -> AsyncIterator[None]:
    """While the body runs, log what the process is still waiting on every ``every`` seconds."""
    reporter = asyncio.create_task(_report(every), name="stop-reporter")
    try:
        yield
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
