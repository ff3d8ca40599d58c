"""How late the event loop runs what is due: the lag a stalled loop causes everyone in the process.

One loop carries a process's HTTP requests, its Socket.IO events and the RTP it forwards (50
packets a second per participant), so a loop busy for 100 ms with synchronous work (a query on a
blocking driver, a large JSON, a PDF, a garbage collection of big objects) is a 100 ms hiccup in
every call this process carries. Issue #24 asks that stalls be seen before they are mended.

A callback is scheduled every ``interval`` with ``loop.call_at``; when it runs, how late it is is
the lag (the loop cannot run it earlier than its time, only later). Every lag is handed to
``on_lag`` (the ``mediate_event_loop_lag_seconds`` histogram), and the longest since the start is
kept (``mediate_event_loop_longest_stall_seconds``). A stall shorter than the interval that falls
between two ticks is seen as a smaller lag, never missed entirely: the next tick waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: Seconds between two ticks: 20 a second costs nothing measurable and sees any stall over 50 ms whole.
INTERVAL = 0.05


class LoopLag:
    def __init__(self, on_lag: Callable[[float], None], interval: float = INTERVAL) -> None:
        self._on_lag = on_lag
        self._interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        #: The longest lag seen since the start, in seconds.
        self.longest = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._due = loop.time() + self._interval
        self._handle = loop.call_at(self._due, self._tick, loop)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        lag = max(0.0, now - self._due)
        self.longest = max(self.longest, lag)
        self._on_lag(lag)
        self._due = now + self._interval
        self._handle = loop.call_at(self._due, self._tick, loop)
