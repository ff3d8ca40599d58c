"""Login throttling that holds against guesses sent all at once (#19, item 1).

Each attempt *reserves* a failure before its password is checked, in one short transaction
that locks the counter rows it touches, and is refused without any check when a counter says
"not yet". So whatever number of guesses arrive together, at any number of server processes
on one PostgreSQL (or on one SQLite file), only the free attempts reach argon2; a right
password among the rest is refused like the wrong ones. A login that succeeds gives its
reservation back.

What is counted, following the OWASP Authentication Cheat Sheet ("Login Throttling", "Account
Lockout"): growing delays rather than a hard lock, because a lock is a way to lock the
administrator out with five wrong guesses. Three counters, each allowing some failures and then
making each further attempt wait a delay that doubles with each failure (``login_delay_seconds``
… ``login_max_delay_seconds``):

- an account from one client address (``login_max_failures``, 5): the guesser is slowed down,
  while the account's owner at another address logs in as usual;
- one client address, whatever the accounts (``login_address_max_failures``, 20): spraying one
  password over many accounts;
- one account, whatever the addresses (``login_account_max_failures``, 50): guesses from many
  machines. Reaching it takes ten addresses at least, and even then it delays the owner by the
  growing waits only, never a fixed lock.

A counter is forgotten after its last delay and ``login_window_seconds`` of quiet. Unknown
usernames are counted like real ones, so the answers do not reveal which accounts exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import TooManyAttempts
from server.models import LoginThrottle
from server.settings import Settings

#: How many forgotten rows one successful login clears away.
SWEEP = 500


@dataclass(frozen=True)
class Counter:
    key: str
    free: int  # failures allowed before the waits begin


class LoginThrottles:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def counters(self, username: str, address: str) -> list[Counter]:
        """Sorted by key: every transaction locks rows in the same order, so two can never
        wait for each other (no deadlock on PostgreSQL)."""
        s = self._settings
        return sorted(
            [
                Counter(f"account:{username}", s.login_account_max_failures),
                Counter(f"address:{address}", s.login_address_max_failures),
                Counter(f"pair:{address} {username}", s.login_max_failures),
            ],
            key=lambda c: c.key,
        )

    def delay(self, failures: int, free: int) -> timedelta:
        """No wait for the free failures, then the first delay, doubled with each failure after."""
        if failures < free:
            return timedelta(0)
        s = self._settings
        steps = min(failures - free, 32)  # 2**32 × any delay is past any cap
        return timedelta(seconds=min(s.login_delay_seconds * 2**steps, s.login_max_delay_seconds))

    async def reserve(self, db: AsyncSession, username: str, address: str, now: datetime) -> None:
        """Count this attempt as a failure before its password is checked, or refuse it.

        Call in a transaction of its own, committed before the check: the reservation must be
        seen by every other attempt while argon2 runs. Raises TooManyAttempts (429) saying how
        long to wait when any counter says not yet; nothing is then counted.
        """
        insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        states: list[tuple[Counter, int]] = []
        wait = timedelta(0)
        for counter in self.counters(username, address):
            # The insert (a write) takes SQLite's write lock at once, so no other connection can
            # change the rows between our read and our update; on PostgreSQL FOR UPDATE locks the row.
            # (Tried again if a sweep removed a forgotten row between the two.)
            for _ in range(3):
                await db.execute(
                    insert(LoginThrottle)
                    .values(key=counter.key, failures=0, next_at=now, forget_at=now)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
                row = (
                    await db.execute(
                        select(LoginThrottle.failures, LoginThrottle.next_at, LoginThrottle.forget_at)
                        .where(LoginThrottle.key == counter.key)
                        .with_for_update()
                    )
                ).one_or_none()
                if row is not None:
                    break
            else:
                raise RuntimeError(f"the login counter {counter.key!r} vanished three times")
            failures = 0 if row.forget_at <= now else row.failures
            # Within the free failures the last attempt set no delay (its ``next_at`` is its own
            # ``now``, which may be a moment after ours when attempts arrive together): no wait.
            if self.delay(failures, counter.free) and row.next_at > now:
                wait = max(wait, row.next_at - now)
            states.append((counter, failures))
        if wait:
            raise TooManyAttempts(
                "too many failed logins; wait and try again",
                retry_after=max(1, math.ceil(wait.total_seconds())),
                reason="login_throttled",
            )
        window = timedelta(seconds=self._settings.login_window_seconds)
        for counter, failures in states:
            next_at = now + self.delay(failures + 1, counter.free)
            await db.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == counter.key)
                .values(failures=failures + 1, next_at=next_at, forget_at=next_at + window)
            )

    async def succeeded(self, db: AsyncSession, username: str, address: str, now: datetime) -> None:
        """The password was right: the account's counters start over, and the address gets its
        reservation back (so that colleagues behind one office address do not use up its
        allowance by logging in). Not the account's counters at other addresses: those may be a
        guesser's."""
        account, address_key, pair = f"account:{username}", f"address:{address}", f"pair:{address} {username}"
        for key in sorted([account, address_key, pair]):
            if key == address_key:
                row = (
                    await db.execute(select(LoginThrottle.failures).where(LoginThrottle.key == key).with_for_update())
                ).one_or_none()
                if row is not None:
                    failures = max(0, row.failures - 1)
                    values: dict[str, object] = {"failures": failures}
                    if failures < self._settings.login_address_max_failures:
                        values["next_at"] = now
                    await db.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(**values))
            else:
                await db.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
        # Clear away forgotten rows (unknown usernames, addresses long gone). SKIP LOCKED: never
        # wait for a row another login holds, so this cannot deadlock with one (SQLite has one
        # writer at a time and ignores it).
        stale = select(LoginThrottle.key).where(LoginThrottle.forget_at <= now).limit(SWEEP).with_for_update(skip_locked=True)
        await db.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(stale)))
