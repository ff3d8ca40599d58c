"""Long sessions stream (#24): remux, bundle and verifier give what they gave when everything was in memory.

A short session is recorded through the real recorder and writer (``server.bench.long``, the
frames fed on a fabricated clock); what each streaming path makes is compared with the old
in-memory way of making it, written out here as the reference.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import shutil
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import select

from recordings import webm
from server import db
from server.bench.long import Fabricated, record_session
from server.composition import make_services
from server.documents.ruling_pdf import RulingDoc, render_ruling
from server.domain import filing
from server.domain.clocks import local_day
from server.domain.principal import SYSTEM, Staff
from server.domain.statistics.audit import verify_snapshot
from server.evidence import bundle as bz
from server.evidence import zip_members
from server.evidence.verify import verify_bundle
from server.models import Party, Recording, RecordingSegment, User, utcnow
from server.services import Services
from server.settings import Settings


@dataclass
class Recorded:
    services: Services
    fab: Fabricated
    recording: Recording
    #: Each participant's segment plaintexts, in order.
    segments: dict[str, list[bytes]]


@pytest.fixture
async def recorded(settings: Settings) -> AsyncIterator[Recorded]:
    engine = db.make_engine(settings.resolved_database_url)
    services = make_services(settings, engine)
    await services.ledger.publish_platform_keys()
    try:
        fab = await record_session(services, minutes=0.25)
        async with services.recordings.maker() as session:
            recording = await session.get(Recording, fab.recording_id)
            rows = list(
                await session.scalars(
                    select(RecordingSegment)
                    .where(RecordingSegment.recording_id == fab.recording_id)
                    .order_by(RecordingSegment.index)
                )
            )
        assert recording is not None
        segments: dict[str, list[bytes]] = {}
        for row in rows:
            segments.setdefault(row.participant_id, []).append(await services.recordings.read_segment(recording, row.index))
        yield Recorded(services, fab, recording, segments)
    finally:
        await engine.dispose()


def in_memory_remux(segments: list[bytes], from_zero: bool) -> tuple[bytes, int]:
    """The remux as it was: every frame of every segment in a list, moved, sorted and muxed at once."""
    frames = [frame for data in segments for frame in webm.frames(data)]
    origin = min(f.pts_ms for f in frames) if from_zero else 0
    return webm.mux([replace(f, pts_ms=f.pts_ms - origin) for f in frames]), origin


async def test_a_participants_file_to_watch_is_the_same_bytes_as_the_in_memory_remux_made(recorded: Recorded) -> None:
    assert await recorded.services.review.prepare(recorded.fab.recording_id) == 3
    for participant_id, segments in recorded.segments.items():
        assert len(segments) >= 3
        watched = await recorded.services.review.remuxed(recorded.recording, participant_id)
        plaintext = b"".join([piece async for piece in watched.read(0, watched.size)])
        expected, origin = in_memory_remux(segments, from_zero=True)
        assert plaintext == expected
        assert (watched.sha256, watched.size, watched.row.start_ms) == (
            hashlib.sha256(expected).hexdigest(),
            len(expected),
            origin,
        )


@pytest.mark.parametrize("block", [webm.BLOCK, 7])
def test_remuxing_as_a_stream_gives_the_bytes_of_muxing_every_frame_at_once(
    recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # A small block makes the writer hold back and let go many times within each segment.
    monkeypatch.setattr(webm, "BLOCK", block)
    segments = next(iter(recorded.segments.values()))
    expected, _ = in_memory_remux(segments, from_zero=False)
    assert webm.remux(segments) == expected
    on_disk = tmp_path / "remuxed.webm"
    webm.remux_to(on_disk, lambda: segments)
    assert on_disk.read_bytes() == expected
    # Sources out of time order (not what the recorder writes, but the result must not depend on it).
    shuffled = [segments[1], segments[0], *segments[2:]]
    assert webm.remux(shuffled) == in_memory_remux(shuffled, from_zero=False)[0]
    # A whole file as the one source, moved in time (the export's inputs are made so).
    moved = tmp_path / "moved.webm"
    webm.remux_to(moved, lambda: [on_disk], shift_ms=1234)
    assert moved.read_bytes() == webm.mux([replace(f, pts_ms=f.pts_ms + 1234) for f in webm.frames(expected)])


async def test_a_bundle_written_from_the_store_is_the_zip_the_segments_in_memory_made(recorded: Recorded, tmp_path: Path) -> None:
    exported = await recorded.services.evidence.export(SYSTEM, recorded.fab.case_id)
    contents, _ = bz.read_bundle(io.BytesIO(exported.data))
    streamed = await recorded.services.recordings.bundle_files(recorded.fab.case_id)
    segment_names = [name for name in streamed if name.endswith(".webm")]
    assert len(segment_names) == sum(len(s) for s in recorded.segments.values())
    assert all(isinstance(streamed[name], bz.StreamedFile) for name in segment_names)
    # The same contents with the recordings streamed from the store: the same bytes, to the last one.
    with_streams = replace(contents, extra_files={**contents.extra_files, **streamed})
    into = tmp_path / "streamed.zip"
    bz.write_bundle(into, with_streams)
    assert into.read_bytes() == exported.data

    # A file that is not what the log says is refused, not zipped.
    name = segment_names[0]
    original = streamed[name]
    assert isinstance(original, bz.StreamedFile)
    forged = replace(original, chunks=lambda: [b"not the recording"])
    with pytest.raises(bz.BundleError, match=name):
        bz.write_bundle(io.BytesIO(), replace(contents, extra_files={**contents.extra_files, name: forged}))


async def test_the_verifier_streaming_the_recordings_finds_what_it_found_reading_them_whole(
    recorded: Recorded, tmp_path: Path
) -> None:
    path = tmp_path / "bundle.zip"
    with await asyncio.to_thread(open, path, "wb") as into:
        await recorded.services.evidence.export(SYSTEM, recorded.fab.case_id, into=into)
    whole = bz.read_files(path)
    with bz.open_files(path) as files:
        assert set(files) == set(whole)
        for name, data in whole.items():
            assert files.sha256(name) == hashlib.sha256(data).hexdigest()
            assert files[name] == data
    report = verify_bundle(path)
    assert report.ok, [f for f in report.findings if f.level == "problem"]
    [coverage] = report.recordings
    assert coverage["status"] == "complete" and len(coverage["participants"]) == 3

    # One segment altered inside the zip: named as before.
    altered = tmp_path / "altered.zip"
    victim = sorted(name for name in whole if name.endswith(".webm"))[1]
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(altered, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[:-1] + bytes([data[-1] ^ 1]) if info.filename == victim else data)
    found = verify_bundle(altered)
    assert not found.ok
    assert [(f.code, f.file) for f in found.findings if f.level == "problem"] == [
        ("file_modified", victim),
        ("segment_altered", victim),
    ]


def test_media_pictures_pdfs_and_zips_are_stored_and_text_deflated() -> None:
    stored = ["recordings/r/000001.webm", "documents/d.pdf", "documents/d.PNG", "documents/d.jpg", "05-证据包.zip", "x.mp4"]
    deflated = ["records/000001.json", "README.txt", "stream.jsonl", "webm", "recordings/r.webm/chain.json", ".webm"]
    assert {zip_members.compression_for(name) for name in stored} == {zipfile.ZIP_STORED}
    assert {zip_members.compression_for(name) for name in deflated} == {zipfile.ZIP_DEFLATED}


async def test_recordings_are_stored_in_the_bundle_and_one_deflated_throughout_still_verifies(
    recorded: Recorded, tmp_path: Path
) -> None:
    path = tmp_path / "bundle.zip"
    with await asyncio.to_thread(open, path, "wb") as into:
        await recorded.services.evidence.export(SYSTEM, recorded.fab.case_id, into=into)
    with zipfile.ZipFile(path) as zf:
        methods = {info.filename: info.compress_type for info in zf.infolist()}
    assert {m for name, m in methods.items() if name.endswith(".webm")} == {zipfile.ZIP_STORED}
    assert {m for name, m in methods.items() if name.endswith((".json", ".txt"))} == {zipfile.ZIP_DEFLATED}
    report = verify_bundle(path)
    assert report.ok, [f for f in report.findings if f.level == "problem"]

    # A bundle as they were written before: every file deflated. Same files, same manifest, same findings.
    old = tmp_path / "deflated.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    with zipfile.ZipFile(old) as zf:
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_DEFLATED}
    assert bz.read_files(old) == bz.read_files(path)
    again = verify_bundle(old)
    assert again.ok and [(f.code, f.file) for f in again.findings] == [(f.code, f.file) for f in report.findings]


@dataclass
class Failed:
    """A longer recorded session whose mediation then ended without agreement, and its mediator."""

    services: Services
    case_id: str
    organisation_id: str
    mediator: Staff
    applicant_id: str


@pytest.fixture
async def failed(settings: Settings) -> AsyncIterator[Failed]:
    engine = db.make_engine(settings.resolved_database_url)
    services = make_services(settings, engine)
    await services.ledger.publish_platform_keys()
    try:
        fab = await record_session(services, minutes=2)  # about 47 MB of WebM in the case's bundle
        async with services.recordings.maker() as session:
            user = await session.get(User, fab.mediator_id)
            assert user is not None and user.organisation_id is not None
            applicant = await session.scalar(select(Party).where(Party.case_id == fab.case_id, Party.role == "applicant"))
            assert applicant is not None
        mediator = Staff(user.id, user.organisation_id, "mediator", user.display_name, "Asia/Shanghai")
        await services.outcomes.end_without_agreement(mediator, fab.case_id, "divergence", "")
        yield Failed(services, fab.case_id, user.organisation_id, mediator, applicant.id)
    finally:
        await engine.dispose()


def bundle_in(path: Path, name: str, into: Path) -> int:
    """Copy the member ``name`` of the zip ``path`` out into ``into``, a chunk at a time; its size."""
    with zipfile.ZipFile(path) as zf, zf.open(name) as member, into.open("wb") as out:
        shutil.copyfileobj(member, out, zip_members.CHUNK)
    return into.stat().st_size


async def test_a_filing_package_copies_the_bundle_through_in_memory_far_smaller_than_the_bundle(
    failed: Failed, tmp_path: Path
) -> None:
    path = tmp_path / "package.zip"
    # Laying out the statement's PDF with a CJK font takes tens of MB, however long the recording: measured
    # first, as what the package may take besides what the bundle costs it.
    one_page = RulingDoc(court="调解委员会", title="调解不成情况说明", case_number="（2026）调字第1号", parties=["申请人：张三。"],
                         body=["一、调解基本情况"], operative=["本材料包由调解平台生成。"], signatures=["调解员　甲"])  # fmt: skip
    with await asyncio.to_thread(open, path, "w+b") as into:
        tracemalloc.start()
        try:
            await asyncio.to_thread(render_ruling, one_page, failed.services.settings.pdf_font)
            statement = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            package = await failed.services.filing.make(
                failed.mediator, failed.case_id, applicant_id=failed.applicant_id, consent="在视频调解中选择在线立案", into=into
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert package.data == b""
    inner = bundle_in(path, filing.BUNDLE, tmp_path / "bundle.zip")
    assert inner > 40_000_000
    # Held whole, the bundle was in memory three times over (the export, the package, its bytes); streamed,
    # a few chunks of it are.
    assert peak < statement + inner / 10, (peak, statement, inner)

    # The package is what it was: its hash, the manifest's size and hash of the bundle, a bundle that verifies.
    assert package.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    [listed] = [f for f in package.manifest["files"] if f["path"] == filing.BUNDLE]
    assert (listed["bytes"], listed["sha256"]) == (inner, hashlib.sha256((tmp_path / "bundle.zip").read_bytes()).hexdigest())
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("manifest.json")) == package.manifest
        assert zf.getinfo(filing.BUNDLE).compress_type == zipfile.ZIP_STORED
    report = verify_bundle(tmp_path / "bundle.zip")
    assert report.ok, [f for f in report.findings if f.level == "problem"]


async def test_a_snapshot_export_copies_each_bundle_through_in_memory_far_smaller_than_the_bundle(
    failed: Failed, tmp_path: Path
) -> None:
    snaps = failed.services.statistics_snapshots
    taken = await snaps.take_snapshot(failed.organisation_id, local_day(utcnow()).strftime("%Y-%m"))
    path = tmp_path / "snapshot.zip"
    with await asyncio.to_thread(open, path, "wb") as into:
        tracemalloc.start()
        try:
            name, data = await snaps.export(SYSTEM, taken.snapshot.id, into=into)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert data == b"" and name.endswith(".zip")
    inner = bundle_in(path, f"bundles/{failed.case_id}.zip", tmp_path / "bundle.zip")
    assert inner > 40_000_000
    assert peak < inner / 5, (peak, inner)
    assert verify_snapshot(str(path), lang="en").ok
