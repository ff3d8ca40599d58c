"""Wrong PINs are limited per calling number and from all callers together (signaling/telephony/pin_guard.py),
in one process and, on Redis, across processes: two guards on one Redis stand for two server processes, and a
guesser spreading calls over them gets no more tries than against one.

The Redis cases run against the machine's Redis (MEDIATE_TEST_REDIS_URL, set by scripts/test), under keys of
their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from signaling.telephony.pin_guard import LocalPinGuard, PinGuard, RedisPinGuard

REDIS_URL = os.environ.get("MEDIATE_TEST_REDIS_URL", "").strip()
KINDS = ["local"] + (["redis"] if REDIS_URL else [])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Maker = Callable[..., PinGuard]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=KINDS)
async def guards(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[Maker]:
    """Makes guards that count together: one for the local kind, two processes' on one Redis for the other."""
    if request.param == "local":
        made: dict[str, LocalPinGuard] = {}

        def local(**limits: float) -> PinGuard:
            return made.setdefault("one", LocalPinGuard(clock=clock, **limits))  # type: ignore[arg-type]

        yield local
        return
    prefix = f"mediate-test-{uuid.uuid4().hex}"
    client = Redis.from_url(REDIS_URL)

    def shared(**limits: float) -> PinGuard:
        return RedisPinGuard(client, prefix, clock=clock, **limits)  # type: ignore[arg-type]

    yield shared
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_a_number_with_too_many_wrong_pins_is_refused_until_its_window_passes(guards: Maker, clock: Clock) -> None:
    one, two = guards(limit=5, window_seconds=900), guards(limit=5, window_seconds=900)
    for guard in (one, two, one, two):
        await guard.failed("13800000001")
    assert not await one.blocked("13800000001")
    await two.failed("13800000001")
    assert await one.blocked("13800000001") and await two.blocked("13800000001")
    assert not await one.blocked("13800000002")  # another number is not held to it
    clock.now += 901
    assert not await two.blocked("13800000001")


async def test_wrong_pins_from_many_numbers_stop_everyone_guessing_for_a_minute(guards: Maker, clock: Clock) -> None:
    """A forged calling number for every guess does not get around the limit over all callers."""
    one, two = guards(limit=5, overall=30, overall_seconds=60), guards(limit=5, overall=30, overall_seconds=60)
    for n in range(29):
        await (one if n % 2 else two).failed(f"1390000{n:04d}")
    assert not await one.blocked("13912345678")
    await one.failed("13900009999")
    assert await two.blocked("13912345678")
    clock.now += 61
    assert not await one.blocked("13912345678")
