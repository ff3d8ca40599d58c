"""Where the event loop was while it stalled: the code to mend, not only the length (issue #24).

``looplag.py`` measures how late the loop runs what is due; it cannot say what kept it busy, because
by the time its tick runs the culprit has returned. This watches from another thread instead: the
loop beats every ``beat`` seconds, and while a beat is late by more than ``threshold`` the thread
takes the loop thread's stack (``sys._current_frames``) every ``beat`` seconds. When the loop beats
again, the stall is over: the samples name the innermost frame of the project's own code (what to
change) and the innermost frame of all (what it was doing: a query, a JSON encoder, a hash), and
``on_stall`` gets them with the stall's length.

Sampling needs the GIL, which the loop thread gives up every ``sys.getswitchinterval()`` (5 ms) while
it runs Python code; inside one long C call that keeps the GIL (a large ``json.dumps``), the thread
samples only once that call returns, so a site names the Python caller of such work and the C call
itself may be missing from the innermost frame. The sampler costs a thread waking every ``beat``
seconds, which is why it is off unless ``stall_trace_ms`` is set (docs/CONFIGURATION.md).
"""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

#: The project's own packages: a site is the innermost frame in one of them.
OWN = tuple(os.sep + name + os.sep for name in ("server", "signaling", "recordings"))
#: Frames of this module and of the loop's machinery are nobody's culprit.
MACHINERY = (os.sep + "asyncio" + os.sep, os.sep + "selectors.py", __file__)
#: Where the loop turns (the standard library's and uvloop's, should it be used).
LOOP_FILES = (os.sep + "base_events.py",)


@dataclass(frozen=True)
class Stall:
    seconds: float
    #: (the project's innermost frame, the innermost frame of all) and how many samples were taken there.
    sites: tuple[tuple[str, str, int], ...]

    def describe(self) -> str:
        if not self.sites:
            return f"event loop blocked {self.seconds * 1000:.0f} ms (no sample: one C call held the GIL)"
        own, inner, count = self.sites[0]
        total = sum(n for _, _, n in self.sites)
        return f"event loop blocked {self.seconds * 1000:.0f} ms, {count}/{total} samples in {place(own, inner)}"


def site(frame: FrameType | None) -> tuple[str, str]:
    """(the innermost frame of the project's code, the innermost frame) of a stack, as ``path:line function``.

    Only the frames the loop is running count: the walk stops at the loop's own ``_run_once``, above
    which sit ``mediate serve`` and ``run_forever`` on every stack."""
    inner = own = ""
    while frame is not None:
        code = frame.f_code
        name = code.co_filename
        if code.co_name == "_run_once" and name.endswith(LOOP_FILES):
            break
        if not name.endswith(MACHINERY):
            here = f"{short(name)}:{frame.f_lineno} {code.co_name}"
            inner = inner or here
            if not own and any(part in name for part in OWN):
                own = here
        frame = frame.f_back
    inner = inner or "the event loop's own work (selectors, callbacks in C)"
    return own or inner, inner


def place(own: str, inner: str) -> str:
    """A site in words: the project's frame, and the innermost one when it is elsewhere."""
    return own if own == inner else f"{own} (in {inner})"


def short(path: str) -> str:
    """A file's path from its package (server/..., aiortc/..., json/...), not the machine's."""
    for marker in (os.sep + "site-packages" + os.sep, *OWN):
        at = path.rfind(marker)
        if at >= 0:
            return path[at + len(marker) :] if marker.endswith("site-packages" + os.sep) else path[at + 1 :]
    return os.path.basename(path)


class StallTrace:
    def __init__(self, threshold: float, on_stall: Callable[[Stall], None], beat: float = 0.005) -> None:
        self._threshold = threshold
        self._on_stall = on_stall
        self._beat = beat
        self._last = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._last = time.monotonic()
        self._handle = loop.call_later(self._beat, self._tick, loop)
        self._thread = threading.Thread(target=self._watch, args=(threading.get_ident(), loop), name="stall-trace", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._handle is not None:
            self._handle.cancel()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._last = time.monotonic()
        self._handle = loop.call_later(self._beat, self._tick, loop)

    def _watch(self, loop_thread: int, loop: asyncio.AbstractEventLoop) -> None:
        samples: collections.Counter[tuple[str, str]] = collections.Counter()
        since: float | None = None
        while not self._stop.wait(self._beat):
            now = time.monotonic()
            late = now - self._last - self._beat
            if late > self._threshold:
                since = self._last if since is None else since
                samples[site(sys._current_frames().get(loop_thread))] += 1
            elif since is not None:
                stall = Stall(self._last - since - self._beat, tuple((o, i, n) for (o, i), n in samples.most_common(5)))
                samples, since = collections.Counter(), None
                loop.call_soon_threadsafe(self._on_stall, stall)
