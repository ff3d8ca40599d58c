"""How long the garbage collector holds the process: a stall no line of the project's code shows.

CPython's cyclic collector runs inside whatever allocates when a generation's count passes its
threshold, and a full (generation 2) collection walks every tracked object: in a server holding
peer connections, ORM sessions and recordings that is hundreds of thousands of objects, and the
event loop waits for all of them. A stall traced to an allocation site (a list comprehension in
aiortc, an ORM row load, a weak set's callback) is then the collector's. ``gc.callbacks`` brackets
every collection; each one's length goes to ``mediate_gc_pause_seconds{generation}`` and the
longest per generation is kept, so a benchmark can tell the collector's pauses from the code's.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


class GcPauses:
    def __init__(self, on_pause: Callable[[int, float], None]) -> None:
        self._on_pause = on_pause
        self._started = 0.0
        #: The longest pause seen per generation, in seconds.
        self.longest: dict[int, float] = {0: 0.0, 1: 0.0, 2: 0.0}

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        generation = int(info.get("generation", 0))
        self.longest[generation] = max(self.longest.get(generation, 0.0), pause)
        self._on_pause(generation, pause)


def freeze_startup_heap() -> int:
    """Leave what start-up made out of every later collection; returns how many objects that is.

    After ``mediate serve`` has imported its libraries and composed its services, about 250,000
    objects are alive, nearly all for the life of the process (modules, classes, functions, the
    settings, the ORM's mappers). Each full collection walked them all: 200-400 ms on this machine,
    the longest event-loop stalls ``mediate bench media`` saw (#24). ``gc.freeze`` moves them to a
    permanent generation that collections skip (the CPython documentation recommends it for a
    server after start-up); objects made later are collected as before. Not for tests, whose
    processes start many applications: what each leaves behind would never be collected.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
