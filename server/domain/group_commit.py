"""Group commit for requests: many requests' transactions committed as one, each answered after it.

A request that changes a case and appends its evidence record does both in one transaction, so
that neither is ever saved without the other (CONTRIBUTING.md, "Adding a record kind"). One
transaction per request costs a commit each and, on SQLite's one connection, every statement of
the ledger each time. Here a request hands its transaction's work to ``GroupCommit.run`` as a
function of the session; a writer runs the functions that have queued, one after another, in a
single transaction, writes their records together (``Ledger.finish_batch``), commits once, and
only then answers each request: a request still returns only once its record and its change are
durable.

When something fails the batch falls back to what a request alone would do, so that no request
is told of another's failure and nothing is reported saved that was not:

- a unit refuses (raises) before it has written anything (an expired link, a slot taken): that
  is its answer, and the batch goes on without it;
- a unit raises after writing, the database refuses a statement, or a check the ledger leaves to
  the batch's end refuses (``BatchRefused``): the batch is rolled back and each of its units runs
  again in a transaction of its own, answered with its own outcome.
  A unit must therefore do nothing but database work through the session it is given (it may run
  twice; the first run is rolled back), and must not open another session (on SQLite the batch
  holds the only connection);
- the commit itself fails: whether it took effect is then unknown, so every unit of the batch
  fails with that error, as a request's own failed commit does, rather than being run again.

A unit's records are written at the end of the batch: it may use the ``Appended`` the ledger
returns (the record's ``seq``, its claim hash) but not read its own pending record or body back.
So are the rows it keeps for later (server/domain/later.py: history lines, a booking's links and
invitations), one statement per table for the whole batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import later
from server.domain.ledger import Ledger
from server.domain.ledger_shapes import BATCH, Batch

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]

#: Most units in one transaction: a batch's answers all wait for its commit, so a long batch
#: would add to every request's latency what it saves in commits.
MAX_BATCH = 64
#: Batches in flight at once on PostgreSQL: one commits (waiting on the disk) while others run.
GROUP_WRITERS = 4


class GroupCommit:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, *, writers: int = 1) -> None:
        """``writers``: batches in flight at once. SQLite has one connection, so one; PostgreSQL
        commits one batch while the next is being run."""
        self._maker = maker
        self._ledger = ledger
        self._writers = writers
        self._queue: deque[tuple[Work, asyncio.Future[Any], frozenset[str]]] = deque()
        self._running: set[asyncio.Task[None]] = set()
        #: Batches committed and batches run again one unit at a time: for tests and benchmarks.
        self.batches = 0
        self.fallbacks = 0

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]], *, cases: Iterable[str] = ()) -> T:
        """Run ``work(db)`` in a transaction shared with concurrent requests; return its result once committed.

        ``cases``: the cases whose evidence chains ``work`` appends to, when known beforehand; the
        batch locks them all in one statement at its start instead of one at a time. Call it
        holding no session (on SQLite the writer needs the one connection).
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future, frozenset(cases)))
        # (A writer that has just finished is dropped here: its done callback may not have run yet.)
        self._running = {task for task in self._running if not task.done()}
        if len(self._running) < self._writers:
            task = asyncio.create_task(self._write())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await future

    async def _write(self) -> None:
        while self._queue:
            batch: list[tuple[Work, asyncio.Future[Any]]] = []
            cases: set[str] = set()
            while self._queue and len(batch) < MAX_BATCH:
                work, future, named = self._queue.popleft()
                if not future.done():  # a caller that gave up (cancelled) needs nothing run
                    batch.append((work, future))
                    cases |= named
            try:
                if len(batch) == 1:
                    await self._alone(*batch[0])
                elif batch:
                    await self._together(batch, cases)
            except BaseException as exc:  # the writer itself is cancelled (shutdown): nobody waits forever
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("shutting down"))
                raise

    async def _alone(self, work: Work, future: asyncio.Future[Any]) -> None:
        """One unit in its own transaction: exactly what a request without group commit does."""
        try:
            async with self._maker() as db, db.begin():
                later.begin(db)
                result = await work(db)
                await later.insert_kept(db)
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is this request's answer
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)

    async def _together(self, batch: list[tuple[Work, asyncio.Future[Any]]], cases: set[str]) -> None:
        outcomes: list[tuple[bool, Any]] = []  # (succeeded, result or exception), in the batch's order
        async with self._maker() as db:
            db.info[BATCH] = staged = Batch()
            later.begin(db)
            transaction = await db.begin()
            connection = (await db.connection()).sync_connection
            assert connection is not None
            writes = _WriteCounter()
            event.listen(connection, "before_cursor_execute", writes)
            try:
                await self._ledger.lock_chains(db, staged, cases)
                for work, _ in batch:
                    before, staged_before = writes.count, len(staged.pending) + later.kept(db)
                    try:
                        outcomes.append((True, await work(db)))
                    except DBAPIError:
                        raise  # the database refused a statement: on PostgreSQL the transaction is lost
                    except Exception as exc:
                        # A refusal before the unit wrote anything (an expired link, a slot taken)
                        # leaves nothing to undo: it is this unit's answer, and the batch goes on.
                        untouched = not (db.new or db.dirty or db.deleted)
                        staged_now = len(staged.pending) + later.kept(db)
                        if writes.count != before or staged_now != staged_before or not untouched:
                            raise
                        outcomes.append((False, exc))
                await self._ledger.finish_batch(db, staged)
                await later.insert_kept(db)
            except Exception:  # noqa: BLE001 - whatever failed, each unit is run again alone
                event.remove(connection, "before_cursor_execute", writes)
                await transaction.rollback()
                failed = True
            else:
                event.remove(connection, "before_cursor_execute", writes)
                failed = False
                try:
                    await transaction.commit()
                except Exception as exc:
                    # Whether the commit took effect is unknown: report the failure, run nothing again.
                    log.exception("group commit of %d requests failed", len(batch))
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    return
        if failed:
            # Each unit again on its own, so that each gets its own outcome.
            self.fallbacks += 1
            for work, future in batch:
                await self._alone(work, future)
            return
        self.batches += 1
        # Only now, after the commit, is each request's change (and record) really saved.
        for (_, future), (succeeded, result) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if succeeded:
                future.set_result(result)
            else:
                future.set_exception(result)


class _WriteCounter:
    """Counts the statements other than SELECT that a connection sends (a unit's writes, flushes included)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            self.count += 1
