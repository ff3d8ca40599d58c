"""The derived file of a recording: one participant's segments remuxed into one seekable WebM.

The packets are copied, never re-encoded (``recordings.webm.remux_to``, a segment at a time, the
first packet moved to time zero), on the first request for the file, in a worker thread,
and the file is kept beside the segments, in the same store (``recordings.storage``: the
recordings directory, or an S3-compatible bucket):

- sealed like the segments, under the recording's data key, so that the store and the database
  together still reveal no media without the master key (``recordings.crypto``). It is sealed
  in chunks of ``CHUNK`` bytes, each AES-256-GCM with its position and the chunk count as
  associated data, so a range request opens only the chunks it needs and a chunk moved,
  dropped or swapped fails to open;
- its SHA-256 (of the plaintext, as for segments), size, the segments it was made of, and where
  its time zero sits on the recording's timeline are stored in ``recording_files``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recordings.storage import DerivedFiles, StorageError
from server.models import RecordingFile

#: Plaintext bytes per sealed chunk of a derived file.
CHUNK = 256 * 1024
NONCE_BYTES, TAG_BYTES = 12, 16
SEALED_CHUNK = NONCE_BYTES + CHUNK + TAG_BYTES
#: Kinds of derived file: one participant remuxed (here), and the grid of everyone (``server.domain.exports``).
KINDS = ("remux", "export")


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
