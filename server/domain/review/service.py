"""The review service: a session's recordings listed, their derived files made and opened for viewers.

Who watched what is written to the case history as ``recording_viewed``, once per viewing: a
play session of one page (the ``view`` id it sends) or, without one, requests no more than
``VIEW_WINDOW`` apart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings import webm
from recordings.storage import DerivedFiles, derived_name
from server.domain import history
from server.domain.access import case_for_staff
from server.domain.principal import Principal, Staff
from server.domain.recordings import FINISHED, Recordings, covered
from server.domain.review.derived import WatchFile, seal_file, sealed_size
from server.domain.review.timeline import (
    CONSENT_MARKERS,
    HISTORY_MARKERS,
    MANIFESTS,
    Names,
    SessionRecordings,
    claims_of,
    recording_view,
)
from server.errors import Gone, InvalidState, NotFound
from server.models import CaseEvent, MediationSession, Party, Recording, RecordingFile, RecordingSegment, User, utcnow

log = logging.getLogger(__name__)

#: Requests for the same file further apart than this are separate viewings (without a view id).
VIEW_WINDOW = 600.0
MAX_VIEWS_KEPT = 10_000
RECORDING_ID = re.compile(r"^[0-9a-f]{32}$")
PARTICIPANT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")


class Review:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        recordings: Recordings,
        store: DerivedFiles,
        temp_root: Path | None = None,
    ) -> None:
        self.maker = maker
        self.recordings = recordings
        self.store = store
        #: Where a file is remuxed before it is sealed (None: the system's temporary directory).
        self.temp_root = temp_root
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._views: dict[tuple[str, str, str, str], float] = {}

    # -- lists -------------------------------------------------------------------------------------

    async def of_case(self, principal: Principal | None, case_id: str) -> list[Recording]:
        """The case's recordings, newest first (for links to watch them)."""
        async with self.maker() as db:
            await case_for_staff(db, principal, case_id, court=True)
            query = select(Recording).where(Recording.case_id == case_id).order_by(Recording.started_at.desc())
            return list(await db.scalars(query))

    async def of_session(self, principal: Principal | None, session_id: str) -> SessionRecordings:
        """A session's recordings with their participants and the markers of their timelines."""
        async with self.maker() as db:
            session = await db.get(MediationSession, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            _, case = await case_for_staff(db, principal, session.case_id, court=True)
            rows = list(
                await db.scalars(select(Recording).where(Recording.session_id == session_id).order_by(Recording.started_at))
            )
            ids = [r.id for r in rows]
            segments = list(
                await db.scalars(
                    select(RecordingSegment)
                    .where(RecordingSegment.recording_id.in_(ids))
                    .order_by(RecordingSegment.recording_id, RecordingSegment.index)
                )
            )
            files = list(await db.scalars(select(RecordingFile).where(RecordingFile.recording_id.in_(ids))))
            parties = {p.id: p for p in await db.scalars(select(Party).where(Party.case_id == case.id))}
            staff_ids = {s.participant_id for s in segments if s.participant_id not in parties} | {r.started_by for r in rows}
            users = {u.id: u for u in await db.scalars(select(User).where(User.id.in_(staff_ids)))}
            claims = await claims_of(db, case.id, CONSENT_MARKERS + MANIFESTS)
            events = list(
                await db.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(HISTORY_MARKERS + CONSENT_MARKERS))
                    .order_by(CaseEvent.at)
                )
            )
        names = Names(parties, users)
        views = []
        for row in rows:
            mine = [s for s in segments if s.recording_id == row.id and s.index <= row.manifested_index]
            views.append(
                recording_view(row, session_id, mine, [f for f in files if f.recording_id == row.id], names, claims, events)
            )
        return SessionRecordings(session, case, views)

    # -- watching --------------------------------------------------------------------------------

    async def open_file(
        self, principal: Principal | None, recording_id: str, participant_id: str, view: str | None = None
    ) -> WatchFile:
        """A participant's remuxed file (made now if need be), the viewing written to the case history."""
        if not RECORDING_ID.match(recording_id):
            raise NotFound("no such recording", reason="no_such_recording")
        async with self.maker() as db:
            recording = await db.get(Recording, recording_id)
            if recording is None:
                raise NotFound("no such recording", reason="no_such_recording")
            staff, _ = await case_for_staff(db, principal, recording.case_id, court=True)
            if recording.status == "deleted":
                raise Gone("this recording was deleted at the end of its retention period", reason="deleted")
            if recording.status not in FINISHED:
                raise InvalidState("this recording is still running; it can be watched once it has stopped", reason="recording")
            if not PARTICIPANT_ID.match(participant_id) or not await self._segments(db, recording, participant_id):
                raise NotFound("this participant is not in this recording", reason="not_in_recording")
        watched = await self.remuxed(recording, participant_id)
        if self._new_viewing(staff, recording_id, participant_id, view):
            async with self.maker() as db, db.begin():
                history.record(
                    db,
                    recording.case_id,
                    staff,
                    "recording_viewed",
                    recording_id=recording_id,
                    participant_id=participant_id,
                    session_id=recording.session_id,
                )
            log.info("recording %s: %s watches participant %s", recording_id, staff.user_id, participant_id)
        return watched

    async def remuxed(self, recording: Recording, participant_id: str) -> WatchFile:
        """A participant's remuxed file of a stopped recording, made now if need be; not logged as a viewing.

        For other services (the export) that have already checked who is asking.
        """
        async with self.maker() as db:
            row = await self._file_row(db, recording.id, participant_id)
        if row is None or not await self.whole(row):
            row = await self._make(recording, participant_id)
        return WatchFile(row, self.store, self.recordings.master.unwrap(recording.wrapped_key))

    async def prepare(self, recording_id: str) -> int:
        """Make every participant's file of a stopped recording now, so the first viewer does not wait.

        Run in the background right after a recording stops; returns how many files were made.
        """
        async with self.maker() as db:
            recording = await db.get(Recording, recording_id)
            if recording is None or recording.status not in FINISHED:
                return 0
            query = select(RecordingSegment.participant_id).where(covered(recording)).distinct()
            participants = sorted(set(await db.scalars(query)))
        for participant_id in participants:
            await self._make(recording, participant_id)
        return len(participants)

    async def whole(self, row: RecordingFile) -> bool:
        """The stored file is all there (a store may be a network away: asked from a worker thread)."""
        return await asyncio.to_thread(self.store.size, row.name) == sealed_size(row.bytes)

    def _new_viewing(self, staff: Staff, recording_id: str, participant_id: str, view: str | None) -> bool:
        now = time.monotonic()
        key = (staff.user_id, recording_id, participant_id, view or "")
        last = self._views.get(key)
        self._views[key] = now
        if len(self._views) > MAX_VIEWS_KEPT:
            self._views = {k: t for k, t in self._views.items() if now - t <= VIEW_WINDOW}
        return last is None or now - last > VIEW_WINDOW

    @staticmethod
    async def _segments(db: AsyncSession, recording: Recording, participant_id: str) -> list[RecordingSegment]:
        query = (
            select(RecordingSegment)
            .where(covered(recording), RecordingSegment.participant_id == participant_id)
            .order_by(RecordingSegment.index)
        )
        return list(await db.scalars(query))

    @staticmethod
    async def _file_row(db: AsyncSession, recording_id: str, participant_id: str) -> RecordingFile | None:
        query = select(RecordingFile).where(
            RecordingFile.recording_id == recording_id,
            RecordingFile.participant_id == participant_id,
            RecordingFile.kind == "remux",
        )
        return (await db.scalars(query)).first()

    async def _make(self, recording: Recording, participant_id: str) -> RecordingFile:
        """Remux, hash, seal and store one participant's file; one maker at a time per file."""
        key = (recording.id, participant_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                async with self.maker() as db:
                    row = await self._file_row(db, recording.id, participant_id)
                    if row is not None and await self.whole(row):
                        return row  # made while this request waited
                    segments = await self._segments(db, recording, participant_id)
                data_key = self.recordings.master.unwrap(recording.wrapped_key)
                name = derived_name(recording.id, participant_id)
                started = time.monotonic()
                indices = [s.index for s in segments]
                digest, size, origin = await asyncio.to_thread(self._write, name, recording, participant_id, indices, data_key)
                async with self.maker() as db, db.begin():
                    row = await self._file_row(db, recording.id, participant_id)
                    if row is None:
                        row = RecordingFile(recording_id=recording.id, participant_id=participant_id, kind="remux")
                        db.add(row)
                    row.name, row.sha256, row.bytes, row.start_ms = name, digest, size, origin
                    row.segments = {"indices": [s.index for s in segments]}
                    row.created_at = utcnow()
                log.info(
                    "recording %s: participant %s remuxed from %d segments (%d bytes) in %.2f s",
                    recording.id,
                    participant_id,
                    len(segments),
                    size,
                    time.monotonic() - started,
                )
                return row
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    def _write(
        self, name: str, recording: Recording, participant_id: str, indices: list[int], data_key: bytes
    ) -> tuple[str, int, int]:
        """Remux the segments into a private temporary file, then seal it into the store a chunk at a time.

        A two-hour participant is about a gigabyte: it is never in memory whole. The plaintext
        touches the disk only in a directory of this process's own (``mkdtemp``, mode 0700),
        removed at once, as the export's inputs are (``server.domain.exports``).
        """

        def segments() -> Iterator[bytes]:
            return (self.recordings.segment_plaintext(recording, index) for index in indices)

        with tempfile.TemporaryDirectory(prefix="mediate-remux-", dir=self.temp_root) as folder:
            path = Path(folder) / "remux.webm"
            origin = webm.remux_to(path, segments, from_zero=True)
            digest = hashlib.sha256()
            self.store.put(name, seal_file(data_key, recording.id, participant_id, path, "remux", digest.update))
            return digest.hexdigest(), path.stat().st_size, origin
