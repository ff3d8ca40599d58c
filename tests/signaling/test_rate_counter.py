"""The compact rate counter (signaling/aiortc_hooks.py) answers exactly as aiortc's own.

A subscriber-facing browser ramps its video up or down on the REMB the server sends, which comes
from this counter: any difference would change what a publisher sends, so every answer is compared
with aiortc's ``RateCounter`` on random traffic (packet sizes, gaps within and beyond the window,
resets), and the estimator built after the swap is checked to use the compact one.
"""

from __future__ import annotations

import inspect

import aiortc.rate
from hypothesis import given, settings
from hypothesis import strategies as st

from signaling import aiortc_hooks

steps = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "add", "rate", "reset"]),
        st.one_of(st.integers(0, 40), st.integers(900, 2500)),  # gaps within and beyond the window (ms)
        st.integers(0, 1500),  # a packet's payload size
    ),
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(window=st.sampled_from([1000, 16, 7]), start=st.integers(0, 10**9), traffic=steps)
def test_the_compact_counter_answers_as_aiortcs(window: int, start: int, traffic: list[tuple[str, int, int]]) -> None:
    theirs = aiortc_hooks.AIORTC_RATE_COUNTER(window, 8000)
    ours = aiortc_hooks.CompactRateCounter(window, 8000)
    now = start
    for op, gap, size in traffic:
        now += gap
        if op == "add":
            theirs.add(size, now)
            ours.add(size, now)
        elif op == "rate":
            assert ours.rate(now) == theirs.rate(now)
        else:
            theirs.reset()
            ours.reset()
    assert ours.rate(now) == theirs.rate(now)
    assert ours.rate(now + window + 5) == theirs.rate(now + window + 5)


def test_estimators_made_after_the_swap_use_the_compact_counter() -> None:
    aiortc_hooks.compact_rate_counters()
    assert isinstance(aiortc.rate.RemoteBitrateEstimator().incoming_bitrate, aiortc_hooks.CompactRateCounter)
    assert "RateCounter(1000, 8000)" in inspect.getsource(aiortc.rate.RemoteBitrateEstimator.__init__)
