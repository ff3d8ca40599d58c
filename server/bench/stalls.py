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
#: How many of the places the loop stalled in a phase's line names, the worst first.
SITES = 3


class Stalls:
    def __init__(self, base: str) -> None:
        self._base = base
        self._now_sites: dict[str, float] = {}
        self._now_gc: dict[tuple[str, str], float] = {}
        self._gc: dict[tuple[str, str], float] = {}
        self._buckets: dict[float, float] = {}
        self._longest = 0.0
        self._sites: dict[str, float] = {}

    async def _read(self) -> tuple[dict[float, float], float]:
        async with aiohttp.ClientSession() as http, http.get(f"{self._base}/metrics") as response:
            text = await response.text()
        buckets: dict[float, float] = {}
        sites: dict[str, float] = {}
        gc: dict[tuple[str, str], float] = {}
        longest = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "mediate_event_loop_lag_seconds_bucket":
                    buckets[float(sample.labels["le"])] = sample.value
                elif sample.name == "mediate_event_loop_longest_stall_seconds":
                    longest = sample.value
                elif sample.name == "mediate_event_loop_stall_seconds_total":
                    sites[sample.labels["site"]] = sample.value
                elif sample.name in ("mediate_gc_pause_seconds_sum", "mediate_gc_pause_seconds_count"):
                    gc[(sample.labels["generation"], sample.name.rsplit("_", 1)[1])] = sample.value
        self._now_sites, self._now_gc = sites, gc
        return buckets, longest

    async def mark(self) -> None:
        """The phase starts now."""
        self._buckets, self._longest = await self._read()
        self._sites, self._gc = self._now_sites, self._now_gc

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
        # With MEDIATE_STALL_TRACE_MS set for the server (server/ops/stalltrace.py): where the phase's stalls were.
        spent = {k: v - self._sites.get(k, 0.0) for k, v in self._now_sites.items()}
        self._sites = self._now_sites
        top = sorted(((v, k) for k, v in spent.items() if v > 0), reverse=True)[:SITES]
        where = "".join(f"; {v * 1000:.0f} ms stalled in {k}" for v, k in top)
        # The collector's full collections (server/ops/gcpause.py): a stall of no line of code.
        full = {kind: self._now_gc.get(("2", kind), 0.0) - self._gc.get(("2", kind), 0.0) for kind in ("count", "sum")}
        self._gc = self._now_gc
        if full["count"]:
            where += f"; {full['count']:.0f} full garbage collections, {full['sum'] * 1000:.0f} ms"
        return f"longest event-loop stall {worst}, {over:.0f} over {TARGET * 1000:.0f} ms{where}"
