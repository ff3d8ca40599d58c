"""Long sessions stream (#24): remux, bundle and verifier give what they gave when everything was in memory.

A short session is recorded through the real recorder and writer (``server.bench.long``, the
frames fed on a fabricated clock); what each streaming path makes is compared with the old
in-memory way of making it, written out here as the reference.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
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
from server.domain.principal import SYSTEM
from server.evidence import bundle as bz
from server.evidence import zip_members
from server.evidence.verify import verify_bundle
from server.models import Recording, RecordingSegment
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
