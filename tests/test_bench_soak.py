"""What `mediate bench soak` concludes from the server's memory, minute by minute (issue #24).

A server's memory rises while its caches and pools fill, then should level off; one that keeps
rising after the first third of a long run is leaking, and the benchmark's last line must say which."""

from __future__ import annotations

from server.bench.soak import verdict


def test_memory_that_levels_off_after_warming_up_held_steady() -> None:
    minutes = [(m, 200 + min(m, 20) * 10 + (m % 3)) for m in range(1, 61)]  # warms up over 20 minutes, then flat
    line = verdict([(float(m), float(mb)) for m, mb in minutes])
    assert line.startswith("after the first third memory held steady"), line


def test_memory_that_keeps_rising_kept_growing_and_says_by_how_much() -> None:
    minutes = [(float(m), 300.0 + 2.0 * m) for m in range(1, 61)]  # 2 MB a minute, all along
    line = verdict(minutes)
    assert line.startswith("after the first third memory kept growing"), line
    assert "+120 MB/hour" in line, line


def test_a_run_too_short_says_so() -> None:
    assert verdict([(1.0, 300.0), (2.0, 310.0)]).startswith("too short")
