"""Where sealed segments and the files derived from them live: two small interfaces, a local directory behind them.

The other backend is an S3-compatible object store (``recordings.s3``), with the same guarantees.

Names are made by the recorder from server-generated ids and segment numbers only, and
checked against a strict pattern here as well, so no path is ever built from user input.
A write lands whole or not at all (temporary file, fsync, rename, fsync of the directory):
after a crash a name either holds a complete sealed segment or does not exist. Nothing here
deletes except :meth:`Storage.delete` and :meth:`Storage.delete_recording`, which only the
retention procedure calls.

*Derived files* (a participant's segments remuxed into one file to watch, the export as one
video; ``server.domain.review``) are kept beside their recording's segments, so that retention
deletes them together. Unlike segments they may be made again, and the new file replaces the
old one; they are read by byte range.

Every method blocks: callers run them in worker threads (``asyncio.to_thread``).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

NAME = re.compile(r"^[0-9a-f]{32}/[0-9]{6}\.seg$")
RECORDING_ID = re.compile(r"^[0-9a-f]{32}$")
DERIVED_NAME = re.compile(r"^[0-9a-f]{32}/(remux|export)-[0-9A-Za-z][0-9A-Za-z-]{0,35}\.sealed$")


class StorageError(RuntimeError):
    """A write or read failed; ``full`` when the disk has no room left."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


class Storage(Protocol):
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...
    def delete_recording(self, recording_id: str) -> None: ...
    def check(self) -> None:
        """Raise ``StorageError`` if recordings cannot be kept here (no such bucket, refused credentials, read-only disk)."""

    def close(self) -> None: ...


class DerivedFiles(Protocol):
    """Derived files, sealed in chunks by their maker (``server.domain.review``), stored and read by byte range."""

    def size(self, name: str) -> int | None: ...
    def put(self, name: str, chunks: Iterable[bytes]) -> None: ...
    def read(self, name: str, offset: int, length: int) -> bytes: ...


def segment_name(recording_id: str, index: int) -> str:
    name = f"{recording_id}/{index:06d}.seg"
    check_name(name)
    return name


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):  # not match: "$" would let a trailing newline through
        raise ValueError(f"not a segment name: {name!r}")


def derived_name(recording_id: str, participant_id: str, kind: str = "remux") -> str:
    name = f"{recording_id}/{kind}-{participant_id}.sealed"
    check_derived_name(name)
    return name


def check_derived_name(name: str) -> None:
    if not DERIVED_NAME.fullmatch(name):
        raise ValueError(f"not a derived file name: {name!r}")


def check_recording_id(recording_id: str) -> None:
    if not RECORDING_ID.fullmatch(recording_id):
        raise ValueError(f"not a recording id: {recording_id!r}")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        check_name(name)
        return self.root / name

    def check(self) -> None:
        """The directory, or the nearest existing folder above it (made on the first segment), can be written."""
        place = self.root
        while not place.exists() and place != place.parent:
            place = place.parent
        if not place.is_dir() or not os.access(place, os.W_OK | os.X_OK):
            raise StorageError(f"{self.root}: {place} is not a directory this process may write to")

    def put(self, name: str, data: bytes) -> None:
        path = self.path(name)
        temporary = path.with_suffix(".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if path.exists():
                raise StorageError(f"{name} exists already; segments are never overwritten")
            os.replace(temporary, path)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except StorageError:
            temporary.unlink(missing_ok=True)  # refused: the copy it would have become goes too
            raise
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise StorageError(f"cannot write {name}: {exc.strerror}", full=exc.errno in (errno.ENOSPC, errno.EDQUOT)) from exc

    def get(self, name: str) -> bytes:
        try:
            return self.path(name).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {name}: {exc.strerror}") from exc

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def delete_recording(self, recording_id: str) -> None:
        """Remove everything kept for one recording: its segments and the files derived from them."""
        check_recording_id(recording_id)
        shutil.rmtree(self.root / recording_id, ignore_errors=True)

    def close(self) -> None:
        """Nothing to release: files are opened per call."""


class LocalDerivedFiles:
    """Derived files under the recordings directory, beside their recording's segments.

    A file lands whole or not at all (temporary file, fsync, rename).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        check_derived_name(name)
        return self.root / name

    def size(self, name: str) -> int | None:
        try:
            return self.path(name).stat().st_size
        except FileNotFoundError:
            return None

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        path = self.path(name)
        temporary = path.with_suffix(f".{secrets.token_hex(4)}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "xb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)  # a file made again from the same segments replaces the old one
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise StorageError(f"cannot write {name}: {exc.strerror}") from exc

    def read(self, name: str, offset: int, length: int) -> bytes:
        with open(self.path(name), "rb") as source:
            source.seek(offset)
            return source.read(length)
