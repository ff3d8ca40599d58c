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
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.keyring import Keyring
from server.errors import Conflict, FieldError, InvalidInput
from server.evidence import merkle, note
from server.evidence.records import (
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
    verify_signature,
)
from server.models import (
    EvidenceBody,
    EvidenceChain,
    EvidenceKey,
    EvidencePending,
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    LogNode,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_ENTRY_BYTES = 60_000  # entry bundles length-prefix entries with a uint16 (C2SP tlog-tiles)
SEQUENCER_LOCK = 0x6D656469  # "medi": the PostgreSQL advisory lock of the one sequencer
# Record types whose signer must have verified the user (WebAuthn UV flag), not just presence.
USER_VERIFIED_TYPES = frozenset({"consent", "signature", "confirmation_decided", "confirmation_applied"})


@dataclass(frozen=True)
class Appended:
    record: Record
    claim_hash: str


def key_row(info: KeyInfo, case_id: str | None = None) -> EvidenceKey:
    return EvidenceKey(
        id=info.id, alg=info.alg, purpose=info.purpose, spki=info.spki, holder_kind=info.holder["kind"],
        holder_id=info.holder["id"], holder_role=info.holder.get("role"), case_id=case_id,
        valid_from=info.valid_from, valid_until=info.valid_until, webauthn=info.webauthn,
        sign_count=int((info.webauthn or {}).get("sign_count", 0)),
    )


def key_info(row: EvidenceKey) -> KeyInfo:
    holder = {"kind": row.holder_kind, "id": row.holder_id}
    if row.holder_role:
        holder["role"] = row.holder_role
    return KeyInfo(row.id, row.alg, row.spki, row.purpose, holder, row.valid_from, row.valid_until, row.webauthn)


class Ledger:
    def __init__(self, maker: async_sessionmaker[AsyncSession], keyring: Keyring, dialect: str, interval: float = 0.5) -> None:
        self._maker = maker
        self._dialect = dialect
        self.keyring = keyring
        self.origin = keyring.origin
        self._interval = interval
        self._sequencing = asyncio.Lock()
        self.wake = asyncio.Event()
        self._queue: asyncio.Queue[tuple[Claim, list[dict[str, str]], dict[str, object] | None, KeyInfo | None, asyncio.Future[Appended]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        # The platform's own keys, from the keyring: no database lookup to check their signatures.
        self._platform_keys = {info.id: info for info in keyring.infos()}

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
        self, db: AsyncSession, claim: Claim, sigs: list[dict[str, str]], body: dict[str, object] | None,
        *, new_key: KeyInfo | None = None, user_verified: bool = False,
    ) -> Appended:
        """Check a signed claim and store it as the case's next record (pending), in `db`'s transaction."""
        if claim.log != self.origin:
            raise InvalidInput("this claim is for another log", [FieldError("claim.log", f"expected {self.origin}")])
        try:
            Claim.from_json(claim.to_json())
        except RecordError as exc:
            raise InvalidInput(f"malformed claim: {exc}", [FieldError("claim", str(exc))]) from None
        if body is not None and body_hash(body) != claim.body_hash:
            raise InvalidInput("the body does not match the claim's body_hash", [FieldError("body", "hash mismatch")])
        claim_hash = sha256_hex(claim.statement)
        # A replay of a logged claim is caught here; of a pending one, by the pending table's
        # unique claim_hash when the transaction flushes.
        if await db.scalar(select(LogEntry.idx).where(LogEntry.claim_hash == claim_hash)) is not None:
            raise Conflict("this claim was recorded already (replay refused)", reason="replayed")
        await self._check_signatures(db, claim, sigs, new_key, user_verified)

        chain = await self._lock_chain(db, claim.case)
        record = Record(claim, chain.last_seq + 1, chain.last_entry_hash or None, sigs)
        entry = record.entry
        if len(entry) > MAX_ENTRY_BYTES:
            raise InvalidInput("the record is too large", [FieldError("claim", f"at most {MAX_ENTRY_BYTES} bytes")])
        chain.last_seq, chain.last_entry_hash = record.seq, entry_hash(entry)
        db.add(EvidencePending(case_id=claim.case, seq=record.seq, type=claim.type, claim_hash=claim_hash, entry=entry))
        if body is not None:
            db.add(EvidenceBody(claim_hash=claim_hash, case_id=claim.case, body=body))
        if new_key is not None:
            db.add(key_row(new_key, claim.case))
        try:
            await db.flush()
        except IntegrityError:
            # The caller's transaction is spoilt either way, so no savepoint: nothing is written.
            raise Conflict("this claim was recorded already (replay refused)", reason="replayed") from None
        self.wake.set()
        return Appended(record, claim_hash)

    async def submit(
        self, claim: Claim, sigs: list[dict[str, str]], body: dict[str, object] | None, *, new_key: KeyInfo | None = None,
    ) -> Appended:
        """Append outside any caller transaction, sharing one transaction with concurrent submitters.

        For records that stand alone (consents, signatures, segment manifests): a single writer
        takes whatever has queued and appends it in one transaction (group commit), so many
        sessions recording at once cost one commit, not one each. A submission that fails its
        checks fails alone; the others in its batch are written.
        """
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        await self._queue.put((claim, sigs, body, new_key, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return await future

    async def _write_batches(self) -> None:
        while not self._queue.empty():
            batch = [self._queue.get_nowait() for _ in range(min(self._queue.qsize(), 500))]
            outcomes: list[tuple[asyncio.Future[Appended], Appended | Exception]] = []
            seen: set[str] = set()
            try:
                async with self._maker() as db, db.begin():
                    for claim, sigs, body, new_key, future in batch:
                        digest = sha256_hex(claim.statement)
                        if digest in seen:
                            outcomes.append((future, Conflict("this claim was recorded already (replay refused)", reason="replayed")))
                            continue
                        seen.add(digest)
                        try:
                            # `append` makes every check before it writes, so a refused record
                            # leaves the batch's transaction clean.
                            outcomes.append((future, await self.append(db, claim, sigs, body, new_key=new_key)))
                        except (InvalidInput, Conflict) as exc:
                            outcomes.append((future, exc))
            except Exception as exc:  # noqa: BLE001 - nothing of the batch was written: every waiter hears why
                log.exception("ledger batch of %d failed", len(batch))
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            # Only now, after the commit, is a record really accepted.
            for future, outcome in outcomes:
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def append_platform(
        self, db: AsyncSession, *, type: str, case: str, actor: dict[str, str], data: dict[str, object],
        public: dict[str, object] | None = None,
    ) -> Appended:
        """A record the platform itself vouches for (signed with the platform key)."""
        body = make_body(data)
        claim = Claim(self.origin, type, case, actor, body_hash(body), public or {})
        sig = self.keyring.signer("platform").sign(claim.statement)
        return await self.append(db, claim, [sig], body)

    async def _lock_chain(self, db: AsyncSession, case_id: str) -> EvidenceChain:
        chain = await db.scalar(select(EvidenceChain).where(EvidenceChain.case_id == case_id).with_for_update())
        if chain is not None:
            return chain
        try:
            async with db.begin_nested():
                db.add(EvidenceChain(case_id=case_id, last_seq=0, last_entry_hash=""))
        except IntegrityError:
            pass  # another process started this case's chain at the same moment
        chain = await db.scalar(select(EvidenceChain).where(EvidenceChain.case_id == case_id).with_for_update())
        assert chain is not None
        return chain

    async def _check_signatures(
        self, db: AsyncSession, claim: Claim, sigs: list[dict[str, str]], new_key: KeyInfo | None, user_verified: bool
    ) -> None:
        """Every signature must verify; people sign only with keys bound to them in this case.

        A `key_bound` record is signed by the new key itself (proof of possession) and
        co-signed by the platform, which vouches that the holder proved who they are.
        """
        if not sigs:
            raise InvalidInput("a record needs at least one signature", [FieldError("sigs", "empty")])
        when = parse_time(claim.time)
        if abs(utcnow() - when) > timedelta(minutes=10):
            raise InvalidInput("the claim's time is not now", [FieldError("claim.time", "more than 10 minutes off")])
        statement = claim.statement
        kinds: set[str] = set()
        for i, sig in enumerate(sigs):
            key = await self._key_for(db, claim, sig.get("key", ""), new_key)
            if key is None:
                raise InvalidInput("unknown signing key", [FieldError(f"sigs.{i}.key", "not bound to this case")])
            if key.purpose != "person" and not key.valid_at(when):
                raise InvalidInput("platform key not valid at this time", [FieldError(f"sigs.{i}.key", "outside its validity")])
            if key.purpose == "person" and (key.holder["kind"], key.holder["id"]) != (claim.actor["kind"], claim.actor["id"]):
                raise InvalidInput("this key belongs to someone else", [FieldError(f"sigs.{i}.key", "not the actor's key")])
            try:
                verify_signature(sig, key, statement, user_verified=user_verified or claim.type in USER_VERIFIED_TYPES)
            except SignatureError as exc:
                raise InvalidInput(f"signature rejected: {exc}", [FieldError(f"sigs.{i}", str(exc))]) from None
            kinds.add("new" if new_key is not None and key.id == new_key.id else key.purpose)
        if claim.type == "key_bound":
            if new_key is None or claim.public.get("key", {}).get("id") != new_key.id:
                raise InvalidInput("a key_bound record names the key it binds", [FieldError("claim.public.key", "missing")])
            if not {"new", "platform"} <= kinds:
                raise InvalidInput("a key binding is signed by the new key and the platform", [FieldError("sigs", "need both")])

    async def _key_for(self, db: AsyncSession, claim: Claim, key_id: str, new_key: KeyInfo | None) -> KeyInfo | None:
        if new_key is not None and key_id == new_key.id:
            return new_key
        if key_id in self._platform_keys:
            return self._platform_keys[key_id]
        row = await db.get(EvidenceKey, key_id)
        if row is None:
            return None
        if row.holder_kind != "platform" and row.case_id != claim.case:
            return None
        return key_info(row)

    # -- sequencing and checkpoints -------------------------------------------------------------

    async def size(self, db: AsyncSession) -> int:
        last = await db.scalar(select(func.max(LogEntry.idx)))
        return 0 if last is None else int(last) + 1

    async def _nodes(self, db: AsyncSession, ids: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = list(set(ids))
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await db.execute(select(LogNode.level, LogNode.idx, LogNode.hash).where(tuple_(LogNode.level, LogNode.idx).in_(chunk)))
            found.update({(r.level, r.idx): r.hash for r in rows})
        return found

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
                    {"idx": index, "case_id": row.case_id, "seq": row.seq, "type": row.type,
                     "claim_hash": row.claim_hash, "entry": row.entry, "sequenced_at": now}
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
        """Sign a checkpoint for the current size if there is none yet."""
        async with self._maker() as db, db.begin():
            size = await self.size(db)
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

    async def root(self, db: AsyncSession, size: int) -> bytes:
        ids = merkle.range_nodes(0, size) if size else ()
        nodes = await self._nodes(db, ids)
        return merkle.fold([nodes[i] for i in ids]) if size else merkle.EMPTY_ROOT

    async def settle(self) -> LogCheckpoint | None:
        """Sequence everything pending and sign a checkpoint (used by export, tests, shutdown)."""
        while await self.sequence():
            pass
        await self.checkpoint()
        return await self.latest_checkpoint_row()

    async def run(self, stop: asyncio.Event) -> None:
        """The background sequencer: a round whenever records arrive, and at least every interval."""
        while not stop.is_set():
            try:
                await self.sequence()
                await self.checkpoint()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round; the round rolled back
                log.exception("ledger round failed")
            self.wake.clear()
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            if self.wake.is_set() and not stop.is_set():
                await asyncio.sleep(0.05)  # gather a few appends into one round

    # -- reading -------------------------------------------------------------------------------

    async def latest_checkpoint_row(self) -> LogCheckpoint | None:
        async with self._maker() as db:
            return await db.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))

    async def checkpoint_text(self, row: LogCheckpoint | None = None) -> str | None:
        """The newest checkpoint with every witness cosignature gathered for it."""
        row = row or await self.latest_checkpoint_row()
        if row is None:
            return None
        async with self._maker() as db:
            lines = list(await db.scalars(select(LogCosignature.line).where(LogCosignature.size == row.size).order_by(LogCosignature.id)))
        return row.note + "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        plan = merkle.inclusion_plan(index, size)
        async with self._maker() as db:
            nodes = await self._nodes(db, (node for ids in plan for node in ids))
        return merkle.resolve(plan, lambda level, i: nodes[(level, i)])

    async def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        plan = merkle.consistency_plan(size1, size2)
        async with self._maker() as db:
            nodes = await self._nodes(db, (node for ids in plan for node in ids))
        return merkle.resolve(plan, lambda level, i: nodes[(level, i)])

    async def tile(self, tile: merkle.TileAddress) -> bytes | None:
        """A C2SP tlog-tiles hash tile, or None if the log is not that large yet."""
        level = tile.level * merkle.TILE_HEIGHT
        first = tile.index * merkle.TILE_WIDTH
        async with self._maker() as db:
            size = await self.size(db)
            if (size >> level) < first + tile.width:
                return None
            rows = await db.execute(
                select(LogNode.hash).where(LogNode.level == level, LogNode.idx >= first, LogNode.idx < first + tile.width).order_by(LogNode.idx)
            )
            hashes = [r.hash for r in rows]
        return b"".join(hashes) if len(hashes) == tile.width else None

    async def entry_bundle(self, tile: merkle.TileAddress) -> bytes | None:
        """Entries of a level-0 tile, each prefixed by its big-endian uint16 length (tlog-tiles)."""
        first = tile.index * merkle.TILE_WIDTH
        async with self._maker() as db:
            rows = list(
                await db.scalars(
                    select(LogEntry.entry).where(LogEntry.idx >= first, LogEntry.idx < first + tile.width).order_by(LogEntry.idx)
                )
            )
        if len(rows) != tile.width:
            return None
        return b"".join(struct.pack(">H", len(e)) + e for e in rows)

    async def case_entries(self, db: AsyncSession, case_id: str) -> list[LogEntry]:
        return list(await db.scalars(select(LogEntry).where(LogEntry.case_id == case_id).order_by(LogEntry.seq)))

    async def bodies(self, db: AsyncSession, case_id: str) -> dict[str, dict[str, object]]:
        rows = await db.scalars(select(EvidenceBody).where(EvidenceBody.case_id == case_id))
        return {r.claim_hash: r.body for r in rows}
