"""The live writer of a recording: each finished segment sealed, stored, chained and manifested.

The live recorder (``signaling.recorder``) hands each finished segment to the
:class:`ActiveRecording` of its recording, which, in the order segments finish:

1. muxes the encoded frames into WebM, hashes the plaintext and seals it (AES-256-GCM under
   the recording's data key), in a worker thread so live sessions are not held up;
2. writes the sealed segment (whole, fsynced, renamed into place) and extends the chain
   H_i = SHA-256(H_{i-1} || i || SHA-256(segment_i) || start || end);
3. stores the segment's row (hash, chain head, times, tracks) in the database.

At least every ``MANIFEST_SECONDS`` and at the end, a ``segment_manifest`` record, signed with
the recorder key, puts the new segments' hashes, times, gaps and the chain head into the
evidence log.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings import chain, crypto, webm
from recordings.segments import Gap, PendingSegment
from recordings.storage import Storage, StorageError, segment_name
from server.evidence.records import timestamp
from server.models import Recording, RecordingSegment, utcnow

log = logging.getLogger(__name__)

#: A manifest at least this often while segments come (the issue asks for at most 10 s).
MANIFEST_SECONDS = 5.0
MAX_SEGMENTS_PER_MANIFEST = 100

FailureHandler = Callable[[str], Awaitable[None]]


def stamp(seconds: float) -> str:
    return timestamp(datetime.fromtimestamp(seconds, UTC))


@dataclass(frozen=True)
class StoredSegment:
    index: int
    participant_id: str
    sha256: str
    head: str
    size: int
    start: str
    end: str
    tracks: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "i": self.index,
            "participant": self.participant_id,
            "sha256": self.sha256,
            "start": self.start,
            "end": self.end,
            "bytes": self.size,
            "tracks": self.tracks,
        }


class Owner(Protocol):
    """What a running recording needs of the service that started it (``service.Recordings``)."""

    maker: async_sessionmaker[AsyncSession]
    storage: Storage
    #: Told each written segment's size (plaintext bytes): the process's metrics.
    on_segment: Callable[[int], None] | None

    async def sign_and_log(self, case_id: str, type: str, public: dict[str, Any]) -> int: ...


class ActiveRecording:
    """A running recording: the sink of its recorder, and its writer to disk, database and log."""

    def __init__(self, owner: Owner, row: Recording, data_key: bytes, on_failure: FailureHandler | None) -> None:
        self.owner = owner
        self.id = row.id
        self.case_id = row.case_id
        self.session_id = row.session_id
        self.data_key = data_key
        self.next_index = row.base_index + 1
        self.head = bytes.fromhex(row.base_head)
        self.manifested = row.base_index
        self.manifest_head = row.base_head
        self.unmanifested: list[StoredSegment] = []
        self.gaps: list[dict[str, Any]] = []
        self.on_failure = on_failure
        self.failed: str | None = None
        self.take_gaps: Callable[[], list[Gap]] = list
        self._queue: asyncio.Queue[tuple[int, PendingSegment] | None] = asyncio.Queue()
        self._worker = asyncio.create_task(self._work())
        self._ticker = asyncio.create_task(self._tick())
        self._manifest_lock = asyncio.Lock()
        self.segments_written = 0

    # -- SegmentSink ---------------------------------------------------------------------------

    def segment(self, segment: PendingSegment) -> None:
        if self.failed:
            return
        index, self.next_index = self.next_index, self.next_index + 1
        self._queue.put_nowait((index, segment))

    # -- writing -------------------------------------------------------------------------------

    def _seal(self, index: int, segment: PendingSegment) -> tuple[bytes, str]:
        plaintext = webm.mux(segment.frames)
        digest = hashlib.sha256(plaintext).digest()
        sealed = crypto.seal(self.data_key, self.id, index, plaintext)
        self.owner.storage.put(segment_name(self.id, index), sealed)
        return digest, str(len(plaintext))

    async def _work(self) -> None:
        while (item := await self._queue.get()) is not None:
            index, segment = item
            if self.failed:
                continue
            try:
                digest, size = await asyncio.to_thread(self._seal, index, segment)
            except StorageError as exc:
                await self._fail("disk_full" if exc.full else "write_error", str(exc))
                continue
            except Exception as exc:
                log.exception("recording %s: segment %d could not be made", self.id, index)
                await self._fail("write_error", type(exc).__name__)
                continue
            start, end = stamp(segment.start), stamp(segment.end)
            self.head = chain.link(self.head, index, digest, start, end)
            stored = StoredSegment(
                index,
                segment.participant_id,
                digest.hex(),
                self.head.hex(),
                int(size),
                start,
                end,
                {**segment.tracks(), "keyframes": segment.keyframes},
            )
            self.gaps.extend(g.to_json(stamp) for g in segment.gaps)
            async with self.owner.maker() as db, db.begin():
                db.add(
                    RecordingSegment(
                        recording_id=self.id,
                        index=index,
                        participant_id=stored.participant_id,
                        name=segment_name(self.id, index),
                        sha256=stored.sha256,
                        head=stored.head,
                        bytes=stored.size,
                        start=start,
                        end=end,
                        tracks=stored.tracks,
                    )
                )
                row = await db.get(Recording, self.id)
                assert row is not None
                row.last_index, row.head = index, stored.head
            self.unmanifested.append(stored)
            self.segments_written += 1
            if self.owner.on_segment is not None:
                self.owner.on_segment(stored.size)

    async def _fail(self, reason: str, detail: str) -> None:
        log.error("recording %s stopped: %s (%s)", self.id, reason, detail)
        self.failed = reason
        if self.on_failure is not None:
            await self.on_failure(reason)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(MANIFEST_SECONDS)
            try:
                await self.manifest()
            except Exception:
                log.exception("recording %s: manifest failed; the next one covers its segments", self.id)

    # -- the log -------------------------------------------------------------------------------

    async def manifest(self, *, final: str | None = None) -> int | None:
        """Log a segment_manifest for what was written since the last one. Returns its seq.

        ``final`` (the reason the recording ended) marks the last manifest of the recording;
        it is logged even when no segment is new, so that the end is always on record.
        """
        async with self._manifest_lock:
            self.gaps.extend(g.to_json(stamp) for g in self.take_gaps())
            seq = None
            while True:
                # Snapshots: the writer goes on adding segments (and gaps) while the record is
                # being logged; those wait for the next manifest, none is dropped.
                batch = list(self.unmanifested[:MAX_SEGMENTS_PER_MANIFEST])
                last_one = len(self.unmanifested) <= MAX_SEGMENTS_PER_MANIFEST
                gaps = list(self.gaps) if last_one else []
                if not batch and not gaps and final is None:
                    return seq
                last = batch[-1].index if batch else self.manifested
                head = batch[-1].head if batch else self.manifest_head
                public: dict[str, Any] = {
                    "recording": self.id,
                    "session": self.session_id,
                    "from": self.manifested + 1,
                    "to": last,
                    "prev_head": self.manifest_head,
                    "head": head,
                    "segments": [s.to_json() for s in batch],
                    "gaps": gaps,
                }
                if final is not None and last_one and len(self.unmanifested) == len(batch):
                    public["final"] = final
                seq = await self.owner.sign_and_log(self.case_id, "segment_manifest", public)
                del self.unmanifested[: len(batch)]
                del self.gaps[: len(gaps)]
                self.manifested, self.manifest_head = last, head
                async with self.owner.maker() as db, db.begin():
                    row = await db.get(Recording, self.id)
                    assert row is not None
                    row.manifested_index = last
                if "final" in public or (final is None and last_one):
                    return seq

    async def finish(self, reason: str, final_gaps: list[Gap]) -> None:
        """The recorder has stopped: write what it handed over, then the final manifest."""
        self.gaps.extend(g.to_json(stamp) for g in final_gaps)
        await self._queue.put(None)
        await self._worker
        async with self._manifest_lock:  # never cancel a manifest halfway through being logged
            self._ticker.cancel()
        status = "failed" if self.failed else "stopped"
        await self.manifest(final=self.failed or reason)
        async with self.owner.maker() as db, db.begin():
            row = await db.get(Recording, self.id)
            assert row is not None
            row.status, row.ended_at, row.end_reason = status, utcnow(), self.failed or reason
