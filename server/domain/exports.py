"""Export as one video (issue #5): a stopped recording as one MP4, everyone in a grid, voices mixed.

A mediator starts an export of a stopped recording; it runs in the background and the page
polls it. The work is ``recordings.compose.compose_in_child``: a child process at nice 19, so
a server holding live sessions gives it only the CPU they leave over (composing costs about
half a core for the session's length). At most ``CONCURRENT`` exports compose at once in a
process; others wait, ``queued``.

Inputs are the participants' remuxed files (``server.domain.review``, made if need be),
decrypted into a private temporary directory (``mkdtemp``: mode 0700, files 0600) that is
removed when the job ends, whichever way. Each remuxed file starts at its participant's first
packet; it is written back onto the recording's timeline (``start_ms`` later) so that the
composer places everyone by their packets' own times.

The MP4 is kept like every derived file: sealed at rest in AES-GCM chunks under the
recording's data key (the kind "export" bound into each chunk), beside the segments in the
recordings store, so that retention deletes it with them; it is a ``RecordingFile``
(participant "grid", kind "export") with its SHA-256 and size, and the segments it was made from. It is reused while those are
still the recording's segments. Job state is kept in memory per process: after a restart a
running export is gone (start it again), a finished one is found from its row.

Starting, finishing (or failing, or being cancelled) and downloading an export go into the
case history; downloads once per person and file in ``DOWNLOAD_WINDOW``, as viewings are.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings import webm
from recordings.compose import MAX_TILES, ComposeError, compose_in_child
from recordings.storage import StorageError, derived_name
from server.domain import history
from server.domain.access import case_for_staff
from server.domain.principal import Principal, Staff
from server.domain.recordings import FINISHED, covered
from server.domain.review import RECORDING_ID, Review, WatchFile, seal_file
from server.errors import Gone, InvalidState, NotFound
from server.models import Case, Party, Recording, RecordingFile, RecordingSegment, User, utcnow

log = logging.getLogger(__name__)

KIND = "export"
GRID = "grid"  # the export's participant_id: everyone
State = Literal["queued", "running", "done", "failed", "cancelled"]
ACTIVE = ("queued", "running")
#: Exports composing at once in one process; each takes about half a core (recordings.compose).
CONCURRENT = 1
#: Shares of the progress bar: decrypting the inputs, composing, sealing the result.
PREPARING, SEALING = 0.05, 0.03
#: The review copy's picture. It is for watching, not evidence (each participant's own file is),
#: so it is made cheaply: 960x540 at 15 fps with x264's fastest preset costs about 7 CPU seconds
#: per minute of a 3-person session here, where 1280x720 at 25 fps "veryfast" cost 28
#: (``mediate bench long``; the target is under 6 s of wall time per minute on two cores).
REVIEW_WIDTH, REVIEW_HEIGHT, REVIEW_FPS = 960, 540, 15
REVIEW_PRESET, REVIEW_CRF = "ultrafast", 26
DOWNLOAD_WINDOW = 600.0
MAX_DOWNLOADS_KEPT = 10_000


@dataclass(frozen=True)
class Problem:
    """Why an export failed, for the person who asked (both languages) and for the log."""

    code: str
    zh: str
    en: str
    detail: str = ""


def problem_of(error: BaseException) -> Problem:
    if isinstance(error, ComposeError):
        return Problem(
            "compose_failed",
            "合成视频时出错，请稍后再试。",
            "Putting the video together failed; please try again later.",
            str(error),
        )
    if isinstance(error, StorageError | OSError):
        return Problem(
            "storage",
            "无法读取或保存录像文件，请稍后再试或联系管理员。",
            "The recording's files could not be read or stored; try again later or ask an administrator.",
            str(error),
        )
    if isinstance(error, ValueError):
        return Problem(
            "no_media",
            "这段录像里没有可以合成的画面或声音。",
            "This recording holds no picture or sound to put together.",
            str(error),
        )
    return Problem(
        "unexpected", "导出时出现意外错误，请稍后再试。", "The export stopped on an unexpected error; please try again later."
    )


@dataclass
class ExportJob:
    recording_id: str
    case_id: str
    state: State = "queued"
    progress: float = 0.0  # 0 to 1
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    problem: Problem | None = None
    file: RecordingFile | None = None
    #: Set once the MP4 is complete: from then on a cancel lets it finish (as compose's own rename does).
    sealing: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


@dataclass(frozen=True)
class Inputs:
    """What an export is made of: the participants in order of appearance, their names, and the segments."""

    participants: list[str]
    labels: list[str]
    indices: list[int]

    @property
    def fingerprint(self) -> dict[str, list[str] | list[int]]:
        return {"participants": self.participants, "indices": self.indices}


@dataclass(frozen=True)
class Download:
    file: WatchFile
    case_number: str
    recording_started_at: datetime


class Exports:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        review: Review,
        temp_root: Path | None = None,
        concurrent: int = CONCURRENT,
    ) -> None:
        self.maker = maker
        self.review = review
        self.store = review.store
        self.temp_root = temp_root
        self._slots = asyncio.Semaphore(concurrent)
        self._jobs: dict[str, ExportJob] = {}
        self._downloads: dict[tuple[str, str, str], float] = {}

    # -- what a mediator asks --------------------------------------------------------------------

    async def start(self, principal: Principal | None, recording_id: str) -> ExportJob:
        """Start exporting a stopped recording, or the job already running, or the finished export."""
        async with self.maker() as db:
            staff, recording, _ = await self._authorised(db, principal, recording_id)
            _check_finished(recording)
            running = self._jobs.get(recording_id)
            if running is not None and running.active:
                return running
            inputs = await _inputs(db, recording)
            if not inputs.participants:
                raise InvalidState("nobody's picture or sound is in this recording", reason="empty")
            if len(inputs.participants) > MAX_TILES:
                raise InvalidState(f"at most {MAX_TILES} participants fit in one video", reason="too_many")
            row = await _export_row(db, recording_id)
        if row is not None and await self._current(row, inputs):
            return self._done(recording, row)
        running = self._jobs.get(recording_id)  # again: another request may have started one meanwhile
        if running is not None and running.active:
            return running
        job = self._jobs[recording_id] = ExportJob(recording_id, recording.case_id)
        job.task = asyncio.create_task(self._run(job, staff, recording, inputs), name=f"export {recording_id}")
        async with self.maker() as db, db.begin():
            history.record(
                db,
                recording.case_id,
                staff,
                "recording_export_started",
                recording_id=recording_id,
                session_id=recording.session_id,
                participants=len(inputs.participants),
            )
        log.info("recording %s: %s started an export of %d participants", recording_id, staff.user_id, len(inputs.participants))
        return job

    async def status(self, principal: Principal | None, recording_id: str) -> ExportJob:
        """The recording's export job in this process, or its finished export."""
        async with self.maker() as db:
            _, recording, _ = await self._authorised(db, principal, recording_id)
            if recording.status == "deleted":
                raise Gone("this recording was deleted at the end of its retention period", reason="deleted")
            job = self._jobs.get(recording_id)
            if job is not None and job.state != "done":
                return job
            row = await _export_row(db, recording_id)
            inputs = await _inputs(db, recording)
        if row is not None and await self._current(row, inputs):
            return self._done(recording, row)
        raise NotFound("this recording has not been exported", reason="not_exported")

    async def cancel(self, principal: Principal | None, recording_id: str) -> ExportJob:
        """Stop a queued or running export: its child process stops and no file is left.

        Once the video is complete and being stored, it is kept (the job finishes).
        """
        async with self.maker() as db:
            staff, recording, _ = await self._authorised(db, principal, recording_id)
        job = self._jobs.get(recording_id)
        if job is None:
            raise NotFound("no export of this recording was started", reason="not_exported")
        if not job.active:
            raise InvalidState(f"this export is not running (it is {job.state})", reason=job.state)
        if job.sealing or job.task is None:
            return job
        job.task.cancel()
        await asyncio.wait([job.task])
        if job.state == "cancelled":
            async with self.maker() as db, db.begin():
                history.record(
                    db,
                    recording.case_id,
                    staff,
                    "recording_export_cancelled",
                    recording_id=recording_id,
                    session_id=recording.session_id,
                )
            log.info("recording %s: %s cancelled its export", recording_id, staff.user_id)
        return job

    async def open_file(self, principal: Principal | None, recording_id: str) -> Download:
        """The finished export to download; each download is written to the case history."""
        async with self.maker() as db:
            staff, recording, case = await self._authorised(db, principal, recording_id)
            _check_finished(recording)
            row = await _export_row(db, recording_id)
            inputs = await _inputs(db, recording)
        if row is None or not await self._current(row, inputs):
            job = self._jobs.get(recording_id)
            if job is not None and job.active:
                raise InvalidState("the video is still being made", reason="exporting")
            raise NotFound("this recording has not been exported", reason="not_exported")
        if self._new_download(staff, recording_id, row.sha256):
            async with self.maker() as db, db.begin():
                history.record(
                    db,
                    recording.case_id,
                    staff,
                    "recording_export_downloaded",
                    recording_id=recording_id,
                    session_id=recording.session_id,
                    sha256=row.sha256,
                )
            log.info("recording %s: %s downloads its export", recording_id, staff.user_id)
        key = self.review.recordings.master.unwrap(recording.wrapped_key)
        return Download(WatchFile(row, self.store, key), case.case_number, recording.started_at)

    async def close(self) -> None:
        """Stop every export of this process (the server is stopping)."""
        tasks = [job.task for job in self._jobs.values() if job.active and job.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    # -- the job ---------------------------------------------------------------------------------

    async def _run(self, job: ExportJob, staff: Staff, recording: Recording, inputs: Inputs) -> None:
        began = time.monotonic()
        try:
            async with self._slots:
                job.state = "running"
                job.file = await self._make(job, staff, recording, inputs, began)
        except asyncio.CancelledError:
            if job.file is None:
                job.state, job.finished_at = "cancelled", utcnow()
                log.info("recording %s: export cancelled", recording.id)
                raise
        except Exception as error:  # the job says why; the server carries on
            job.problem = problem_of(error)
            log.log(
                logging.ERROR if job.problem.code == "unexpected" else logging.WARNING,
                "recording %s: export failed (%s): %s",
                recording.id,
                job.problem.code,
                error,
                exc_info=job.problem.code == "unexpected",
            )
            with contextlib.suppress(Exception):
                async with self.maker() as db, db.begin():
                    history.record(
                        db,
                        recording.case_id,
                        staff,
                        "recording_export_failed",
                        recording_id=recording.id,
                        session_id=recording.session_id,
                        reason=job.problem.code,
                    )
            job.state, job.finished_at = "failed", utcnow()
            return
        job.progress, job.state, job.finished_at = 1.0, "done", utcnow()

    async def _make(self, job: ExportJob, staff: Staff, recording: Recording, inputs: Inputs, began: float) -> RecordingFile:
        with tempfile.TemporaryDirectory(prefix=f"mediate-export-{recording.id}-", dir=self.temp_root) as folder:
            sources = []
            for i, participant_id in enumerate(inputs.participants):
                watched = await self.review.remuxed(recording, participant_id)
                remuxed = Path(folder) / f"{i}.remux.webm"
                with await asyncio.to_thread(_private, remuxed) as out:
                    async for piece in watched.read(0, watched.size):
                        await asyncio.to_thread(out.write, piece)
                path = Path(folder) / f"{i}.webm"
                await asyncio.to_thread(_on_timeline, remuxed, watched.row.start_ms, path)
                remuxed.unlink()
                sources.append(path)
                job.progress = PREPARING * (i + 1) / len(inputs.participants)

            def composing(fraction: float) -> None:
                job.progress = PREPARING + (1 - PREPARING - SEALING) * min(1.0, max(0.0, fraction))

            output = Path(folder) / "grid.mp4"
            await compose_in_child(
                sources,
                inputs.labels,
                output,
                progress=composing,
                width=REVIEW_WIDTH,
                height=REVIEW_HEIGHT,
                fps=REVIEW_FPS,
                preset=REVIEW_PRESET,
                crf=REVIEW_CRF,
            )
            job.sealing = True
            # Stored and recorded to the end even if the server stops meanwhile: a sealed file
            # replaces the previous export, so its row must follow it.
            finish = asyncio.ensure_future(self._store(staff, recording, inputs, output, began))
            try:
                return await asyncio.shield(finish)
            except asyncio.CancelledError:
                await asyncio.wait([finish])
                if finish.exception() is None:
                    job.file = finish.result()
                raise

    async def _store(self, staff: Staff, recording: Recording, inputs: Inputs, output: Path, began: float) -> RecordingFile:
        name = derived_name(recording.id, GRID, KIND)
        key = self.review.recordings.master.unwrap(recording.wrapped_key)
        sha256, size = await asyncio.to_thread(self._seal, name, key, recording.id, output)
        seconds = round(time.monotonic() - began, 1)
        async with self.maker() as db, db.begin():
            row = await _export_row(db, recording.id)
            if row is None:
                row = RecordingFile(recording_id=recording.id, participant_id=GRID, kind=KIND)
                db.add(row)
            row.name, row.sha256, row.bytes, row.start_ms = name, sha256, size, 0
            row.segments = inputs.fingerprint
            row.created_at = utcnow()
            history.record(
                db,
                recording.case_id,
                staff,
                "recording_export_finished",
                recording_id=recording.id,
                session_id=recording.session_id,
                sha256=row.sha256,
                bytes=size,
                seconds=seconds,
            )
        log.info("recording %s: exported (%d bytes) in %.1f s", recording.id, size, seconds)
        return row

    # -- helpers ---------------------------------------------------------------------------------

    def _seal(self, name: str, key: bytes, recording_id: str, output: Path) -> tuple[str, int]:
        """Seal the MP4 into the store a chunk at a time (it may be large); its SHA-256 and size."""
        digest = hashlib.sha256()
        size = output.stat().st_size
        self.store.put(name, seal_file(key, recording_id, GRID, output, KIND, digest.update))
        return digest.hexdigest(), size

    @staticmethod
    async def _authorised(db: AsyncSession, principal: Principal | None, recording_id: str) -> tuple[Staff, Recording, Case]:
        if not RECORDING_ID.match(recording_id):
            raise NotFound("no such recording", reason="no_such_recording")
        recording = await db.get(Recording, recording_id)
        if recording is None:
            raise NotFound("no such recording", reason="no_such_recording")
        staff, case = await case_for_staff(db, principal, recording.case_id)
        return staff, recording, case

    async def _current(self, row: RecordingFile, inputs: Inputs) -> bool:
        """The export was made from the recording's segments as they are, and its file is whole."""
        return row.segments == inputs.fingerprint and await self.review.whole(row)

    def _done(self, recording: Recording, row: RecordingFile) -> ExportJob:
        job = self._jobs.get(recording.id)
        if job is not None and job.state == "done" and job.file is not None and job.file.sha256 == row.sha256:
            return job
        job = ExportJob(recording.id, recording.case_id, "done", 1.0, row.created_at, row.created_at, file=row)
        self._jobs[recording.id] = job
        return job

    def _new_download(self, staff: Staff, recording_id: str, sha256: str) -> bool:
        now = time.monotonic()
        key = (staff.user_id, recording_id, sha256)
        last = self._downloads.get(key)
        self._downloads[key] = now
        if len(self._downloads) > MAX_DOWNLOADS_KEPT:
            self._downloads = {k: t for k, t in self._downloads.items() if now - t <= DOWNLOAD_WINDOW}
        return last is None or now - last > DOWNLOAD_WINDOW


def _check_finished(recording: Recording) -> None:
    if recording.status == "deleted":
        raise Gone("this recording was deleted at the end of its retention period", reason="deleted")
    if recording.status not in FINISHED:
        raise InvalidState("this recording is still running; it can be exported once it has stopped", reason="recording")


async def _inputs(db: AsyncSession, recording: Recording) -> Inputs:
    """The segments an export uses (those a logged manifest covers, as for watching) and whose they are."""
    query = (
        select(RecordingSegment.index, RecordingSegment.participant_id).where(covered(recording)).order_by(RecordingSegment.index)
    )
    rows = [(int(index), str(pid)) for index, pid in await db.execute(query)]
    participants = list(dict.fromkeys(pid for _, pid in rows))
    parties = {p.id: p.name for p in await db.scalars(select(Party).where(Party.case_id == recording.case_id))}
    users = {u.id: u.display_name for u in await db.scalars(select(User).where(User.id.in_(participants)))}
    labels = [parties.get(pid) or users.get(pid) or "?" for pid in participants]
    return Inputs(participants, labels, [index for index, _ in rows])


async def _export_row(db: AsyncSession, recording_id: str) -> RecordingFile | None:
    query = select(RecordingFile).where(
        RecordingFile.recording_id == recording_id, RecordingFile.participant_id == GRID, RecordingFile.kind == KIND
    )
    return (await db.scalars(query)).first()


def _private(path: Path) -> BinaryIO:
    """A new file only this process's user may read (the folder is private too)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _on_timeline(remuxed: Path, start_ms: int, path: Path) -> None:
    """A remuxed file (starting at its participant's first packet) moved back onto the recording's timeline.

    Streamed (``recordings.webm.remux_to``): a two-hour participant is about a gigabyte.
    """
    _private(path).close()  # made 0600 before the muxer opens it
    webm.remux_to(path, lambda: [remuxed], shift_ms=start_ms)
