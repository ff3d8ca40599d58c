"""Where a stalled event loop was (server/ops/stalltrace.py): the site to mend, with the stall's length.

An operator chasing video hiccups sets MEDIATE_STALL_TRACE_MS and reads, in the log and in
/metrics, which code held the loop; these tests hold a loop on purpose and check that the trace
names that code and roughly how long it held it, and says nothing when the loop kept beating."""

from __future__ import annotations

import asyncio
import time

from server.ops.stalltrace import Stall, StallTrace, short, site


def hold_the_loop(seconds: float) -> None:
    """Synchronous work on the loop, as a blocking query or a PDF rendered there would be."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(1000))


async def traced(work: float, threshold: float = 0.02) -> list[Stall]:
    stalls: list[Stall] = []
    trace = StallTrace(threshold, stalls.append)
    trace.start()
    try:
        hold_the_loop(work)
        # The stall is reported once the loop beats again; wait for that, not for a fixed time.
        for _ in range(200):
            if stalls:
                break
            await asyncio.sleep(0.01)
    finally:
        trace.stop()
    return stalls


async def test_a_stall_is_traced_to_the_function_that_held_the_loop() -> None:
    # A loaded machine may add stalls of its own (the process waiting for a core): find the one held here.
    stalls = await traced(0.6, threshold=0.1)
    held = [s for s in stalls if s.sites and "hold_the_loop" in s.sites[0][0]]
    assert len(held) == 1, [s.describe() for s in stalls]
    [stall] = held
    assert 0.4 <= stall.seconds <= 2.0, stall
    own, _, count = stall.sites[0]
    assert "test_stall_trace.py" in own and "hold_the_loop" in own, stall.sites
    assert count >= 3 and stall.describe().startswith("event loop blocked "), stall.describe()
    assert "hold_the_loop" in stall.describe()


async def test_a_loop_that_keeps_beating_reports_no_stall() -> None:
    assert await traced(0.0, threshold=0.5) == []


def test_a_site_names_the_projects_frame_and_the_innermost_one() -> None:
    from server.evidence import merkle

    def inner_most() -> tuple[str, str]:
        import sys

        return site(sys._getframe())

    own, inner = inner_most()
    assert "inner_most" in inner and own == inner  # no frame of server/, signaling/ or recordings/ here
    # From a project module, the path is the package's, not the machine's.
    assert short(merkle.__file__) == "server/evidence/merkle.py"
    assert short("/usr/lib/python3/site-packages/aiortc/rtcrtpsender.py") == "aiortc/rtcrtpsender.py"
