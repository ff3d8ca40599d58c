"""The evidence ledger: records accepted, chained per case, sequenced into the RFC 6962 log.

Appending happens in two steps so that a crash loses nothing. `append` checks a record and
stores it, with its per-case `seq` and `prev`, as *pending* in the caller's transaction. The
sequencer then moves pending records into the append-only log, computes the tree's new nodes,
and a checkpoint is signed. A crash between the two leaves pending rows that the next round
sequences; a crash inside a round rolls the whole round back.

Several processes may append at once: each case's chain row is locked while its next record is
written, and only one sequencer runs at a time (a PostgreSQL advisory lock, or the one SQLite
connection of the embedded deployment).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.archived import STILL_TAKES, archived_among, refusal
from server.domain.keyring import Keyring
from server.domain.ledger_shapes import BATCH, Appended, Batch, BatchRefused, Submission, key_info, key_row
from server.domain.log_reader import LogReader
from server.errors import Conflict, DomainError, FieldError, InvalidInput
from server.evidence import merkle, note
from server.evidence.records import (
    USER_VERIFIED_TYPES,
    Claim,
    KeyInfo,
    Record,
    RecordError,
    SignatureError,
    body_hash,
    entry_hash,
    make_body,
    parse_time,
    sha256_hex,
)
from server.evidence.signatures import verify_signature
from server.models import (
    EvidenceBody,
    EvidenceChain,
    EvidenceKey,
    EvidenceKeyCase,
    EvidencePending,
    LogCheckpoint,
    LogEntry,
    LogNode,
    utcnow,
)

log = logging.getLogger(__name__)

# After a wake-up the sequencer waits this long, so that a busy log is sequenced in few rounds
# (each round is a transaction competing with appends) while staying well within a second.
GATHER_SECONDS = 0.25
PARALLEL_CHECKS = 32  # from this many records in one batch, check them in two threads
MAX_ENTRY_BYTES = 60_000  # entry bundles length-prefix entries with a uint16 (C2SP tlog-tiles)
SEQUENCER_LOCK = 0x6D656469  # "medi": the PostgreSQL advisory lock of the one sequencer


class Ledger(LogReader):
    def __init__(self, maker: async_sessionmaker[AsyncSession], keyring: Keyring, dialect: str, interval: float = 0.5) -> None:
        self._maker = maker
        self._dialect = dialect
        self.keyring = keyring
        self.origin = keyring.origin
        self._interval = interval
        self._sequencing = asyncio.Lock()
        self.wake = asyncio.Event()
        self._queue: asyncio.Queue[tuple[Submission, asyncio.Future[Appended]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        # The platform's own keys, from the keyring: no database lookup to check their signatures.
        self._platform_keys = {info.id: info for info in keyring.infos()}
        #: Told (seconds, records accepted) after each batch is checked and stored: the process's metrics.
        self.on_append: Callable[[float, int], None] | None = None

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect: "postgresql" or "sqlite" (one process)."""
        return self._dialect

    async def adopt_origin(self, origin: str | None) -> bool:
        """Give a provisionally named log the name of the public address, if nothing is logged yet.

        Returns True if the log was renamed. A log with records or checkpoints keeps its name:
        they carry it, and a renamed log would no longer verify (an empty log under a
        provisional name signs no checkpoint, see ``checkpoint``).
        """
        if origin is None or not self.keyring.provisional or origin == self.origin:
            return False
        async with self._maker() as db:
            for table in (LogEntry, EvidencePending, LogCheckpoint):
                if await db.scalar(select(func.count()).select_from(table)):
                    return False
        self.keyring.adopt_origin(origin)
        self.origin = origin
        return True

    # -- keys --------------------------------------------------------------------------------

    async def publish_platform_keys(self) -> None:
        """Make every platform key the keyring ever held known to the database (idempotent)."""
        async with self._maker() as db, db.begin():
            known = {row.id: row for row in await db.scalars(select(EvidenceKey).where(EvidenceKey.holder_kind == "platform"))}
            for info in self.keyring.infos():
                row = known.get(info.id)
                if row is None:
                    db.add(key_row(info))
                elif row.valid_until != info.valid_until:
                    row.valid_until = info.valid_until

    async def keys_for_case(self, db: AsyncSession, case_id: str) -> list[KeyInfo]:
        rows = await db.scalars(
            select(EvidenceKey).where((EvidenceKey.holder_kind == "platform") | (EvidenceKey.case_id == case_id))
        )
        return [key_info(r) for r in rows]

    # -- appending -----------------------------------------------------------------------------

    async def append(
        self,
        db: AsyncSession,
        claim: Claim,
        sigs: list[dict[str, str]],
        body: dict[str, object] | None,
        *,
        new_key: KeyInfo | None = None,
        user_verified: bool = False,
    ) -> Appended:
        """Check a signed claim and store it as the case's next record (pending), in `db`'s transaction."""
        [outcome] = await self.append_many(db, [Submission(claim, sigs, body, new_key, user_verified)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def append_many(self, db: AsyncSession, items: list[Submission]) -> list[Appended | DomainError]:
        """Check and store several records in `db`'s transaction with a fixed number of statements.

        Each record is checked on its own: a refused one gets its error in the result list and
        nothing of it is written, the others go ahead. The checks all come before any write.
        """
        batch: Batch | None = db.info.get(BATCH)
        if batch is not None:
            return await self._stage(db, batch, items)
        began = time.perf_counter()
        outcomes: list[Appended | DomainError | None] = [None] * len(items)
        hashes = [sha256_hex(item.claim.statement) for item in items]
        # Replays: of a logged claim, of a pending one, or twice in this batch.
        seen: set[str] = set()
        for column in (LogEntry.claim_hash, EvidencePending.claim_hash):
            seen |= set(await db.scalars(select(column).where(column.in_(set(hashes)))))
        keys = await self._prefetch_keys(db, items)
        # An archived case takes no record that changes it (server/domain/archived.py): the last door.
        closed = await archived_among(db, {i.claim.case for i in items if i.claim.type not in STILL_TAKES})
        to_check = []
        for i, digest in enumerate(hashes):
            if digest in seen:
                outcomes[i] = Conflict("this claim was recorded already (replay refused)", reason="replayed")
            elif items[i].claim.case in closed and items[i].claim.type not in STILL_TAKES:
                outcomes[i] = refusal()
            else:
                seen.add(digest)
                to_check.append(i)
        if len(to_check) >= PARALLEL_CHECKS:
            # Signature checks release the GIL: two threads use both cores, and the event loop
            # (which carries live sessions) is not held up by a large batch.
            halves = [to_check[::2], to_check[1::2]]
            for found in await asyncio.gather(*(asyncio.to_thread(self._check_many, items, half, keys) for half in halves)):
                for i, exc in found:
                    outcomes[i] = exc
        else:
            for i, exc in self._check_many(items, to_check, keys):
                outcomes[i] = exc
        accepted = [i for i, o in enumerate(outcomes) if o is None]
        if not accepted:
            return [o for o in outcomes if o is not None]
        chains = await self._lock_chains(db, {items[i].claim.case for i in accepted})
        pending, bodies, new_keys = [], [], []
        for i in accepted:
            item, chain = items[i], chains[items[i].claim.case]
            record = Record(item.claim, chain.last_seq + 1, chain.last_entry_hash or None, item.sigs)
            entry = record.entry
            if len(entry) > MAX_ENTRY_BYTES:
                outcomes[i] = InvalidInput("the record is too large", [FieldError("claim", f"at most {MAX_ENTRY_BYTES} bytes")])
                continue
            chain.last_seq, chain.last_entry_hash = record.seq, entry_hash(entry)
            pending.append(
                {
                    "case_id": item.claim.case,
                    "seq": record.seq,
                    "type": item.claim.type,
                    "claim_hash": hashes[i],
                    "entry": entry,
                    "accepted_at": utcnow(),
                }
            )
            if item.body is not None:
                bodies.append({"claim_hash": hashes[i], "case_id": item.claim.case, "body": item.body})
            if item.new_key is not None:
                new_keys.append(item)
            outcomes[i] = Appended(record, hashes[i])
        if pending:
            await db.execute(insert(EvidencePending), pending)
        if bodies:
            await db.execute(insert(EvidenceBody), bodies)
        await self._write_new_keys(db, new_keys)
        await db.flush()
        self.wake.set()
        if self.on_append is not None:
            self.on_append(time.perf_counter() - began, len(pending))
        return [o for o in outcomes if o is not None]

    async def _stage(self, db: AsyncSession, batch: Batch, items: list[Submission]) -> list[Appended | DomainError]:
        """``append_many`` inside a group-commit transaction: check now, write at the batch's end.

        Everything that needs no other row is checked now (form, origin, body, signatures, size,
        a replay within the batch), so a bad record fails its own request at once. The chain is
        locked now, the first time the batch meets the case, and the record gets its ``seq`` and
        ``prev`` now: the request may name them in the rows it writes next. The checks against
        other rows (a replay of a logged claim, an archived case) and every write wait for
        ``finish_batch``; should one of those checks refuse, the whole batch is rolled back and
        run again one request at a time (``BatchRefused``), so nothing is saved that would not
        have been saved alone.
        """
        outcomes: list[Appended | DomainError | None] = [None] * len(items)
        hashes = [sha256_hex(item.claim.statement) for item in items]
        keys = await self._prefetch_keys(db, items)
        to_check = []
        for i, digest in enumerate(hashes):
            if digest in batch.hashes:
                outcomes[i] = Conflict("this claim was recorded already (replay refused)", reason="replayed")
            else:
                batch.hashes.add(digest)
                to_check.append(i)
        for i, exc in self._check_many(items, to_check, keys):
            outcomes[i] = exc
            batch.hashes.discard(hashes[i])
        accepted = [i for i, o in enumerate(outcomes) if o is None]
        unlocked = {items[i].claim.case for i in accepted} - set(batch.chains)
        if unlocked:
            for case_id, chain in (await self._lock_chains(db, unlocked)).items():
                batch.chains[case_id] = (chain.last_seq, chain.last_entry_hash)
        for i in accepted:
            item = items[i]
            last_seq, last_hash = batch.chains[item.claim.case]
            record = Record(item.claim, last_seq + 1, last_hash or None, item.sigs)
            entry = record.entry
            if len(entry) > MAX_ENTRY_BYTES:
                outcomes[i] = InvalidInput("the record is too large", [FieldError("claim", f"at most {MAX_ENTRY_BYTES} bytes")])
                batch.hashes.discard(hashes[i])
                continue
            batch.chains[item.claim.case] = (record.seq, entry_hash(entry))
            if item.claim.type not in STILL_TAKES:
                batch.changes.add(item.claim.case)
            batch.pending.append(
                {
                    "case_id": item.claim.case,
                    "seq": record.seq,
                    "type": item.claim.type,
                    "claim_hash": hashes[i],
                    "entry": entry,
                    "accepted_at": utcnow(),
                }
            )
            if item.body is not None:
                batch.bodies.append({"claim_hash": hashes[i], "case_id": item.claim.case, "body": item.body})
            if item.new_key is not None:
                batch.new_keys.append(item)
            outcomes[i] = Appended(record, hashes[i])
        return [o for o in outcomes if o is not None]

    async def lock_chains(self, db: AsyncSession, batch: Batch, case_ids: set[str]) -> None:
        """Lock these cases' chains for the batch at once (the cases its units said they append to)."""
        if case_ids:
            for case_id, chain in (await self._lock_chains(db, case_ids)).items():
                batch.chains[case_id] = (chain.last_seq, chain.last_entry_hash)

    async def finish_batch(self, db: AsyncSession, batch: Batch) -> None:
        """Check what ``_stage`` put off and write the batch's records, bodies, keys and chains.

        Raises ``BatchRefused`` (nothing written) if a record replays a stored claim or changes
        an archived case.
        """
        if not batch.pending:
            return
        moved = {case_id for case_id in (row["case_id"] for row in batch.pending) if isinstance(case_id, str)}
        for column in (LogEntry.claim_hash, EvidencePending.claim_hash):
            if await db.scalar(select(column).where(column.in_(batch.hashes)).limit(1)) is not None:
                raise BatchRefused("a record of the batch replays a stored claim")
        if await archived_among(db, batch.changes):
            raise BatchRefused("a record of the batch changes an archived case")
        await db.execute(insert(EvidencePending), batch.pending)
        if batch.bodies:
            await db.execute(insert(EvidenceBody), batch.bodies)
        await self._write_new_keys(db, batch.new_keys)
        await db.execute(
            update(EvidenceChain),
            [{"case_id": c, "last_seq": seq, "last_entry_hash": h} for c, (seq, h) in batch.chains.items() if c in moved],
        )
        await db.flush()
        self.wake.set()
        if self.on_append is not None:
            self.on_append(time.perf_counter() - batch.began, len(batch.pending))

    async def _write_new_keys(self, db: AsyncSession, new_keys: list[Submission]) -> None:
        if not new_keys:
            return
        registered = set(
            await db.scalars(select(EvidenceKey.id).where(EvidenceKey.id.in_([i.new_key.id for i in new_keys if i.new_key])))
        )
        for item in new_keys:
            assert item.new_key is not None
            if item.new_key.id in registered:
                # A key registered on a staff account: this case joins the ones it serves.
                db.add(EvidenceKeyCase(key_id=item.new_key.id, case_id=item.claim.case))
            else:
                db.add(key_row(item.new_key, item.claim.case))

    async def append_platform(
        self,
        db: AsyncSession,
        *,
        type: str,
        case: str,
        actor: dict[str, str],
        data: dict[str, object],
        public: dict[str, object] | None = None,
    ) -> Appended:
        """A record the platform itself vouches for (signed with the platform key)."""
        item = self.platform_submission(type=type, case=case, actor=actor, data=data, public=public)
        return await self.append(db, item.claim, item.sigs, item.body)

    def platform_submission(
        self, *, type: str, case: str, actor: dict[str, str], data: dict[str, object], public: dict[str, object] | None = None
    ) -> Submission:
        """A platform record signed and ready for ``append_many``: several chains' records in one batch lock
        their chains in one statement (two organisations' statistics streams at a referral, never in turn)."""
        body = make_body(data)
        claim = Claim(self.origin, type, case, actor, body_hash(body), public or {})
        return Submission(claim, [self.keyring.signer("platform").sign(claim.statement)], body)

    async def submit(
        self,
        claim: Claim,
        sigs: list[dict[str, str]],
        body: dict[str, object] | None,
        *,
        new_key: KeyInfo | None = None,
    ) -> Appended:
        """Append outside any caller transaction, sharing one transaction with concurrent submitters.

        For records that stand alone (consents, signatures, segment manifests): a single writer
        takes whatever has queued and appends it with `append_many` in one transaction (group
        commit), so many sessions recording at once cost one commit, not one each. A refused
        submission fails alone; the others in its batch are written.
        """
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        await self._queue.put((Submission(claim, sigs, body, new_key), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return await future

    async def _write_batches(self) -> None:
        while not self._queue.empty():
            batch = [self._queue.get_nowait() for _ in range(min(self._queue.qsize(), 1000))]
            try:
                async with self._maker() as db, db.begin():
                    outcomes = await self.append_many(db, [item for item, _ in batch])
            except Exception as exc:
                log.exception("ledger batch of %d failed", len(batch))
                for _, future in batch:
                    future.set_exception(exc)
                continue
            # Only now, after the commit, is a record really accepted.
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _lock_chains(self, db: AsyncSession, case_ids: set[str]) -> dict[str, EvidenceChain]:
        """Lock the chains of these cases (creating the missing ones) for this transaction."""
        # In the order of their ids: two batches that share chains lock them in the same order, never crosswise.
        query = select(EvidenceChain).where(EvidenceChain.case_id.in_(case_ids)).order_by(EvidenceChain.case_id).with_for_update()
        chains = {c.case_id: c for c in await db.scalars(query)}
        missing = case_ids - set(chains)
        if missing:
            rows = [{"case_id": c, "last_seq": 0, "last_entry_hash": ""} for c in sorted(missing)]
            # Another process may start the same chain at the same moment: skip, then lock theirs.
            dialect_insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
            await db.execute(dialect_insert(EvidenceChain).values(rows).on_conflict_do_nothing())
            chains = {c.case_id: c for c in await db.scalars(query.execution_options(populate_existing=True))}
        return chains

    async def _prefetch_keys(self, db: AsyncSession, items: list[Submission]) -> dict[str, tuple[KeyInfo, set[str]]]:
        """Every key the batch's signatures name, with the cases a person's key is bound for.

        The platform's keys come from memory; people's from two queries.
        """
        keys: dict[str, tuple[KeyInfo, set[str]]] = {k: (info, set()) for k, info in self._platform_keys.items()}
        wanted = {sig.get("key", "") for item in items for sig in item.sigs} - set(keys)
        if wanted:
            for row in await db.scalars(select(EvidenceKey).where(EvidenceKey.id.in_(wanted))):
                keys[row.id] = (key_info(row), {row.case_id} if row.case_id else set())
            for binding in await db.scalars(select(EvidenceKeyCase).where(EvidenceKeyCase.key_id.in_(wanted))):
                if binding.key_id in keys:
                    keys[binding.key_id][1].add(binding.case_id)
        return keys

    def _check_many(
        self, items: list[Submission], indexes: list[int], keys: dict[str, tuple[KeyInfo, set[str]]]
    ) -> list[tuple[int, DomainError]]:
        refused: list[tuple[int, DomainError]] = []
        for i in indexes:
            try:
                self._check(items[i], keys)
            except (InvalidInput, Conflict) as exc:
                refused.append((i, exc))
        return refused

    def _check(self, item: Submission, keys: dict[str, tuple[KeyInfo, set[str]]]) -> None:
        """Form, origin, body and signatures. People sign only with keys bound to them in this case.

        A `key_bound` record is signed by the new key itself (proof of possession) and
        co-signed by the platform, which vouches that the holder proved who they are.
        """
        claim, sigs = item.claim, item.sigs
        if claim.log != self.origin:
            raise InvalidInput("this claim is for another log", [FieldError("claim.log", f"expected {self.origin}")])
        try:
            Claim.from_json(claim.to_json())
        except RecordError as exc:
            raise InvalidInput(f"malformed claim: {exc}", [FieldError("claim", str(exc))]) from None
        if item.body is not None and body_hash(item.body) != claim.body_hash:
            raise InvalidInput("the body does not match the claim's body_hash", [FieldError("body", "hash mismatch")])
        if not sigs:
            raise InvalidInput("a record needs at least one signature", [FieldError("sigs", "empty")])
        when = parse_time(claim.time)
        if abs(utcnow() - when) > timedelta(minutes=10):
            raise InvalidInput("the claim's time is not now", [FieldError("claim.time", "more than 10 minutes off")])
        statement = claim.statement
        kinds: set[str] = set()
        new_key = item.new_key
        for i, sig in enumerate(sigs):
            key: KeyInfo | None = None
            if new_key is not None and sig.get("key") == new_key.id:
                key = new_key
            elif sig.get("key", "") in keys:
                known, bound_cases = keys[sig.get("key", "")]
                if known.holder["kind"] == "platform" or claim.case in bound_cases:
                    key = known
            if key is None:
                raise InvalidInput("unknown signing key", [FieldError(f"sigs.{i}.key", "not bound to this case")])
            if key.purpose != "person" and not key.valid_at(when):
                raise InvalidInput("platform key not valid at this time", [FieldError(f"sigs.{i}.key", "outside its validity")])
            if key.purpose == "person" and (key.holder["kind"], key.holder["id"]) != (claim.actor["kind"], claim.actor["id"]):
                raise InvalidInput("this key belongs to someone else", [FieldError(f"sigs.{i}.key", "not the actor's key")])
            try:
                verify_signature(sig, key, statement, user_verified=item.user_verified or claim.type in USER_VERIFIED_TYPES)
            except SignatureError as exc:
                raise InvalidInput(f"signature rejected: {exc}", [FieldError(f"sigs.{i}", str(exc))]) from None
            kinds.add("new" if new_key is not None and key.id == new_key.id else key.purpose)
        if claim.type == "key_bound":
            if new_key is None or claim.public.get("key", {}).get("id") != new_key.id:
                raise InvalidInput("a key_bound record names the key it binds", [FieldError("claim.public.key", "missing")])
            if not {"new", "platform"} <= kinds:
                raise InvalidInput("a key binding is signed by the new key and the platform", [FieldError("sigs", "need both")])

    # -- sequencing and checkpoints -------------------------------------------------------------

    async def sequence(self, limit: int = 2000) -> int:
        """Move pending records into the log. Returns how many were sequenced."""
        async with self._sequencing, self._maker() as db, db.begin():
            if self._dialect == "postgresql":
                await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
            pending = list(await db.scalars(select(EvidencePending).order_by(EvidencePending.id).limit(limit)))
            if not pending:
                return 0
            size = await self.size(db)
            nodes = await self._nodes(db, merkle.range_nodes(0, size) if size else ())
            new_nodes: dict[tuple[int, int], bytes] = {}
            now = utcnow()
            entries = []
            for offset, row in enumerate(pending):
                index = size + offset
                entries.append(
                    {
                        "idx": index,
                        "case_id": row.case_id,
                        "seq": row.seq,
                        "type": row.type,
                        "claim_hash": row.claim_hash,
                        "entry": row.entry,
                        "sequenced_at": now,
                    }
                )
                level, i, h = 0, index, merkle.leaf_hash(row.entry)
                new_nodes[(0, i)] = h
                while i & 1:
                    left = new_nodes.get((level, i - 1)) or nodes[(level, i - 1)]
                    h = merkle.node_hash(left, h)
                    level, i = level + 1, i >> 1
                    new_nodes[(level, i)] = h
            await db.execute(insert(LogEntry), entries)
            await db.execute(insert(LogNode), [{"level": lv, "idx": ix, "hash": hh} for (lv, ix), hh in new_nodes.items()])
            await db.execute(delete(EvidencePending).where(EvidencePending.id.in_([p.id for p in pending])))
        return len(pending)

    async def checkpoint(self) -> LogCheckpoint | None:
        """Sign a checkpoint for the current size if there is none yet.

        An empty log under a provisional name signs nothing: the name may still change
        (``adopt_origin``), and a checkpoint, like the log, can never be taken back.
        """
        async with self._maker() as db, db.begin():
            size = await self.size(db)
            if size == 0 and self.keyring.provisional:
                return None
            latest = await db.scalar(select(func.max(LogCheckpoint.size)))
            if latest is not None and latest >= size:
                return None
            root = await self.root(db, size)
            body = note.Checkpoint(self.origin, size, root).format()
            signed = note.sign_note(body, self.keyring.note_signer())
            row = LogCheckpoint(size=size, root=root.hex(), note=signed, created_at=utcnow())
            try:
                async with db.begin_nested():
                    db.add(row)
            except IntegrityError:
                return None  # another process signed this size
            return row

    async def settle(self) -> LogCheckpoint | None:
        """Sequence everything pending and sign a checkpoint (used by export, tests, shutdown)."""
        while await self.sequence():
            pass
        await self.checkpoint()
        return await self.latest_checkpoint_row()

    async def run(self, stop: asyncio.Event) -> None:
        """The background sequencer: a round whenever records arrive, and at least every interval."""
        while not stop.is_set():
            # Cleared before the round, so that appends arriving during it wake the next one.
            self.wake.clear()
            try:
                await self.sequence()
                await self.checkpoint()
            except Exception:
                log.exception("ledger round failed")
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            if self.wake.is_set() and not stop.is_set():
                await asyncio.sleep(GATHER_SECONDS)  # gather appends into fewer, larger rounds
