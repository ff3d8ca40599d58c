"""Where sealed segments live: one small interface, a local directory behind it for now.

Names are made by the recorder from server-generated ids and segment numbers only, and
checked against a strict pattern here as well, so no path is ever built from user input.
A write lands whole or not at all (temporary file, fsync, rename, fsync of the directory):
after a crash a name either holds a complete sealed segment or does not exist. Nothing here
deletes except :meth:`Storage.delete` and :meth:`Storage.delete_recording`, which only the
retention procedure calls.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path
from typing import Protocol

NAME = re.compile(r"^[0-9a-f]{32}/[0-9]{6}\.seg$")
RECORDING_ID = re.compile(r"^[0-9a-f]{32}$")


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


def segment_name(recording_id: str, index: int) -> str:
    name = f"{recording_id}/{index:06d}.seg"
    check_name(name)
    return name


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"not a segment name: {name!r}")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        check_name(name)
        return self.root / name

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
        if not RECORDING_ID.match(recording_id):
            raise ValueError(f"not a recording id: {recording_id!r}")
        shutil.rmtree(self.root / recording_id, ignore_errors=True)
