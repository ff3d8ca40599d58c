"""Login throttling holds against guesses sent all at once (#19, item 1).

An outside probe sent 40 and 100 wrong passwords for one account at the same moment: every one
was checked, and a right password hidden among them logged in, because the count of failures
was read before argon2 ran and written after. Attempts are now reserved before the password is
checked, atomically on SQLite and PostgreSQL and across processes; after the free attempts, an
account is refused from that address without a check until a delay passes, and the delay
doubles with each further failure (OWASP Authentication Cheat Sheet, "Account Lockout": growing
delays rather than a hard lock that anyone could use to lock the administrator out).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.models import utcnow
from server.services import SERVICES
from tests.conftest import PASSWORD, World
from tests.signaling.live import eventually

LOGIN = "/api/v1/auth/login"
ATTACKER = "198.51.100.23"
ELSEWHERE = "203.0.113.7"


class Clock:
    """The login throttle's clock, advanced by the test instead of sleeping for minutes."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(world: World) -> Clock:
    clock = Clock()
    world.services.accounts.clock = clock
    return clock


async def attempt(
    client: TestClient[Any, Any], username: str, password: str, address: str = ATTACKER
) -> tuple[int, Any, str | None]:
    """One login from ``address``: the test server is reached through loopback, a trusted proxy
    by default, so ``X-Forwarded-For`` names the client as nginx would."""
    response = await client.post(LOGIN, json={"username": username, "password": password}, headers={"X-Forwarded-For": address})
    return response.status, await response.json(), response.headers.get("Retry-After")


@pytest.mark.parametrize("size", [40, 100])
async def test_a_right_password_hidden_in_a_burst_of_wrong_ones_does_not_log_in(
    world: World, clock: Clock, aiohttp_server: Any, aiohttp_client: Any, size: int
) -> None:
    # Two server processes on one database: half the burst goes to each.
    second = create_app(world.services.settings, migrate=False, run_background=False)
    second[SERVICES].accounts.clock = clock  # both processes read one (stopped) clock
    other = await aiohttp_server(second)
    clients = [(await world.actor()).client, await aiohttp_client(other)]
    wrong = [asyncio.create_task(attempt(clients[n % 2], "admin1", f"guess-{n:03d}-wrong")) for n in range(size - 1)]
    # The right password goes in while the burst is still being answered, once the free attempts
    # are spent (the first refusal says so): sent earlier it would rightly be one of the free ones.
    # Before the fix no guess of the burst was ever refused, and all of them were checked.
    await eventually(lambda: any(t.done() and t.result()[0] == 429 for t in wrong), within=60)
    right = await attempt(clients[size % 2], "admin1", PASSWORD)
    answers = [*await asyncio.gather(*wrong), right]
    statuses = [status for status, _, _ in answers]
    seen = f"answers in order sent: {statuses}; others: {[b for s, b, _ in answers if s not in (401, 429)]}"
    assert right[0] == 429, f"the right password, sent amid the burst, is refused ({seen})"
    assert statuses.count(401) == world.services.settings.login_max_failures, f"only the free attempts were checked ({seen})"
    assert statuses.count(429) == size - world.services.settings.login_max_failures, seen
    for status, body, retry_after in answers:
        if status == 429:
            assert body["error"]["code"] == "too_many_attempts" and body["error"]["reason"] == "login_throttled"
            assert retry_after is not None and int(retry_after) == body["error"]["retry_after"] > 0

    # The same address stays refused, even with the right password…
    assert (await attempt(clients[0], "admin1", PASSWORD))[0] == 429
    # …but the administrator, elsewhere, logs in: a burst from one address locks nobody out.
    assert (await attempt(clients[1], "admin1", PASSWORD, address=ELSEWHERE))[0] == 200


async def test_the_delay_doubles_with_each_failure_and_then_is_forgotten(world: World, clock: Clock) -> None:
    settings = world.services.settings
    client = (await world.actor()).client
    for _ in range(settings.login_max_failures):
        assert (await attempt(client, "liu", "guess-guess"))[0] == 401
    status, _, retry_after = await attempt(client, "liu", PASSWORD)
    assert status == 429 and int(retry_after or 0) == settings.login_delay_seconds
    waits = []
    for _ in range(3):
        clock.advance(int(retry_after or 0))
        assert (await attempt(client, "liu", "guess-guess"))[0] == 401, "after the delay, one more guess is checked"
        status, _, retry_after = await attempt(client, "liu", PASSWORD)
        assert status == 429
        waits.append(int(retry_after or 0))
    base = settings.login_delay_seconds
    assert waits == [2 * base, 4 * base, 8 * base]
    # Once the delay has passed, the right password logs in; the account starts afresh.
    clock.advance(waits[-1])
    assert (await attempt(client, "liu", PASSWORD))[0] == 200
    client = (await world.actor()).client  # logged out again (a logged-in browser's POSTs need its CSRF token)
    for _ in range(settings.login_max_failures):
        assert (await attempt(client, "liu", "guess-guess"))[0] == 401
    assert (await attempt(client, "liu", "guess-guess"))[0] == 429
    # Quiet for the window after the delay: the failures are forgotten.
    clock.advance(settings.login_delay_seconds + settings.login_window_seconds)
    for _ in range(settings.login_max_failures):
        assert (await attempt(client, "liu", "guess-guess"))[0] == 401


async def test_one_address_guessing_many_accounts_is_slowed_down(world: World, clock: Clock) -> None:
    settings = world.services.settings
    client = (await world.actor()).client
    for n in range(settings.login_address_max_failures):
        assert (await attempt(client, f"user{n}", "guess-guess"))[0] == 401
    status, body, retry_after = await attempt(client, "wang", PASSWORD)
    assert status == 429 and body["error"]["reason"] == "login_throttled" and int(retry_after or 0) > 0
    assert (await attempt(client, "wang", PASSWORD, address=ELSEWHERE))[0] == 200


async def test_many_addresses_guessing_one_account_slow_it_down_for_all(world: World, clock: Clock) -> None:
    settings = world.services.settings
    client = (await world.actor()).client
    per_address = settings.login_max_failures
    addresses = [f"192.0.2.{n}" for n in range(1, 1 + settings.login_account_max_failures // per_address)]
    for address in addresses:
        for _ in range(per_address):
            assert (await attempt(client, "judge1", "guess-guess", address=address))[0] == 401
    status, _, retry_after = await attempt(client, "judge1", PASSWORD, address=ELSEWHERE)
    assert status == 429 and int(retry_after or 0) == settings.login_delay_seconds
    clock.advance(settings.login_delay_seconds)
    assert (await attempt(client, "judge1", PASSWORD, address=ELSEWHERE))[0] == 200


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
    world: World, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    """Without a trusted proxy in front, anyone could name a new address with each guess."""
    direct = replace(world.services.settings, trusted_proxies=())
    client = await aiohttp_client(await aiohttp_server(create_app(direct, migrate=False, run_background=False)))
    for n in range(direct.login_max_failures):
        assert (await attempt(client, "liu", "guess-guess", address=f"192.0.2.{n}"))[0] == 401
    assert (await attempt(client, "liu", PASSWORD, address=ELSEWHERE))[0] == 429


async def test_what_a_client_writes_into_x_forwarded_for_does_not_give_it_a_fresh_address(world: World, clock: Clock) -> None:
    """nginx appends the address it was reached from; whatever the client put before it is ignored,
    and an IPv6 client is counted by its /64 (one subscriber's usual allocation)."""
    settings = world.services.settings
    client = (await world.actor()).client
    for n in range(settings.login_max_failures):
        assert (await attempt(client, "liu", "guess-guess", address=f"192.0.2.{n}, {ATTACKER}"))[0] == 401
    assert (await attempt(client, "liu", PASSWORD, address=f"192.0.2.99, {ATTACKER}"))[0] == 429
    for n in range(settings.login_max_failures):
        assert (await attempt(client, "wang", "guess-guess", address=f"2001:db8:5::{n + 1}"))[0] == 401
    assert (await attempt(client, "wang", PASSWORD, address="2001:db8:5::ffff"))[0] == 429
    assert (await attempt(client, "wang", PASSWORD, address="2001:db8:6::1"))[0] == 200
