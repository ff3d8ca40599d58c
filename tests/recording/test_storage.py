"""Where recordings are kept: the same promises from the recordings directory and from an S3-compatible store.

Each contract test runs against ``LocalStorage`` on a temporary directory and against
``S3Storage`` on a real S3-compatible server on this machine (moto's), through the blocking
interface from worker threads, as the recorder and the review use it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from recordings import crypto, s3
from recordings.s3 import Bucket, S3DerivedFiles, S3Storage
from recordings.storage import DerivedFiles, LocalDerivedFiles, LocalStorage, Storage, StorageError, derived_name, segment_name
from server.domain.review import WatchFile, derived, seal_chunks
from server.models import RecordingFile
from tests.recording.s3 import Place, s3_endpoint, s3_place  # noqa: F401 - fixtures

run = asyncio.to_thread
PREFIX = "tenant-a/"


@dataclass
class Stores:
    kind: str
    storage: Storage
    derived: DerivedFiles
    #: Every name the store holds (for S3: the keys under the prefix, without it).
    listing: Callable[[], Awaitable[list[str]]]


@pytest.fixture(params=["local", "s3"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str) -> AsyncIterator[Stores]:  # noqa: F811
    if request.param == "local":
        root = tmp_path / "recordings"

        async def files() -> list[str]:
            return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []

        yield Stores("local", LocalStorage(root), LocalDerivedFiles(root), files)
        return
    place = Place(s3_endpoint, f"mediate-test-{uuid.uuid4().hex[:16]}")
    async with place.client() as client:
        await client.create_bucket(Bucket=place.bucket)
    bucket = Bucket(place.config(PREFIX))

    async def keys() -> list[str]:
        found = await place.keys()
        assert all(k.startswith(PREFIX) for k in found), found
        return [k.removeprefix(PREFIX) for k in found]

    yield Stores("s3", S3Storage(bucket), S3DerivedFiles(bucket), keys)
    await run(bucket.close)


def new_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> int:
    """Multipart uploads of the smallest parts S3 takes (5 MiB), so that a test needs only a few."""
    monkeypatch.setattr(s3, "PART_BYTES", 5 * 1024 * 1024)
    return s3.PART_BYTES


async def test_a_segment_is_stored_whole_and_read_back(stores: Stores) -> None:
    name, data = segment_name(new_id(), 1), os.urandom(50_000)
    assert not await run(stores.storage.exists, name)
    with pytest.raises(StorageError):
        await run(stores.storage.get, name)
    await run(stores.storage.put, name, data)
    assert await run(stores.storage.exists, name)
    assert await run(stores.storage.get, name) == data
    assert await stores.listing() == [name]


async def test_a_segment_is_never_written_twice(stores: Stores) -> None:
    name, first = segment_name(new_id(), 7), os.urandom(20_000)
    await run(stores.storage.put, name, first)
    with pytest.raises(StorageError, match="never overwritten") as refused:
        await run(stores.storage.put, name, os.urandom(20_000))
    assert refused.value.full is False
    assert await run(stores.storage.get, name) == first
    assert await stores.listing() == [name], "nothing half-written is left beside it"


async def test_names_the_server_did_not_make_are_refused(stores: Stores) -> None:
    rid = new_id()
    for bad in (
        "../../etc/passwd",
        f"{rid}/../000001.seg",
        f"{rid}/1.seg",
        f"{rid.upper()}/000001.seg",
        f"/{rid}/000001.seg",
        f"{rid}/000001.seg\n",
        f"{rid}/remux-x.sealed",
        "",
    ):
        for call in (
            partial(stores.storage.put, bad, b"x"),
            partial(stores.storage.get, bad),
            partial(stores.storage.exists, bad),
            partial(stores.storage.delete, bad),
        ):
            with pytest.raises(ValueError, match="not a segment name"):
                await run(call)
    for bad in (f"{rid}/000001.seg", f"{rid}/remux-../x.sealed", f"{rid}/other-x.sealed", f"{rid}/remux-{'x' * 40}.sealed"):
        for derived_call in (
            partial(stores.derived.put, bad, [b"x"]),
            partial(stores.derived.size, bad),
            partial(stores.derived.read, bad, 0, 1),
        ):
            with pytest.raises(ValueError, match="not a derived file name"):
                await run(derived_call)
    for bad in ("", "..", f"{rid}/", rid[:-1], rid.upper(), f"{rid}\n"):
        with pytest.raises(ValueError, match="not a recording id"):
            await run(stores.storage.delete_recording, bad)
    assert await stores.listing() == []


async def test_deleting_a_recording_removes_its_segments_and_derived_files_and_nothing_of_another(stores: Stores) -> None:
    gone, kept = new_id(), new_id()
    contents: dict[str, bytes] = {}
    for rid in (gone, kept):
        for index in (1, 2, 3):
            contents[segment_name(rid, index)] = os.urandom(1000 + index)
            await run(stores.storage.put, segment_name(rid, index), contents[segment_name(rid, index)])
        for name in (derived_name(rid, "participant-1"), derived_name(rid, "grid", "export")):
            contents[name] = os.urandom(3000)
            await run(stores.derived.put, name, [contents[name]])
    assert await stores.listing() == sorted(contents)

    await run(stores.storage.delete_recording, gone)
    for name in contents:
        if name.startswith(gone):
            if name.endswith(".seg"):
                assert not await run(stores.storage.exists, name)
                with pytest.raises(StorageError):
                    await run(stores.storage.get, name)
            else:
                assert await run(stores.derived.size, name) is None
        elif name.endswith(".seg"):
            assert await run(stores.storage.get, name) == contents[name]
        else:
            assert await run(stores.derived.read, name, 0, 5000) == contents[name]
    assert await stores.listing() == sorted(n for n in contents if n.startswith(kept))
    await run(stores.storage.delete_recording, gone)  # again: nothing left to do, no error


async def test_a_derived_file_is_read_by_byte_range_across_the_chunks_it_was_written_in(stores: Stores) -> None:
    name = derived_name(new_id(), "participant-1")
    chunks = [os.urandom(n) for n in (1000, 3000, 1, 4096)]
    whole = b"".join(chunks)
    assert await run(stores.derived.size, name) is None
    await run(stores.derived.put, name, iter(chunks))
    assert await run(stores.derived.size, name) == len(whole)
    for offset, length in (
        (0, len(whole)),
        (999, 2),
        (1000, 3000),
        (500, 3600),
        (3999, 3),
        (len(whole) - 1, 1),
        (len(whole) - 10, 100),  # past the end: what there is, as a file reads
        (len(whole), 10),
    ):
        assert await run(stores.derived.read, name, offset, length) == whole[offset : offset + length], (offset, length)
    # Made again (from the same segments), it replaces the file before it.
    again = os.urandom(2000)
    await run(stores.derived.put, name, [again])
    assert await run(stores.derived.size, name) == len(again)
    assert await run(stores.derived.read, name, 0, 5000) == again


async def test_a_sealed_file_opens_by_range_across_its_sealed_chunks(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(derived, "CHUNK", 1024)
    monkeypatch.setattr(derived, "SEALED_CHUNK", derived.NONCE_BYTES + 1024 + derived.TAG_BYTES)
    rid, key, plaintext = new_id(), crypto.new_data_key(), os.urandom(5000)
    name = derived_name(rid, "participant-1")
    await run(stores.derived.put, name, seal_chunks(key, rid, "participant-1", plaintext))
    assert await run(stores.derived.size, name) == derived.sealed_size(len(plaintext))
    row = RecordingFile(
        recording_id=rid,
        participant_id="participant-1",
        kind="remux",
        name=name,
        sha256=hashlib.sha256(plaintext).hexdigest(),
        bytes=len(plaintext),
        start_ms=0,
    )
    watched = WatchFile(row, stores.derived, key)
    for start, end in ((0, 5000), (1000, 1100), (1023, 2049), (2048, 3072), (4090, 5000), (0, 1)):
        assert b"".join([piece async for piece in watched.read(start, end)]) == plaintext[start:end], (start, end)


async def test_a_large_derived_file_is_stored_in_parts_and_read_back(stores: Stores, small_parts: int) -> None:
    name = derived_name(new_id(), "grid", "export")
    pieces = [os.urandom(256 * 1024) for _ in range(2 * small_parts // (256 * 1024) + 3)]  # two parts and a bit
    whole = b"".join(pieces)
    await run(stores.derived.put, name, iter(pieces))
    assert await run(stores.derived.size, name) == len(whole)
    for offset in (0, small_parts - 10, 2 * small_parts - 5, len(whole) - 7):
        assert await run(stores.derived.read, name, offset, 20) == whole[offset : offset + 20], offset


def failing(pieces: list[bytes]) -> Iterator[bytes]:
    """Chunks of a file being stored, until reading it fails (a disk error under the export's temporary file)."""
    yield from pieces
    raise OSError(5, "Input/output error")


async def test_a_derived_file_whose_making_fails_leaves_the_previous_one_and_nothing_else(
    stores: Stores,
    small_parts: int,
    s3_endpoint: str,  # noqa: F811
) -> None:
    name = derived_name(new_id(), "grid", "export")
    with pytest.raises(StorageError, match="Input/output error"):
        await run(stores.derived.put, name, failing([os.urandom(small_parts), os.urandom(1000)]))  # a part went up
    assert await run(stores.derived.size, name) is None
    assert await stores.listing() == []
    previous = os.urandom(4000)
    await run(stores.derived.put, name, [previous])
    with pytest.raises(StorageError):
        await run(stores.derived.put, name, failing([os.urandom(small_parts + 1)]))
    assert await run(stores.derived.read, name, 0, 10_000) == previous
    assert await stores.listing() == [name]
    if isinstance(stores.derived, S3DerivedFiles):
        place = Place(s3_endpoint, stores.derived.bucket.config.bucket)
        assert await place.unfinished_uploads() == [], "the multipart uploads were aborted"


# -- the object store only -------------------------------------------------------------------------


async def test_objects_live_under_the_prefix_and_deleting_a_recording_stays_inside_it(s3_place: Place) -> None:  # noqa: F811
    rid = new_id()
    # Another deployment sharing the bucket, and one without a prefix, hold the same names.
    await s3_place.write(f"tenant-b/{rid}/000001.seg", b"theirs")
    await s3_place.write(f"{rid}/000001.seg", b"also theirs")
    bucket = Bucket(s3_place.config(PREFIX))
    storage = S3Storage(bucket)
    try:
        await run(storage.put, segment_name(rid, 1), b"ours")
        assert await s3_place.read(f"{PREFIX}{rid}/000001.seg") == b"ours"
        await run(storage.delete_recording, rid)
        assert await s3_place.keys() == sorted([f"tenant-b/{rid}/000001.seg", f"{rid}/000001.seg"])
    finally:
        await run(storage.close)


async def test_the_object_store_is_not_called_from_the_event_loop_and_not_after_closing(s3_place: Place) -> None:  # noqa: F811
    storage = S3Storage(Bucket(s3_place.config()))
    name = segment_name(new_id(), 1)
    with pytest.raises(RuntimeError, match="worker thread"):
        storage.exists(name)  # would stall every live session for a round trip
    assert await run(storage.exists, name) is False
    await run(storage.close)
    await run(storage.close)  # twice is fine
    with pytest.raises(StorageError, match="closed"):
        await run(storage.put, name, b"late")
    assert await s3_place.keys() == []


async def test_a_store_that_fails_says_so_as_a_storage_error(s3_endpoint: str) -> None:  # noqa: F811
    storage = S3Storage(Bucket(Place(s3_endpoint, "mediate-no-such-bucket").config()))
    try:
        with pytest.raises(StorageError, match="NoSuchBucket") as failed:
            await run(storage.put, segment_name(new_id(), 1), b"data")
        assert failed.value.full is False
    finally:
        await run(storage.close)
