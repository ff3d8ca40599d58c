"""Wrong PINs are limited per calling number and from all callers together (signaling/telephony/call.py)."""

from __future__ import annotations

import pytest

from signaling.telephony.call import PinGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_number_with_too_many_wrong_pins_is_refused_until_its_window_passes(clock: Clock) -> None:
    guard = PinGuard(limit=5, window_seconds=900, clock=clock)
    for _ in range(4):
        guard.failed("13800000001")
    assert not guard.blocked("13800000001")
    guard.failed("13800000001")
    assert guard.blocked("13800000001")
    assert not guard.blocked("13800000002")  # another number is not held to it
    clock.now += 901
    assert not guard.blocked("13800000001")


def test_wrong_pins_from_many_numbers_stop_everyone_guessing_for_a_minute(clock: Clock) -> None:
    """A forged calling number for every guess does not get around the limit over all callers."""
    guard = PinGuard(limit=5, overall=30, overall_seconds=60, clock=clock)
    for n in range(29):
        guard.failed(f"1390000{n:04d}")
    assert not guard.blocked("13912345678")
    guard.failed("13900009999")
    assert guard.blocked("13912345678")
    clock.now += 61
    assert not guard.blocked("13912345678")
