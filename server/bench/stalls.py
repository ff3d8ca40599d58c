"""The event-loop stalls of a `mediate serve` process over one phase of a benchmark (issue #24).

Read from the process's own /metrics (server/ops/looplag.py): the ``mediate_event_loop_lag_seconds``
histogram's buckets before and after the phase give how many lags fell in each range during it,
and ``mediate_event_loop_longest_stall_seconds`` (the longest since the start) gives the exact
length when the phase set a new longest. Otherwise only the range of the phase's longest is known,
and the line says so rather than print a number it does not have.
"""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

#: A lag over this is a hiccup in forwarded media (issue #24's target for every phase below saturation).
TARGET = 0.020


class Stalls:
    def __init__(self, base: str) -> None:
        self._base = base
        self._buckets: dict[float, float] = {}
        self._longest = 0.0

    async def _read(self) -> tuple[dict[float, float], float]:
        async with aiohttp.ClientSession() as http, http.get(f"{self._base}/metrics") as response:
            text = await response.text()
        buckets: dict[float, float] = {}
        longest = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "mediate_event_loop_lag_seconds_bucket":
                    buckets[float(sample.labels["le"])] = sample.value
                elif sample.name == "mediate_event_loop_longest_stall_seconds":
                    longest = sample.value
        return buckets, longest

    async def mark(self) -> None:
        """The phase starts now."""
        self._buckets, self._longest = await self._read()

    async def line(self) -> str:
        """The phase's longest stall and how many lags passed the target, since ``mark``."""
        buckets, longest = await self._read()
        bounds = sorted(buckets)
        # Cumulative counts: the lags of the phase at or under each bound.
        during = {b: buckets[b] - self._buckets.get(b, 0.0) for b in bounds}
        total = during[bounds[-1]] if bounds else 0.0
        over = total - during.get(TARGET, total)
        if longest > self._longest:
            worst = f"{longest * 1000:.0f} ms"
        else:
            lower = 0.0
            for bound in bounds:
                if during[bound] >= total:
                    worst = f"under {bound * 1000:.0f} ms" if lower == 0.0 else f"{lower * 1000:.0f}-{bound * 1000:.0f} ms"
                    break
                lower = bound
            else:
                worst = "unknown"
        self._buckets, self._longest = buckets, longest
        return f"longest event-loop stall {worst}, {over:.0f} over {TARGET * 1000:.0f} ms"
