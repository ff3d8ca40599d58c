"""Watching a recording: who is in it, what happened when, and one seekable file per participant.

A recording is kept as sealed segments, a few seconds of one participant each
(:mod:`server.domain.recordings`). To be watched, each participant's segments are remuxed into
one WebM (packets copied, never re-encoded) on the first request for it, in a worker thread, and
kept as a *derived file* beside the segments, in the same store (``recordings.storage``: the
recordings directory, or an S3-compatible bucket):

- sealed like the segments, under the recording's data key, so that the store and the database
  together still reveal no media without the master key (``recordings.crypto``). It is sealed
  in chunks of ``CHUNK`` bytes, each AES-256-GCM with its position and the chunk count as
  associated data, so a range request opens only the chunks it needs and a chunk moved,
  dropped or swapped fails to open;
- its SHA-256 (of the plaintext, as for segments), size, the segments it was made of, and where
  its time zero sits on the recording's timeline are stored in ``recording_files``.

Each file starts at its participant's first packet (time zero), and its place on the shared
timeline (seconds from the recording's start) is given with the participant: browsers disagree
on what a WebM whose first packet is not at zero means for ``currentTime``, so a player that
offsets each file itself works the same everywhere. Only segments a logged manifest covers are
used, as for the evidence bundle.

The markers on the timeline come from the case history (caucus, removal, end; and admissions
once the live layer logs them) and from the evidence records (consent, withdrawal, the gaps in
the manifests). Who watched what is written to the case history as ``recording_viewed``, once
per viewing: a play session of one page (the ``view`` id it sends) or, without one, requests
no more than ``VIEW_WINDOW`` apart.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings import webm
from recordings.storage import DerivedFiles, StorageError, derived_name
from server.domain import history
from server.domain.cases import case_for_staff
from server.domain.principal import Principal, Staff
from server.domain.recordings import FINISHED, Recordings, covered
from server.errors import Gone, InvalidState, NotFound
from server.evidence.records import Claim, Record, RecordError, parse_time
from server.models import (
    Case,
    CaseEvent,
    EvidencePending,
    LogEntry,
    MediationSession,
    Party,
    Recording,
    RecordingFile,
    RecordingSegment,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

#: Plaintext bytes per sealed chunk of a derived file.
CHUNK = 256 * 1024
NONCE_BYTES, TAG_BYTES = 12, 16
SEALED_CHUNK = NONCE_BYTES + CHUNK + TAG_BYTES
#: Requests for the same file further apart than this are separate viewings (without a view id).
VIEW_WINDOW = 600.0
MAX_VIEWS_KEPT = 10_000
RECORDING_ID = re.compile(r"^[0-9a-f]{32}$")
PARTICIPANT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")
#: Kinds of derived file: one participant remuxed (here), and the grid of everyone (``server.domain.exports``).
KINDS = ("remux", "export")

#: Case history kinds shown on the timeline when they name the recording's session.
HISTORY_MARKERS = (
    "participant_admitted",
    "participant_joined",
    "participant_left",
    "participant_removed",
    "caucus_started",
    "caucus_ended",
    "session_ended",
)
CONSENT_MARKERS = ("consent", "consent_withdrawn")
MANIFESTS = ("segment_manifest", "recording_interrupted")
#: Gaps in the manifests worth a marker (silence inside a segment, ``no_media``, is not).
GAP_REASONS = ("not_consented", "muted", "camera_off", "reconnecting", "waiting", "held", "left", "caucus")


# -- the derived file --------------------------------------------------------------------------


def remux_from_zero(segments: Iterable[bytes]) -> tuple[bytes, int]:
    """One participant's segments as one seekable WebM whose first packet is at time zero.

    The packets are copied as ``recordings.webm.remux`` copies them; only their times move, all
    by the same amount. Returns the file and that amount: where its time zero sits on the
    recording's timeline, in milliseconds.
    """
    frames: list[webm.Frame] = []
    for data in segments:
        with av.open(io.BytesIO(data), "r") as source:
            for packet in source.demux():
                if packet.size == 0 or packet.pts is None or packet.time_base is None:
                    continue
                kind: webm.Kind = "video" if packet.stream.type == "video" else "audio"
                pts_ms = int(packet.pts * packet.time_base * 1000)
                frames.append(webm.Frame(kind, pts_ms, bytes(packet), bool(packet.is_keyframe)))
    if not frames:
        raise ValueError("these segments hold no media")
    origin = min(f.pts_ms for f in frames)
    return webm.mux([replace(f, pts_ms=f.pts_ms - origin) for f in frames]), origin


def _aad(recording_id: str, participant_id: str, index: int, count: int, kind: str = "remux") -> bytes:
    # The kind is bound too, so that no chunk of one kind of file opens as part of another.
    return f"mediate {kind} {recording_id} {participant_id} {index}/{count}".encode()


def chunk_count(size: int) -> int:
    return max(1, -(-size // CHUNK))


def seal_chunks(
    data_key: bytes, recording_id: str, participant_id: str, plaintext: bytes, kind: str = "remux"
) -> Iterator[bytes]:
    count = chunk_count(len(plaintext))
    pieces = (plaintext[i * CHUNK : (i + 1) * CHUNK] for i in range(count))
    return _seal(data_key, recording_id, participant_id, pieces, count, kind)


def seal_file(
    data_key: bytes, recording_id: str, participant_id: str, path: Path, kind: str, seen: Callable[[bytes], None]
) -> Iterator[bytes]:
    """A plaintext file's sealed chunks, read a chunk at a time; ``seen`` gets each plaintext chunk (to hash it)."""
    count = chunk_count(path.stat().st_size)

    def pieces() -> Iterator[bytes]:
        with open(path, "rb") as source:
            for _ in range(count):
                piece = source.read(CHUNK)
                seen(piece)
                yield piece

    return _seal(data_key, recording_id, participant_id, pieces(), count, kind)


def _seal(
    data_key: bytes, recording_id: str, participant_id: str, pieces: Iterable[bytes], count: int, kind: str
) -> Iterator[bytes]:
    aead = AESGCM(data_key)
    for i, piece in enumerate(pieces):
        nonce = secrets.token_bytes(NONCE_BYTES)
        yield nonce + aead.encrypt(nonce, piece, _aad(recording_id, participant_id, i, count, kind))


def sealed_size(size: int) -> int:
    return size + chunk_count(size) * (NONCE_BYTES + TAG_BYTES)


@dataclass(frozen=True)
class WatchFile:
    """A derived file (one participant's, or the export), opened for a viewer: its plaintext, by byte range."""

    row: RecordingFile
    store: DerivedFiles
    data_key: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return self.row.bytes

    @property
    def sha256(self) -> str:
        return self.row.sha256

    def _chunk(self, index: int) -> bytes:
        count = chunk_count(self.size)
        length = min(CHUNK, self.size - index * CHUNK) + NONCE_BYTES + TAG_BYTES
        sealed = self.store.read(self.row.name, index * SEALED_CHUNK, length)
        if len(sealed) != length:
            raise StorageError(f"{self.row.name} is shorter than recorded")
        try:
            return AESGCM(self.data_key).decrypt(
                sealed[:NONCE_BYTES],
                sealed[NONCE_BYTES:],
                _aad(self.row.recording_id, self.row.participant_id, index, count, self.row.kind),
            )
        except InvalidTag:
            raise StorageError(f"chunk {index} of {self.row.name} does not open: altered or misplaced") from None

    async def read(self, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive) of the plaintext, a chunk at a time."""
        index = start // CHUNK
        while start < end:
            plain = await asyncio.to_thread(self._chunk, index)
            offset = start - index * CHUNK
            piece = plain[offset : offset + (end - start)]
            yield piece
            start += len(piece)
            index += 1


# -- what a viewer is shown --------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A stretch in which a participant was not recorded, and why (from the manifests)."""

    participant_id: str
    kinds: tuple[str, ...]  # audio, video or both
    start: float
    end: float | None
    reason: str


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    role: str
    kind: str  # party | staff
    #: Where this participant's file starts and ends on the recording's timeline (seconds from its
    #: start). The offset may be a little below zero: a first frame is placed at its capture time
    #: (``recordings.timeline``), which can precede the start by its network transit.
    offset: float
    end: float
    segments: int
    file: RecordingFile | None
    gaps: list[Gap]


@dataclass(frozen=True)
class Marker:
    kind: str
    at: float  # seconds from the recording's start
    time: datetime
    participant_id: str | None = None
    name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordingView:
    recording: Recording
    duration: float
    participants: list[Participant]
    markers: list[Marker]


@dataclass(frozen=True)
class SessionRecordings:
    session: MediationSession
    case: Case
    recordings: list[RecordingView]


def _seconds(since: datetime, when: datetime) -> float:
    return round((when - since).total_seconds(), 3)


def _time(text: str) -> datetime | None:
    try:
        return parse_time(text)
    except RecordError:
        return None


async def _claims(db: AsyncSession, case_id: str, types: tuple[str, ...]) -> list[tuple[int, Claim]]:
    """The case's evidence records of these types, logged or still pending, as (seq, claim)."""
    logged = await db.scalars(select(LogEntry.entry).where(LogEntry.case_id == case_id, LogEntry.type.in_(types)))
    pending = await db.scalars(
        select(EvidencePending.entry).where(EvidencePending.case_id == case_id, EvidencePending.type.in_(types))
    )
    found: dict[int, Claim] = {}
    for entry in [*logged, *pending]:
        record = Record.from_entry(entry)
        found[record.seq] = record.claim
    return sorted(found.items())


class Review:
    def __init__(self, maker: async_sessionmaker[AsyncSession], recordings: Recordings, store: DerivedFiles) -> None:
        self.maker = maker
        self.recordings = recordings
        self.store = store
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
                raise NotFound("no such session")
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
            claims = await _claims(db, case.id, CONSENT_MARKERS + MANIFESTS)
            events = list(
                await db.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(HISTORY_MARKERS + CONSENT_MARKERS))
                    .order_by(CaseEvent.at)
                )
            )
        names = _Names(parties, users)
        views = []
        for row in rows:
            mine = [s for s in segments if s.recording_id == row.id and s.index <= row.manifested_index]
            views.append(_view(row, session_id, mine, [f for f in files if f.recording_id == row.id], names, claims, events))
        return SessionRecordings(session, case, views)

    # -- watching --------------------------------------------------------------------------------

    async def open_file(
        self, principal: Principal | None, recording_id: str, participant_id: str, view: str | None = None
    ) -> WatchFile:
        """A participant's remuxed file (made now if need be), the viewing written to the case history."""
        if not RECORDING_ID.match(recording_id):
            raise NotFound("no such recording")
        async with self.maker() as db:
            recording = await db.get(Recording, recording_id)
            if recording is None:
                raise NotFound("no such recording")
            staff, _ = await case_for_staff(db, principal, recording.case_id, court=True)
            if recording.status == "deleted":
                raise Gone("this recording was deleted at the end of its retention period", reason="deleted")
            if recording.status not in FINISHED:
                raise InvalidState("this recording is still running; it can be watched once it has stopped")
            if not PARTICIPANT_ID.match(participant_id) or not await self._segments(db, recording, participant_id):
                raise NotFound("this participant is not in this recording")
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
                plaintexts = [await self.recordings.read_segment(recording, s.index) for s in segments]
                data_key = self.recordings.master.unwrap(recording.wrapped_key)
                name = derived_name(recording.id, participant_id)
                started = time.monotonic()
                digest, size, origin = await asyncio.to_thread(
                    self._write, name, recording.id, participant_id, plaintexts, data_key
                )
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
        self, name: str, recording_id: str, participant_id: str, plaintexts: list[bytes], data_key: bytes
    ) -> tuple[str, int, int]:
        data, origin = remux_from_zero(plaintexts)
        self.store.put(name, seal_chunks(data_key, recording_id, participant_id, data))
        return hashlib.sha256(data).hexdigest(), len(data), origin


# -- shaping one recording ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    parties: dict[str, Party]
    users: dict[str, User]

    def of(self, participant_id: str) -> tuple[str, str, str]:
        """(name, role, kind) of a participant: a party of the case or a staff member."""
        party = self.parties.get(participant_id)
        if party is not None:
            return party.name, party.role, "party"
        user = self.users.get(participant_id)
        if user is not None:
            return user.display_name, user.role, "staff"
        return "?", "unknown", "unknown"


def _view(
    row: Recording,
    session_id: str,
    segments: list[RecordingSegment],
    files: list[RecordingFile],
    names: _Names,
    claims: list[tuple[int, Claim]],
    events: list[CaseEvent],
) -> RecordingView:
    start = row.started_at
    stop = row.ended_at or utcnow()
    gaps = _gaps(row, start, claims)
    participants = []
    for pid in dict.fromkeys(s.participant_id for s in segments):
        own = [s for s in segments if s.participant_id == pid]
        first, last = _time(own[0].start), _time(own[-1].end)
        name, role, kind = names.of(pid)
        participants.append(
            Participant(
                id=pid,
                name=name,
                role=role,
                kind=kind,
                offset=_seconds(start, first) if first else 0.0,
                end=_seconds(start, last) if last else 0.0,
                segments=len(own),
                file=next((f for f in files if f.participant_id == pid and f.kind == "remux"), None),
                gaps=[g for g in gaps if g.participant_id == pid],
            )
        )
    duration = max([_seconds(start, stop), *(p.end for p in participants)])
    markers = [Marker("recording_started", 0.0, start, row.started_by, names.of(row.started_by)[0])]
    markers += _consent_markers(session_id, start, stop, claims, events, names)
    markers += _history_markers(session_id, start, stop, events)
    # A caucus has its own markers; these say someone dropped out of the joint room otherwise.
    markers += [
        Marker(
            "not_recorded",
            g.start,
            start + timedelta(seconds=g.start),
            g.participant_id,
            names.of(g.participant_id)[0],
            {"reason": g.reason, "end": g.end, "kinds": list(g.kinds)},
        )
        for g in gaps
        if g.reason in ("held", "left", "reconnecting", "waiting")
    ]
    if row.ended_at is not None:
        markers.append(
            Marker("recording_stopped", _seconds(start, row.ended_at), row.ended_at, detail={"reason": row.end_reason})
        )
    markers.sort(key=lambda m: (m.at, m.time))
    return RecordingView(row, duration, participants, markers)


def _gaps(row: Recording, start: datetime, claims: list[tuple[int, Claim]]) -> list[Gap]:
    """What the manifests of this recording say was not recorded, and why; audio and video together."""
    merged: dict[tuple[str, float, float | None, str], set[str]] = {}
    for _, claim in claims:
        if claim.type not in MANIFESTS or claim.public.get("recording") != row.id:
            continue
        for g in claim.public.get("gaps") or []:
            if not isinstance(g, dict) or g.get("reason") not in GAP_REASONS:
                continue
            begin = _time(str(g.get("start")))
            end = _time(str(g.get("end"))) if g.get("end") else None
            if begin is None:
                continue
            key = (str(g.get("participant")), _seconds(start, begin), _seconds(start, end) if end else None, str(g["reason"]))
            merged.setdefault(key, set()).add(str(g.get("kind")))
    gaps = [Gap(pid, tuple(sorted(kinds)), begin_at, end_at, reason) for (pid, begin_at, end_at, reason), kinds in merged.items()]
    return sorted(gaps, key=lambda g: (g.start, g.participant_id))


def _consent_markers(
    session_id: str,
    start: datetime,
    stop: datetime,
    claims: list[tuple[int, Claim]],
    events: list[CaseEvent],
    names: _Names,
) -> list[Marker]:
    """Consents to this session's recording and their withdrawals, up to the recording's end.

    The time is when the case history took the record (a party's consent claim is made when the
    statement is prepared, a little before it is signed); one given before the recording started
    sits at its start, marked ``before_start``.
    """
    taken = {e.data.get("seq"): e.at for e in events if e.kind in CONSENT_MARKERS}
    out = []
    for seq, claim in claims:
        if claim.type not in CONSENT_MARKERS or claim.public.get("session") != session_id:
            continue
        when = taken.get(seq) or _time(claim.time)
        if when is None or when > stop:
            continue
        who = claim.actor.get("id")
        detail: dict[str, Any] = {"seq": seq}
        if claim.public.get("method"):
            detail["method"] = claim.public["method"]
        if when < start:
            detail["before_start"] = True
        out.append(Marker(claim.type, max(0.0, _seconds(start, when)), when, who, names.of(who)[0] if who else None, detail))
    return out


def _history_markers(session_id: str, start: datetime, stop: datetime, events: list[CaseEvent]) -> list[Marker]:
    out = []
    for e in events:
        if e.kind not in HISTORY_MARKERS or e.data.get("session_id") != session_id or not start <= e.at <= stop:
            continue
        detail: dict[str, Any] = {"by": e.actor_name}
        if e.kind == "caucus_started":
            detail["members"] = [m.get("name") for m in e.data.get("members", []) if isinstance(m, dict)]
        out.append(Marker(e.kind, _seconds(start, e.at), e.at, e.data.get("participant_id"), e.data.get("name"), detail))
    return out
