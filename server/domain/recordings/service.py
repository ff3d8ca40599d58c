"""The recordings service: starting and stopping recordings, recovery after a crash, retention, export.

:meth:`Recordings.start` hands the live recorder an :class:`~server.domain.recordings.writer.ActiveRecording`
(the writer). A crash loses only what was still in memory (the segment being gathered); on the
next start :meth:`Recordings.recover` marks a recording that was running as interrupted with a
``recording_interrupted`` record naming the last segment written, and a later recording of the
same session continues the chain from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings import chain, crypto
from recordings.segments import Gap
from recordings.storage import Storage, StorageError, segment_name
from server.domain.archived import is_archived, refusal
from server.domain.ledger import Ledger
from server.domain.recordings.writer import ActiveRecording, FailureHandler, StoredSegment
from server.errors import Conflict, NotFound
from server.evidence.bundle import FileData, StreamedFile
from server.evidence.records import Claim, Record, body_hash, canonical, make_body
from server.models import (
    Case,
    EvidencePending,
    LogEntry,
    MediationSession,
    Organisation,
    Recording,
    RecordingSegment,
    utcnow,
)

log = logging.getLogger(__name__)

#: The records that list a recording's segments.
MANIFESTS = ("segment_manifest", "recording_interrupted")

#: A recording in one of these states has stopped: it can be watched, exported, and after retention deleted.
FINISHED = ("stopped", "interrupted", "failed")


def covered(recording: Recording) -> ColumnElement[bool]:
    """The segment rows a logged manifest vouches for: only those are watched, exported or bundled."""
    return (RecordingSegment.recording_id == recording.id) & (RecordingSegment.index <= recording.manifested_index)


@dataclass(frozen=True)
class Purged:
    recording_id: str
    case_id: str
    deleted: bool
    seq: int | None = None


class Recordings:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, storage: Storage, master: crypto.MasterKey
    ) -> None:
        self.maker = maker
        self.ledger = ledger
        self.storage = storage
        self.master = master
        self.active: dict[str, ActiveRecording] = {}
        self._recovering = asyncio.Lock()
        #: Told each written segment's size (plaintext bytes): the process's metrics.
        self.on_segment: Callable[[int], None] | None = None
        #: Why recordings cannot be stored now (``check_store``), or None.
        self.store_problem: str | None = None

    async def check_store(self) -> str | None:
        """Whether recordings can be stored: None, or what is wrong (kept in ``store_problem``).

        Asked at start and every minute, so that a mistyped bucket or revoked credentials show in
        the log, ``/readyz`` and ``mediate_recordings_store_up`` before a mediator presses record.
        """
        try:
            await asyncio.to_thread(self.storage.check)
        except StorageError as exc:
            if self.store_problem != str(exc):
                log.error("recordings cannot be stored: %s (recording fails until this is fixed)", exc)
            self.store_problem = str(exc)
        else:
            if self.store_problem is not None:
                log.info("recordings can be stored again")
            self.store_problem = None
        return self.store_problem

    async def sign_and_log(self, case_id: str, type: str, public: dict[str, Any]) -> int:
        signer = self.ledger.keyring.signer("recorder")
        body = make_body({})
        claim = Claim(self.ledger.origin, type, case_id, {"kind": "recorder", "id": signer.info.id}, body_hash(body), public)
        appended = await self.ledger.submit(claim, [signer.sign(claim.statement)], body)
        return appended.record.seq

    async def start(self, session_id: str, started_by: str, on_failure: FailureHandler | None = None) -> ActiveRecording:
        """A new recording of the session, continuing the chain of the session's previous one."""
        if session_id in self.active:
            raise Conflict("this session is being recorded already", reason="recording")
        data_key = crypto.new_data_key()
        async with self.maker() as db, db.begin():
            session = await db.get(MediationSession, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            if await is_archived(db, session.case_id):  # a case archived meanwhile reads only (server/domain/archived.py)
                raise refusal()
            previous = await self._latest(db, session_id)
            row = Recording(
                id=uuid.uuid4().hex,
                session_id=session_id,
                case_id=session.case_id,
                status="recording",
                started_at=utcnow(),
                started_by=started_by,
                master_key_id=self.master.id,
                wrapped_key=self.master.wrap(data_key),
                previous_id=previous.id if previous else None,
                base_index=previous.last_index if previous else 0,
                base_head=previous.head if previous else chain.GENESIS.hex(),
                last_index=previous.last_index if previous else 0,
                head=previous.head if previous else chain.GENESIS.hex(),
                manifested_index=previous.last_index if previous else 0,
            )
            db.add(row)
        active = ActiveRecording(self, row, data_key, on_failure)
        self.active[session_id] = active
        return active

    async def stop(self, session_id: str, reason: str, final_gaps: list[Gap]) -> None:
        active = self.active.pop(session_id, None)
        if active is not None:
            await active.finish(reason, final_gaps)

    @staticmethod
    async def _latest(db: AsyncSession, session_id: str) -> Recording | None:
        query = select(Recording).where(Recording.session_id == session_id).order_by(Recording.started_at.desc()).limit(1)
        return (await db.scalars(query)).first()

    async def recover(
        self, *, session_id: str | None = None, elsewhere: Callable[[str], Awaitable[bool]] | None = None
    ) -> list[str]:
        """After a crash: every recording still marked as running is interrupted, and says where.

        ``session_id``: only that session's (this process has just taken over its media from a
        dead one). ``elsewhere``: whether another live process is writing a session's recording;
        those are left alone (a process starting beside others must not end their recordings).
        """
        query = select(Recording).where(Recording.status == "recording")
        if session_id is not None:
            query = query.where(Recording.session_id == session_id)
        async with self.maker() as db:
            rows = list(await db.scalars(query))
        if elsewhere is not None:
            rows = [row for row in rows if not await elsewhere(row.session_id)]
        recovered = []
        for found in rows:
            async with self._alone_with(found.id):
                async with self.maker() as db:
                    row = await db.get(Recording, found.id)
                if row is None or row.status != "recording":
                    continue  # another process recovered it meanwhile (several restarted at once)
                await self._interrupted(row)
                recovered.append(row.id)
        return recovered

    @contextlib.asynccontextmanager
    async def _alone_with(self, recording_id: str) -> AsyncIterator[None]:
        """Hold the recording against every other recovery of it, in this process and in others.

        After the whole cluster went down, its processes start together and each recovers what is
        still marked running: without this, two of them would log one interruption twice.
        PostgreSQL: a transaction-scoped advisory lock on the recording, held on a connection of
        its own while the work runs (and commits) on others. SQLite is one process: the asyncio
        lock suffices.
        """
        async with self._recovering:
            if self.ledger.dialect != "postgresql":
                yield
                return
            key = int.from_bytes(hashlib.sha256(f"recover:{recording_id}".encode()).digest()[:8], "big", signed=True)
            async with self.maker() as db, db.begin():
                await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                yield

    async def _interrupted(self, row: Recording) -> None:
        """Log that the recording was cut off, with the segments no manifest listed, and mark it so."""
        manifested, prev_head = await self._last_manifested(row)
        segments = await self.segments_after(row.id, manifested)
        await self.sign_and_log(
            row.case_id,
            "recording_interrupted",
            {
                "recording": row.id,
                "session": row.session_id,
                "from": manifested + 1,
                "to": row.last_index,
                "prev_head": prev_head,
                "head": row.head,
                "segments": [s.to_json() for s in segments],
            },
        )
        async with self.maker() as db, db.begin():
            fresh = await db.get(Recording, row.id)
            assert fresh is not None
            fresh.status, fresh.ended_at, fresh.end_reason = "interrupted", utcnow(), "server_stopped"
            fresh.manifested_index = row.last_index
        log.warning("recording %s was interrupted; segments up to %d are kept", row.id, row.last_index)

    async def _last_manifested(self, row: Recording) -> tuple[int, str]:
        """The last segment index a logged manifest of the recording lists, and the chain head there.

        The log decides, not ``row.manifested_index``: a manifest is logged, then noted in the
        row, in two transactions, and a process killed between the two leaves the row behind.
        Going by the row would list those segments a second time and break the manifests' chain.
        """
        index, head = row.base_index, row.base_head
        async with self.maker() as db:
            entries = [
                *await db.scalars(select(LogEntry.entry).where(LogEntry.case_id == row.case_id, LogEntry.type.in_(MANIFESTS))),
                *await db.scalars(
                    select(EvidencePending.entry).where(
                        EvidencePending.case_id == row.case_id, EvidencePending.type.in_(MANIFESTS)
                    )
                ),
            ]
        for entry in entries:
            public = Record.from_entry(entry).claim.public
            if public.get("recording") == row.id and isinstance(public.get("to"), int) and public["to"] >= index:
                index, head = public["to"], str(public["head"])
        return index, head

    async def segments_after(self, recording_id: str, index: int) -> list[StoredSegment]:
        async with self.maker() as db:
            query = (
                select(RecordingSegment)
                .where(RecordingSegment.recording_id == recording_id, RecordingSegment.index > index)
                .order_by(RecordingSegment.index)
            )
            rows = list(await db.scalars(query))
        return [StoredSegment(r.index, r.participant_id, r.sha256, r.head, r.bytes, r.start, r.end, r.tracks) for r in rows]

    # -- retention ---------------------------------------------------------------------------

    async def purge(self, now: datetime | None = None) -> list[Purged]:
        """Delete the media of recordings past their organisation's retention period.

        Deleting is a logged act: a ``recording_deleted`` record names the recording, why, and
        its last chain head; the segment rows (hashes, times) and the manifests stay, so what
        was recorded can still be accounted for. A case that has applied for judicial
        confirmation keeps its recordings whatever their age.
        """
        now = now or utcnow()
        async with self.maker() as db:
            query = (
                select(Recording, Organisation.recording_retention_days)
                .join(Case, Case.id == Recording.case_id)
                .join(Organisation, Organisation.id == Case.organisation_id)
                .where(Recording.status.in_(FINISHED), Recording.ended_at.is_not(None))
            )
            due = [
                (row, days)
                for row, days in (await db.execute(query)).all()
                if row.ended_at is not None and row.ended_at + timedelta(days=days) <= now
            ]
            held = set(
                await db.scalars(
                    select(LogEntry.case_id).where(
                        LogEntry.case_id.in_({row.case_id for row, _ in due}), LogEntry.type == "confirmation_applied"
                    )
                )
            ) | set(
                await db.scalars(
                    select(EvidencePending.case_id).where(
                        EvidencePending.case_id.in_({row.case_id for row, _ in due}),
                        EvidencePending.type == "confirmation_applied",
                    )
                )
            )
        out: list[Purged] = []
        for row, days in due:
            if row.case_id in held:
                log.info("recording %s is past retention but its case applied for confirmation: kept", row.id)
                out.append(Purged(row.id, row.case_id, deleted=False))
                continue
            out.append(await self._delete(row, days))
        return out

    async def _delete(self, row: Recording, days: int) -> Purged:
        segments = await self.segments_after(row.id, 0)
        seq = await self.sign_and_log(
            row.case_id,
            "recording_deleted",
            {
                "recording": row.id,
                "session": row.session_id,
                "reason": "retention",
                "retention_days": days,
                "segments": len(segments),
                "head": row.head,
            },
        )
        # After the record: a crash in between leaves files that the next purge removes.
        await asyncio.to_thread(self.storage.delete_recording, row.id)
        async with self.maker() as db, db.begin():
            fresh = await db.get(Recording, row.id)
            assert fresh is not None
            # The data key goes too: any copy of the sealed files left anywhere (a backup) stays unreadable.
            fresh.status, fresh.wrapped_key = "deleted", b""
        log.info("recording %s deleted after %d days of retention (record %d)", row.id, days, seq)
        return Purged(row.id, row.case_id, deleted=True, seq=seq)

    async def run_retention(self, stop: asyncio.Event, every: float = 3600.0) -> None:
        """Purge once an hour while the server runs."""
        while not stop.is_set():
            try:
                await self.purge()
            except Exception:
                log.exception("recording retention failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    async def bundle_files(self, case_id: str) -> dict[str, FileData]:
        """The case's recordings for its evidence bundle: decrypted segments the log vouches for, and each chain.

        Only segments a logged manifest (or interruption record) covers are included: a running
        recording's newest segments follow in a later export. A segment is not read here: it is
        a :class:`StreamedFile` with the hash and size the recorder logged, decrypted when the
        bundle writer reaches it (a two-hour session's segments add up to gigabytes), which
        checks that it still hashes to what was logged.
        """
        async with self.maker() as db:
            rows = list(await db.scalars(select(Recording).where(Recording.case_id == case_id).order_by(Recording.started_at)))
            segments = {
                row.id: list(await db.scalars(select(RecordingSegment).where(covered(row)).order_by(RecordingSegment.index)))
                for row in rows
            }
        files: dict[str, FileData] = {}
        for row in rows:
            if row.status == "deleted":
                continue
            chain_entries = []
            for seg in segments[row.id]:
                files[f"recordings/{row.id}/{seg.index:06d}.webm"] = StreamedFile(
                    seg.sha256, seg.bytes, functools.partial(self._segment_chunks, row, seg.index)
                )
                chain_entries.append(
                    {
                        "i": seg.index,
                        "participant": seg.participant_id,
                        "sha256": seg.sha256,
                        "start": seg.start,
                        "end": seg.end,
                        "head": seg.head,
                    }
                )
            files[f"recordings/{row.id}/chain.json"] = canonical(
                {
                    "recording": row.id,
                    "session": row.session_id,
                    "previous": row.previous_id,
                    "base_index": row.base_index,
                    "base_head": row.base_head,
                    "segments": chain_entries,
                }
            )
        return files

    async def read_segment(self, recording: Recording, index: int) -> bytes:
        """A segment's plaintext (it fails to open if altered at rest)."""
        return await asyncio.to_thread(self.segment_plaintext, recording, index)

    def _segment_chunks(self, recording: Recording, index: int) -> list[bytes]:
        return [self.segment_plaintext(recording, index)]

    def segment_plaintext(self, recording: Recording, index: int) -> bytes:
        """:meth:`read_segment` for a worker thread that reads segment after segment (blocking)."""
        data_key = self.master.unwrap(recording.wrapped_key)
        sealed = self.storage.get(segment_name(recording.id, index))
        return crypto.open_sealed(data_key, recording.id, index, sealed)
